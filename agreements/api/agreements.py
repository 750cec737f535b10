"""Agreements API: records, parties, lifecycle transitions, reviews and documents."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agreements import services
from agreements.api.fields import (
    ActiveUserField,
    ActivityCodeField,
    VisibleAgreementField,
    VisiblePartnerField,
)
from agreements.filters import AgreementFilter
from agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementParty,
    AgreementReview,
    AgreementTransition,
)
from agreements.selectors import agreement_for_user, agreement_list, agreements_visible_to
from agreements.selectors.agreements import can_review_agreement
from config.api import (
    AccordModelSerializer,
    RecordViewSet,
    api_url,
    attachments_action,
    crud_schema,
    take_version,
)
from config.roles import accord_user
from config.uploads import STORED_FILE_FIELDS, serve_file

User = get_user_model()


class PartySerializer(AccordModelSerializer[AgreementParty]):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = AgreementParty
        fields = [
            "id",
            "partner",
            "partner_name",
            "role",
            "signed_on",
            "in_force_on",
            "withdrawn_on",
            "reservations",
            "version",
        ]
        read_only_fields = ["id", "partner", "partner_name", "version"]


class PartyInputSerializer(AccordModelSerializer[AgreementParty]):
    partner = VisiblePartnerField()

    class Meta:
        model = AgreementParty
        fields = ["partner", "role", "signed_on", "in_force_on", "withdrawn_on", "reservations"]
        validators: list[Any] = []


class PartyUpdateSerializer(AccordModelSerializer[AgreementParty]):
    version = serializers.IntegerField(min_value=1)

    class Meta:
        model = AgreementParty
        fields = ["role", "signed_on", "in_force_on", "withdrawn_on", "reservations", "version"]


class _PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class AgreementSerializer(AccordModelSerializer[Agreement]):
    """An agreement as read, with its parties and the dates derived from its terms."""

    activity_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    parties = PartySerializer(many=True, read_only=True)
    owner = _PersonSerializer(read_only=True, allow_null=True)
    legal_reviewer = _PersonSerializer(read_only=True, allow_null=True)
    relation_to_parent = serializers.ChoiceField(
        choices=Agreement.Relation.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "reference",
            "title",
            "kind",
            "status",
            "activity_types",
            "parties",
            "owner",
            "legal_reviewer",
            "parent",
            "relation_to_parent",
            "supersedes",
            "signed_on",
            "effective_on",
            "expires_on",
            "auto_renews",
            "renewal_term_months",
            "notice_period_days",
            "notice_deadline",
            "review_interval_months",
            "last_reviewed_on",
            "next_review_on",
            "status_changed_at",
            "summary",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AgreementInputSerializer(AccordModelSerializer[Agreement]):
    activity_types = serializers.ListField(
        child=ActivityCodeField(), required=False, help_text="Activity type codes."
    )
    parties = PartyInputSerializer(many=True, required=False)
    owner = ActiveUserField(required=False, allow_null=True)
    legal_reviewer = ActiveUserField(required=False, allow_null=True)
    # A declared field: DRF's metaclass takes it off the class, so it shadows nothing.
    parent = VisibleAgreementField(required=False, allow_null=True)  # type: ignore[assignment]
    supersedes = VisibleAgreementField(required=False, allow_null=True)

    class Meta:
        model = Agreement
        fields = [
            "reference",
            "title",
            "kind",
            "activity_types",
            "parties",
            "owner",
            "legal_reviewer",
            "parent",
            "relation_to_parent",
            "supersedes",
            "signed_on",
            "effective_on",
            "expires_on",
            "auto_renews",
            "renewal_term_months",
            "notice_period_days",
            "review_interval_months",
            "last_reviewed_on",
            "summary",
        ]
        validators: list[Any] = []
        extra_kwargs = {"reference": {"validators": [ProhibitNullCharactersValidator()]}}


class AgreementUpdateSerializer(AgreementInputSerializer):
    version = serializers.IntegerField(min_value=1)

    class Meta(AgreementInputSerializer.Meta):
        fields = [f for f in AgreementInputSerializer.Meta.fields if f != "parties"] + ["version"]


class TransitionInputSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=Agreement.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionSerializer(AccordModelSerializer[AgreementTransition]):
    by = serializers.CharField(source="by.username", default=None, allow_null=True)

    class Meta:
        model = AgreementTransition
        fields = ["from_status", "to_status", "at", "by", "note"]


class ReviewSerializer(AccordModelSerializer[AgreementReview]):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, default=None)

    class Meta:
        model = AgreementReview
        fields = ["id", "reviewed_on", "outcome", "notes", "reviewer", "created_at"]
        read_only_fields = ["id", "reviewer", "created_at"]


class DocumentSerializer(AccordModelSerializer[AgreementDocument]):
    uploaded_by = serializers.CharField(source="uploaded_by.username", default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AgreementDocument
        fields = [
            "id",
            "title",
            "kind",
            "language",
            "equally_authentic",
            *STORED_FILE_FIELDS,
        ]
        read_only_fields = fields

    def get_download_url(self, document: AgreementDocument) -> str:
        """Where to GET the file (with the same authentication as the API)."""
        return api_url(
            self.context,
            "agreement-document-file",
            pk=document.agreement_id,
            document_pk=document.pk,
        )


class DocumentInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=AgreementDocument.Kind.choices, default=AgreementDocument.Kind.SIGNED_TEXT
    )
    language = serializers.CharField(max_length=3, help_text="ISO 639 code, e.g. en, es.")
    equally_authentic = serializers.BooleanField(default=False)


@crud_schema(AgreementSerializer, AgreementInputSerializer, AgreementUpdateSerializer)
class AgreementViewSet(RecordViewSet):
    """Agreements visible to you: a liaison officer sees those with a party in their portfolio
    (or that they own); legal advisors and managers see all. Status changes go through
    `transition`; agreements are never deleted (terminate them)."""

    filterset_class = AgreementFilter
    ordering_fields = ["reference", "expires_on", "notice_deadline", "next_review_on", "status"]

    def get_queryset(self) -> QuerySet[Agreement]:
        return agreement_list(self.request.user)

    read_serializer = AgreementSerializer
    input_serializer = AgreementInputSerializer
    update_serializer = AgreementUpdateSerializer

    def get_object(self) -> Agreement:
        write = self.action in {"update", "partial_update", "parties", "documents"} and (
            self.request.method not in {"GET", "HEAD"}
        )
        self._record = agreement_for_user(self.request.user, self.kwargs["pk"], write=write)
        return self._record

    def read(self, record: Agreement) -> dict[str, Any]:
        return AgreementSerializer(agreement_list(self.request.user).get(pk=record.pk)).data

    def create_record(self, **fields: Any) -> Agreement:
        return services.agreement_create(**fields)

    def update_record(self, record: Agreement, **changes: Any) -> Any:
        return services.agreement_update(
            agreement=record, activity_types=changes.pop("activity_types", None), **changes
        )

    @extend_schema(
        request=TransitionInputSerializer,
        responses={200: AgreementSerializer},
        description="Move the agreement along its lifecycle. In force needs signature and "
        "effective dates and at least one party; leaving legal review for signature is a "
        "legal advisor's decision. A forbidden move answers 400 naming what is missing.",
    )
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agreement_transition(
            agreement=agreement,
            by=accord_user(request),
            to=serializer.validated_data["to"],
            note=serializer.validated_data["note"],
        )
        return Response(self.read(agreement))

    @extend_schema(responses={200: TransitionSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def transitions(self, request: Request, pk: str | None = None) -> Response:
        """The lifecycle log: every status change with who made it and why."""
        agreement = self.get_object()
        rows = agreement.transitions.select_related("by")
        return Response(TransitionSerializer(rows, many=True).data)

    @extend_schema(methods=["GET"], responses={200: ReviewSerializer(many=True)}, filters=False)
    @extend_schema(methods=["POST"], request=ReviewSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        """Periodic reviews. Recording one moves the agreement's next review date."""
        if request.method == "GET":
            agreement = self.get_object()
            return Response(
                ReviewSerializer(agreement.reviews.select_related("reviewer"), many=True).data
            )
        agreement = agreement_for_user(request.user, pk)
        if not can_review_agreement(request.user, agreement):
            raise PermissionDenied("Only its liaison officers and legal advisors review it.")
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.agreement_review_record(
            agreement=agreement, by=accord_user(request), **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: PartySerializer(many=True)}, filters=False)
    @extend_schema(methods=["POST"], request=PartyInputSerializer, responses={201: PartySerializer})
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def parties(self, request: Request, pk: str | None = None) -> Response:
        """The parties, each with its own role and dates; add one with POST."""
        agreement = self.get_object()
        if request.method == "GET":
            rows = agreement.parties.select_related("partner")
            return Response(PartySerializer(rows, many=True).data)
        serializer = PartyInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        party = services.agreement_party_add(
            agreement=agreement, by=accord_user(request), **serializer.validated_data
        )
        return Response(PartySerializer(party).data, status=status.HTTP_201_CREATED)

    @attachments_action(DocumentSerializer, DocumentInputSerializer)
    def documents(self, request: Request, pk: str | None = None) -> Response:
        """Signed texts and translations (multipart upload; size and type are checked and a
        SHA-256 is kept)."""
        agreement = self.get_object()
        if request.method == "GET":
            rows = agreement.documents.select_related("uploaded_by")
            return Response(DocumentSerializer(rows, many=True, context={"request": request}).data)
        serializer = DocumentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.agreement_document_upload(
            agreement=agreement, by=accord_user(request), **serializer.validated_data
        )
        return Response(
            DocumentSerializer(document, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        filters=False,
        description="The document itself, as a download.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"documents/(?P<document_pk>[0-9]+)",
        url_name="document-file",
        filterset_class=None,
        pagination_class=None,
    )
    def document_file(
        self, request: Request, pk: str | None = None, document_pk: str | None = None
    ) -> FileResponse:
        agreement = self.get_object()
        document = agreement.documents.filter(pk=document_pk).first() if document_pk else None
        if document is None:
            raise Http404("No such document.")
        return serve_file(
            document.file,
            filename=(document.file.name or "").rsplit("/", 1)[-1],
            content_type=document.content_type,
        )


class AgreementPartyViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[AgreementParty],
):
    """One party of an agreement: change its dates and role, or remove it."""

    serializer_class = PartySerializer
    filterset_class = None
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[AgreementParty]:
        return AgreementParty.objects.filter(
            agreement__in=agreements_visible_to(self.request.user)
        ).select_related("partner", "agreement")

    def get_object(self) -> AgreementParty:
        party = super().get_object()
        if self.request.method not in {"GET", "HEAD"}:
            agreement_for_user(self.request.user, party.agreement_id, write=True)
        self._party = party
        return party

    def current_representation(self) -> dict[str, Any] | None:
        party = getattr(self, "_party", None)
        return PartySerializer(AgreementParty.objects.get(pk=party.pk)).data if party else None

    @extend_schema(request=PartyUpdateSerializer, responses={200: PartySerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        party = self.get_object()
        serializer = PartyUpdateSerializer(party, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = take_version(changes)
        services.agreement_party_update(
            party=party, by=accord_user(request), version=version, **changes
        )
        return Response(PartySerializer(party).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("reason", str, required=True, description="Why (kept in the history).")
        ],
        responses={204: OpenApiResponse(description="Removed.")},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a party; the reason (in the body or the query string) is required."""
        body = request.data if isinstance(request.data, dict) else {}
        reason = body.get("reason") or request.query_params.get("reason") or ""
        services.agreement_party_remove(
            party=self.get_object(), by=accord_user(request), reason=str(reason)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
