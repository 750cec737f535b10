"""Legal mandates and decisions, sovereignty constraints, engagements, clearance, coverage."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agreements import services
from agreements.api.fields import (
    ActivityCodeField,
    VisibleAgreementField,
    VisiblePartnerField,
)
from agreements.filters import ConstraintFilter, CoverageFilter, EngagementFilter, MandateFilter
from agreements.models import (
    Engagement,
    LegalMandate,
    LegalReview,
    Partner,
    SovereigntyConstraint,
)
from agreements.models.mandates import MANDATE_EDIT_FIELDS
from agreements.selectors import (
    clearance_check,
    constraint_for_user,
    constraints_visible_to,
    coverage_matrix,
    engagement_for_user,
    engagements_visible_to,
    mandate_for_user,
    mandates_visible_to,
)
from agreements.selectors.clearance import Clearance, Verdict
from config.api import AccordModelSerializer, RecordViewSet, crud_schema
from config.bounds import DATE_VALIDATORS
from config.roles import accord_user

# --- mandates --------------------------------------------------------------------------------


class LegalReviewSerializer(AccordModelSerializer[LegalReview]):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = LegalReview
        fields = [
            "id",
            "decision",
            "opinion",
            "conditions",
            "reviewer",
            "decided_at",
            "mandate_version",
            "snapshot",
        ]
        read_only_fields = fields


class LegalReviewInputSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=LegalReview.Decision.choices)
    opinion = serializers.CharField()
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        min_value=1,
        help_text=(
            "The version of the mandate you read and decide on; if it changed since, the "
            "answer is 409 with the mandate as it is now."
        ),
    )


class MandateSerializer(AccordModelSerializer[LegalMandate]):
    activity_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    partners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    latest_decision = serializers.SerializerMethodField()

    class Meta:
        model = LegalMandate
        fields = [
            "id",
            "title",
            "kind",
            "citation",
            "agreement",
            "article",
            "activity_types",
            "applies_to_all_partners",
            "partners",
            "geographic_scope",
            "valid_from",
            "valid_until",
            "review_interval_months",
            "next_review_on",
            "status",
            "review_requested_at",
            "last_decided_at",
            "latest_decision",
            "summary",
            "version",
        ]
        read_only_fields = fields

    def get_latest_decision(self, mandate: LegalMandate) -> dict[str, Any] | None:
        reviews = list(mandate.reviews.all())
        return LegalReviewSerializer(reviews[0]).data if reviews else None


class MandateInputSerializer(AccordModelSerializer[LegalMandate]):
    activity_types = serializers.ListField(
        child=ActivityCodeField(), help_text="Activity type codes."
    )
    partners = serializers.ListField(child=VisiblePartnerField(), required=False, default=list)
    agreement = VisibleAgreementField(required=False, allow_null=True)

    class Meta:
        model = LegalMandate
        fields = MANDATE_EDIT_FIELDS


class MandateUpdateSerializer(MandateInputSerializer):
    version = serializers.IntegerField(min_value=1)

    class Meta(MandateInputSerializer.Meta):
        fields = [*MandateInputSerializer.Meta.fields, "version"]


@crud_schema(MandateSerializer, MandateInputSerializer, MandateUpdateSerializer)
class MandateViewSet(RecordViewSet):
    """Legal authorities for activities. Legal advisors record and change them; a material
    change to an approved mandate sends it back to pending review."""

    filterset_class = MandateFilter
    ordering_fields = ["title", "valid_from", "valid_until", "review_requested_at"]

    def get_queryset(self) -> QuerySet[LegalMandate]:
        return (
            mandates_visible_to(self.request.user)
            .prefetch_related(
                "activity_types",
                "partners",
                Prefetch("reviews", queryset=LegalReview.objects.select_related("reviewer")),
            )
            .order_by("title")
        )

    read_serializer = MandateSerializer
    input_serializer = MandateInputSerializer
    update_serializer = MandateUpdateSerializer

    def get_object(self) -> LegalMandate:
        write = self.action in {"update", "partial_update"}
        self._record = mandate_for_user(self.request.user, self.kwargs["pk"], write=write)
        return self._record

    def read(self, record: LegalMandate) -> dict[str, Any]:
        return MandateSerializer(self.get_queryset().get(pk=record.pk)).data

    def create_record(self, **fields: Any) -> LegalMandate:
        return services.mandate_create(**fields)

    def update_record(self, record: LegalMandate, **changes: Any) -> Any:
        return services.mandate_update(mandate=record, **changes)

    @extend_schema(
        methods=["GET"], responses={200: LegalReviewSerializer(many=True)}, filters=False
    )
    @extend_schema(
        methods=["POST"],
        request=LegalReviewInputSerializer,
        responses={201: LegalReviewSerializer},
        description="Decide the legal review (legal advisors only). The decision is immutable "
        "and keeps a snapshot of the mandate as decided.",
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        mandate = self.get_object()
        if request.method == "GET":
            return Response(LegalReviewSerializer(mandate.reviews.all(), many=True).data)
        serializer = LegalReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.legal_review_decide(
            mandate=mandate, reviewer=accord_user(request), **serializer.validated_data
        )
        return Response(LegalReviewSerializer(review).data, status=status.HTTP_201_CREATED)


# --- constraints and engagements -------------------------------------------------------------


class ConstraintSerializer(AccordModelSerializer[SovereigntyConstraint]):
    activity_types = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = SovereigntyConstraint
        fields = [
            "id",
            "partner",
            "partner_name",
            "category",
            "category_label",
            "effect",
            "consent_lead_days",
            "activity_types",
            "description",
            "legal_basis",
            "agreement",
            "clause",
            "valid_from",
            "valid_until",
            "version",
        ]
        read_only_fields = fields


class ConstraintInputSerializer(AccordModelSerializer[SovereigntyConstraint]):
    partner = VisiblePartnerField()
    agreement = VisibleAgreementField(required=False, allow_null=True)
    activity_types = serializers.ListField(
        child=ActivityCodeField(),
        required=False,
        default=list,
        help_text="Activity type codes; empty means every activity.",
    )

    class Meta:
        model = SovereigntyConstraint
        fields = [
            "partner",
            "category",
            "effect",
            "consent_lead_days",
            "activity_types",
            "description",
            "legal_basis",
            "agreement",
            "clause",
            "valid_from",
            "valid_until",
        ]


class ConstraintUpdateSerializer(ConstraintInputSerializer):
    version = serializers.IntegerField(min_value=1)
    activity_types = serializers.ListField(child=ActivityCodeField(), required=False)

    class Meta(ConstraintInputSerializer.Meta):
        fields = [*ConstraintInputSerializer.Meta.fields, "version"]


@crud_schema(ConstraintSerializer, ConstraintInputSerializer, ConstraintUpdateSerializer)
class ConstraintViewSet(RecordViewSet):
    """What each partner does not allow, or allows only on conditions."""

    filterset_class = ConstraintFilter
    read_serializer = ConstraintSerializer
    input_serializer = ConstraintInputSerializer
    update_serializer = ConstraintUpdateSerializer
    ordering_fields = ["category", "effect"]

    def get_queryset(self) -> QuerySet[SovereigntyConstraint]:
        return (
            constraints_visible_to(self.request.user)
            .select_related("partner")
            .prefetch_related("activity_types")
            .order_by("partner__name", "category", "pk")
        )

    def get_object(self) -> SovereigntyConstraint:
        write = self.action in {"update", "partial_update"}
        self._record = constraint_for_user(self.request.user, self.kwargs["pk"], write=write)
        return self._record

    def create_record(self, **fields: Any) -> SovereigntyConstraint:
        return services.constraint_create(**fields)

    def update_record(self, record: SovereigntyConstraint, **changes: Any) -> Any:
        return services.constraint_update(constraint=record, **changes)


class FindingSerializer(serializers.Serializer[Any]):
    # A declared field: DRF's metaclass takes it off the class, so it shadows nothing.
    source = serializers.ChoiceField(choices=["agreement", "mandate", "constraint"])  # type: ignore[assignment]
    effect = serializers.ChoiceField(choices=["covers", "condition", "blocks", "missing", "note"])
    subject = serializers.CharField()
    detail = serializers.CharField()
    object_id = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField(allow_null=True)


class ClearanceSerializer(serializers.Serializer[Any]):
    partner = serializers.IntegerField(source="partner.pk")
    partner_name = serializers.CharField(source="partner.name")
    activity_type = serializers.CharField(source="activity_type.code")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    verdict = serializers.ChoiceField(choices=["cleared", "conditional", "blocked", "gap"])
    findings = FindingSerializer(many=True)


class EngagementSerializer(AccordModelSerializer[Engagement]):
    activity_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Engagement
        fields = [
            "id",
            "partner",
            "partner_name",
            "activity_type",
            "title",
            "starts_on",
            "ends_on",
            "location",
            "notes",
            "version",
        ]
        read_only_fields = fields


class EngagementInputSerializer(AccordModelSerializer[Engagement]):
    partner = VisiblePartnerField()
    activity_type = ActivityCodeField()

    class Meta:
        model = Engagement
        fields = ["partner", "activity_type", "title", "starts_on", "ends_on", "location", "notes"]


class EngagementUpdateSerializer(EngagementInputSerializer):
    version = serializers.IntegerField(min_value=1)

    class Meta(EngagementInputSerializer.Meta):
        fields = [*EngagementInputSerializer.Meta.fields, "version"]


@crud_schema(EngagementSerializer, EngagementInputSerializer, EngagementUpdateSerializer)
class EngagementViewSet(RecordViewSet):
    """Planned activities with partners; `clearance` says whether each may go ahead."""

    filterset_class = EngagementFilter
    read_serializer = EngagementSerializer
    input_serializer = EngagementInputSerializer
    update_serializer = EngagementUpdateSerializer
    ordering_fields = ["starts_on", "title"]

    def get_queryset(self) -> QuerySet[Engagement]:
        return (
            engagements_visible_to(self.request.user)
            .select_related("partner", "activity_type")
            .order_by("starts_on", "pk")
        )

    def get_object(self) -> Engagement:
        write = self.action in {"update", "partial_update"}
        self._record = engagement_for_user(self.request.user, self.kwargs["pk"], write=write)
        return self._record

    def create_record(self, **fields: Any) -> Engagement:
        return services.engagement_create(**fields)

    def update_record(self, record: Engagement, **changes: Any) -> Any:
        return services.engagement_update(engagement=record, **changes)

    @extend_schema(responses={200: ClearanceSerializer}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def clearance(self, request: Request, pk: str | None = None) -> Response:
        """May we do this, and what must happen first? A verdict with every reason."""
        engagement = self.get_object()
        result = clearance_check(
            partner=engagement.partner,
            activity_type=engagement.activity_type,
            starts_on=engagement.starts_on,
            ends_on=engagement.ends_on,
            today=timezone.localdate(),
        )
        return Response(ClearanceSerializer(result).data)


class ClearanceRequestSerializer(serializers.Serializer[Any]):
    partner = VisiblePartnerField()
    activity_type = ActivityCodeField()
    starts_on = serializers.DateField(validators=DATE_VALIDATORS)
    ends_on = serializers.DateField(validators=DATE_VALIDATORS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends_on"] < attrs["starts_on"]:
            raise serializers.ValidationError({"ends_on": ["The end comes before the start."]})
        return attrs


class ClearanceCheckView(APIView):
    """An ad-hoc clearance check, without saving an engagement."""

    @extend_schema(request=ClearanceRequestSerializer, responses={200: ClearanceSerializer})
    def post(self, request: Request) -> Response:
        serializer = ClearanceRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        result: Clearance = clearance_check(**serializer.validated_data, today=timezone.localdate())
        return Response(ClearanceSerializer(result).data)


class CoverageCellSerializer(serializers.Serializer[Any]):
    partner = serializers.IntegerField()
    partner_name = serializers.CharField()
    activity_type = serializers.CharField()
    verdict = serializers.ChoiceField(choices=["cleared", "conditional", "blocked", "gap"])
    agreements = serializers.IntegerField()
    mandates = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())


class CoverageSerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    totals = serializers.DictField(child=serializers.IntegerField())
    cells = CoverageCellSerializer(many=True)


class CoverageView(APIView):
    """The legal picture of the portfolio: the clearance verdict for every partner × activity
    type in use, on one day."""

    @extend_schema(
        parameters=[
            OpenApiParameter("on", date, description="The day to judge (default: today)."),
            OpenApiParameter("partner", int, description="One partner, by id."),
            OpenApiParameter(
                "region", str, many=True, enum=Partner.Region.values, description="Regions."
            ),
            OpenApiParameter("activity", str, description="Activity type code."),
            OpenApiParameter(
                "verdict", str, enum=[v.value for v in Verdict], description="Only these cells."
            ),
        ],
        responses={200: CoverageSerializer},
    )
    def get(self, request: Request) -> Response:
        coverage_filter = CoverageFilter(request.query_params, user=request.user)
        if not coverage_filter.is_valid():
            raise serializers.ValidationError(coverage_filter.errors)
        today = timezone.localdate()
        coverage = coverage_matrix(
            user=request.user, today=today, **coverage_filter.matrix_arguments(today=today)
        )
        names = {p.pk: p.name for p in coverage.partners}
        codes = {a.pk: a.code for a in coverage.activity_types}
        cells = [
            {
                "partner": cell.partner_id,
                "partner_name": names[cell.partner_id],
                "activity_type": codes[cell.activity_type_id],
                "verdict": cell.verdict.value,
                "agreements": cell.agreements,
                "mandates": cell.mandates,
                "reasons": [
                    f.detail
                    for f in cell.findings
                    if f.effect in {"blocks", "missing", "condition"}
                ],
            }
            for cell in coverage.listed()
        ]
        return Response({"on": coverage.on, "totals": coverage.totals(), "cells": cells})
