"""REST API of the checklists app: the template library, assessments, answers and scores."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.api.fields import VisibleAgreementField, VisiblePartnerField
from checklists import services
from checklists.filters import AssessmentFilter
from checklists.models import (
    Area,
    Assessment,
    ChecklistItem,
    ChecklistTemplate,
    EvidenceFile,
    ItemResponse,
)
from checklists.selectors import (
    assessment_for_user,
    assessment_score,
    assessments_visible_to,
    compare_assessments,
    portfolio_area_scores,
    response_rows,
)
from config.api import AccordModelSerializer, HistoryMixin, api_url, attachments_action
from config.bounds import DATE_VALIDATORS
from config.errors import StaleVersionError
from config.parsers import AccordJSONParser
from config.permissions import IsAdministratorOrReadOnly
from config.roles import accord_user
from config.uploads import STORED_FILE_FIELDS, serve_file


class ItemSerializer(AccordModelSerializer[ChecklistItem]):
    class Meta:
        model = ChecklistItem
        fields = [
            "code",
            "area",
            "requirement",
            "guidance",
            "typical_evidence",
            "weight",
            "criticality",
        ]


class TemplateSerializer(AccordModelSerializer[ChecklistTemplate]):
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = [
            "id",
            "urn",
            "version",
            "title",
            "provider",
            "published_on",
            "description",
            "content_sha256",
            "item_count",
            "loaded_at",
        ]


class TemplateUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="A template in Accord's YAML format.")


class TemplateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[ChecklistTemplate],
):
    """The checklist library. Published versions never change; administrators publish a new
    template or version by uploading YAML (errors name the item and field)."""

    serializer_class = TemplateSerializer
    filterset_class = None
    parser_classes = [MultiPartParser, AccordJSONParser]

    def get_permissions(self) -> list[Any]:
        return [*super().get_permissions(), IsAdministratorOrReadOnly()]

    def get_queryset(self) -> QuerySet[ChecklistTemplate]:
        return ChecklistTemplate.objects.annotate(item_count=Count("items")).order_by(
            "urn", "-version"
        )

    @extend_schema(
        request={"multipart/form-data": TemplateUploadSerializer},
        responses={201: TemplateSerializer, 200: TemplateSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = TemplateUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        result = services.template_upload(
            file=upload.validated_data["file"], by=accord_user(request)
        )
        template = self.get_queryset().get(pk=result.template.pk)
        return Response(
            TemplateSerializer(template).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )

    @extend_schema(responses={200: ItemSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def items(self, request: Request, pk: str | None = None) -> Response:
        template = self.get_object()
        return Response(ItemSerializer(template.items.all(), many=True).data)


class AssessmentSerializer(AccordModelSerializer[Assessment]):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    template_title = serializers.CharField(source="template.title", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "partner",
            "partner_name",
            "template",
            "template_title",
            "template_version",
            "kind",
            "agreement",
            "assessor",
            "due_on",
            "status",
            "previous",
            "submitted_at",
            "returned_note",
            "approved_at",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class AssessmentInputSerializer(AccordModelSerializer[Assessment]):
    partner = VisiblePartnerField()
    agreement = VisibleAgreementField(required=False, allow_null=True)

    class Meta:
        model = Assessment
        fields = ["partner", "template", "kind", "agreement", "assessor", "due_on"]


class EvidenceFileSerializer(AccordModelSerializer[EvidenceFile]):
    code = serializers.CharField(source="response.item.code", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = [
            "id",
            "code",
            "name",
            *STORED_FILE_FIELDS,
        ]
        read_only_fields = fields

    def get_download_url(self, evidence: EvidenceFile) -> str:
        """Where to GET the file (with the same authentication as the API)."""
        return api_url(
            self.context,
            "assessment-evidence-file",
            pk=evidence.response.assessment_id,
            evidence_pk=evidence.pk,
        )


class EvidenceUploadSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="The item the file is evidence for.")
    file = serializers.FileField(
        help_text="PDF, Office or OpenDocument file, text, CSV, PNG or JPEG, within the size limit."
    )


class ResponseSerializer(AccordModelSerializer[ItemResponse]):
    code = serializers.CharField(source="item.code", read_only=True)
    area = serializers.CharField(source="item.area", read_only=True)
    requirement = serializers.CharField(source="item.requirement", read_only=True)
    criticality = serializers.CharField(source="item.criticality", read_only=True)
    weight = serializers.IntegerField(source="item.weight", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True, default=None)
    evidence_files = EvidenceFileSerializer(many=True, read_only=True)

    class Meta:
        model = ItemResponse
        fields = [
            "id",
            "code",
            "area",
            "requirement",
            "criticality",
            "weight",
            "result",
            "needs_reconfirmation",
            "evidence_text",
            "evidence_link",
            "evidence_files",
            "owner",
            "owner_name",
            "remediation_plan",
            "remediation_due_on",
            "version",
        ]
        read_only_fields = fields


class ResponseChangeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="The item's code.")
    version = serializers.IntegerField(min_value=1)
    result = serializers.ChoiceField(choices=ItemResponse.Result.choices, required=False)
    evidence_text = serializers.CharField(required=False, allow_blank=True)
    evidence_link = serializers.URLField(required=False, allow_blank=True)
    owner = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The user responsible for the item (an Accord user's id); null clears it.",
    )
    remediation_plan = serializers.CharField(required=False, allow_blank=True)
    remediation_due_on = serializers.DateField(
        required=False, allow_null=True, validators=DATE_VALIDATORS
    )


class ConfirmAreaSerializer(serializers.Serializer[Any]):
    area = serializers.ChoiceField(
        choices=Area.choices, help_text="Confirm every unchanged carried-over answer of this area."
    )
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="Optional: item code → the response version you saw; if any of those answers "
        "changed since, nothing is confirmed (409).",
    )


class ReturnSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        max_length=4000, help_text="What the assessor should change (required)."
    )


class UpgradeSerializer(serializers.Serializer[Any]):
    template = serializers.PrimaryKeyRelatedField(queryset=ChecklistTemplate.objects.all())


class AreaScoreSerializer(serializers.Serializer[Any]):
    area = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so it shadows nothing.
    label = serializers.CharField()  # type: ignore[assignment]
    score = serializers.FloatField(allow_null=True)
    completion = serializers.FloatField()
    items = serializers.IntegerField()
    unmet_high = serializers.IntegerField()


class ScoreSerializer(serializers.Serializer[Any]):
    overall = serializers.FloatField(allow_null=True)
    completion = serializers.FloatField()
    level = serializers.IntegerField(allow_null=True)
    capped = serializers.BooleanField()
    areas = AreaScoreSerializer(many=True)


class CompareItemSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    area = serializers.CharField()
    requirement = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)
    change = serializers.ChoiceField(
        choices=["better", "worse", "unchanged", "changed", "new", "removed"]
    )


class CompareAreaSerializer(serializers.Serializer[Any]):
    area = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so it shadows nothing.
    label = serializers.CharField()  # type: ignore[assignment]
    before = serializers.FloatField(allow_null=True)
    after = serializers.FloatField(allow_null=True)
    change = serializers.ChoiceField(choices=["better", "worse", "unchanged"])


class CompareSerializer(serializers.Serializer[Any]):
    before = serializers.IntegerField(source="before.pk")
    after = serializers.IntegerField(source="after.pk")
    overall = serializers.DictField(child=serializers.FloatField(allow_null=True))
    areas = CompareAreaSerializer(many=True)
    items = CompareItemSerializer(many=True)


class PortfolioScoreSerializer(serializers.Serializer[Any]):
    assessment = serializers.IntegerField()
    partner = serializers.CharField()
    area = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    earned = serializers.FloatField()
    possible = serializers.IntegerField()
    answered = serializers.IntegerField()
    items = serializers.IntegerField()


class AssessmentViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Assessment],
):
    """Assessments of partners you can see. Liaison officers create and answer them; managers
    approve submitted ones; an approved assessment is read-only (start a new round with
    `clone`)."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_queryset(self) -> QuerySet[Assessment]:
        return (
            assessments_visible_to(self.request.user)
            .select_related("partner", "template")
            .order_by("-created_at", "-pk")
        )

    def get_object(self) -> Assessment:
        return assessment_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(request=AssessmentInputSerializer, responses={201: AssessmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AssessmentInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_create(
            by=accord_user(request), **serializer.validated_data
        )
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: ResponseSerializer(many=True)}, filters=False)
    @extend_schema(
        methods=["PATCH"],
        request=ResponseChangeSerializer(many=True),
        responses={200: ResponseSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "patch"], filterset_class=None, pagination_class=None)
    def responses(self, request: Request, pk: str | None = None) -> Response:
        """Every item with its answer; PATCH a list of changes to answer many at once (all
        are saved, or none)."""
        assessment = self.get_object()
        if request.method == "PATCH":
            changes = ResponseChangeSerializer(data=request.data, many=True)
            if not changes.is_valid():
                raise serializers.ValidationError(_named_errors(request.data, changes.errors))
            try:
                services.responses_update(
                    assessment=assessment, by=accord_user(request), changes=changes.validated_data
                )
            except StaleVersionError as stale:
                if stale.record is not None:
                    stale.current_representation = ResponseSerializer(
                        response_rows(assessment).get(pk=stale.record.pk),
                        context={"request": request},
                    ).data
                raise
        return Response(
            ResponseSerializer(
                response_rows(assessment), many=True, context={"request": request}
            ).data
        )

    @attachments_action(EvidenceFileSerializer, EvidenceUploadSerializer)
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        """Evidence files of every item; POST a file (multipart `code`, `file`) to attach one.
        Size, type and content are checked and a SHA-256 is kept."""
        assessment = self.get_object()
        if request.method == "GET":
            rows = EvidenceFile.objects.filter(response__assessment=assessment).select_related(
                "response__item", "uploaded_by"
            )
            return Response(
                EvidenceFileSerializer(rows, many=True, context={"request": request}).data
            )
        upload = EvidenceUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        evidence = services.evidence_add(
            assessment=assessment, by=accord_user(request), **upload.validated_data
        )
        return Response(
            EvidenceFileSerializer(evidence, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        filters=False,
        description="The file itself, as a download.",
    )
    @extend_schema(methods=["DELETE"], responses={204: None}, description="Remove the file.")
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"evidence/(?P<evidence_pk>[0-9]+)",
        url_name="evidence-file",
        filterset_class=None,
        pagination_class=None,
    )
    def evidence_file(
        self, request: Request, pk: str | None = None, evidence_pk: str | None = None
    ) -> Response | FileResponse:
        assessment = self.get_object()
        evidence = (
            EvidenceFile.objects.filter(pk=evidence_pk, response__assessment=assessment)
            .select_related("response__assessment__partner")
            .first()
        )
        if evidence is None:
            raise Http404("No such evidence file.")
        if request.method == "DELETE":
            services.evidence_remove(evidence=evidence, by=accord_user(request))
            return Response(status=status.HTTP_204_NO_CONTENT)
        return serve_file(evidence.file, filename=evidence.name, content_type=evidence.content_type)

    @extend_schema(responses={200: ScoreSerializer}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def score(self, request: Request, pk: str | None = None) -> Response:
        """Weighted score per area and overall, completion, and the interoperability level."""
        return Response(ScoreSerializer(assessment_score(self.get_object())).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "with", int, required=True, description="The other assessment of the same partner."
            )
        ],
        responses={200: CompareSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def compare(self, request: Request, pk: str | None = None) -> Response:
        """This assessment against another of the same partner: per item and per area."""
        raw = request.query_params.get("with", "")
        if not raw.isdigit():
            raise serializers.ValidationError({"with": ["Give the other assessment's id."]})
        this = self.get_object()
        other = assessment_for_user(request.user, int(raw))
        older, newer = sorted([this, other], key=lambda a: (a.created_at, a.pk))
        try:
            result = compare_assessments(older, newer)
        except PermissionDenied:
            raise serializers.ValidationError(
                {"with": ["Only assessments of the same partner compare."]}
            ) from None
        return Response(CompareSerializer(result).data)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, many=True, enum=Assessment.Status.values)],
        responses={200: PortfolioScoreSerializer(many=True)},
        filters=False,
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def scores(self, request: Request) -> Response:
        """The portfolio's scores: every visible assessment × area, in one query."""
        status_filter = request.query_params.getlist("status")
        unknown = set(status_filter) - set(Assessment.Status.values)
        if unknown:
            raise serializers.ValidationError(
                {"status": [f"Unknown status: {', '.join(sorted(unknown))}."]}
            )
        rows = portfolio_area_scores(request.user, status=status_filter or None)
        return Response(PortfolioScoreSerializer(rows, many=True).data)

    @extend_schema(request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def submit(self, request: Request, pk: str | None = None) -> Response:
        assessment = services.assessment_submit(
            assessment=self.get_object(), by=accord_user(request)
        )
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        assessment = services.assessment_approve(
            assessment=self.get_object(), by=accord_user(request)
        )
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(request=ReturnSerializer, responses={200: AssessmentSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        filterset_class=None,
        pagination_class=None,
    )
    def return_to_assessor(self, request: Request, pk: str | None = None) -> Response:
        """Managers: send a submitted assessment back to its assessor with a note (it is in
        progress again; the note is kept with it and in its history)."""
        assessment = self.get_object()
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        returned = services.assessment_return(
            assessment=assessment, by=accord_user(request), note=serializer.validated_data["note"]
        )
        return Response(AssessmentSerializer(returned).data)

    @extend_schema(request=ConfirmAreaSerializer, responses={200: ResponseSerializer(many=True)})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """In a cloned round, confirm every carried-over answer of one area that nobody changed
        yet, all or none (each in its history). Answers the confirmation; an empty list when
        nothing was left to confirm. To confirm one item, PATCH `responses/` with its result."""
        assessment = self.get_object()
        serializer = ConfirmAreaSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confirmed = services.responses_confirm_area(
            assessment=assessment,
            by=accord_user(request),
            area=serializer.validated_data["area"],
            versions=serializer.validated_data.get("versions"),
        )
        rows = response_rows(assessment).filter(pk__in=[r.pk for r in confirmed])
        return Response(ResponseSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(request=None, responses={201: AssessmentSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def clone(self, request: Request, pk: str | None = None) -> Response:
        """Start the next round: answers kept, each to be re-confirmed."""
        clone = services.assessment_clone(source=self.get_object(), by=accord_user(request))
        return Response(AssessmentSerializer(clone).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UpgradeSerializer, responses={201: AssessmentSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def upgrade(self, request: Request, pk: str | None = None) -> Response:
        """Move to a newer template version; unchanged items keep their answers."""
        serializer = UpgradeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.assessment_upgrade(
            source=self.get_object(),
            to=serializer.validated_data["template"],
            by=accord_user(request),
        )
        body = AssessmentSerializer(report.assessment).data
        body["upgrade"] = {
            "carried_over": report.carried_over,
            "changed": report.changed,
            "added": report.added,
            "removed": report.removed,
        }
        return Response(body, status=status.HTTP_201_CREATED)


def _named_errors(data: Any, errors: Any) -> dict[str, list[str]]:
    """Errors of a list of changes, each named by position and item code, as the service
    names its own."""
    if isinstance(errors, dict) and all(isinstance(k, int) for k in errors):
        pairs = [(position + 1, item_errors) for position, item_errors in errors.items()]
    elif isinstance(errors, list):
        pairs = list(enumerate(errors, start=1))
    else:
        return {"responses": ["Send a list of changes, each an object with code and version."]}
    named: dict[str, list[str]] = {}
    for index, item_errors in pairs:
        if not item_errors:
            continue
        entry = data[index - 1] if isinstance(data, list) and index <= len(data) else {}
        code = entry.get("code", "no code") if isinstance(entry, dict) else "no code"
        for field, messages in item_errors.items():
            named[f"responses[{index}] ({code}).{field}"] = [str(m) for m in messages]
    return named
