"""API of gap report editions: list, read, request (202 with the status address), rows,
retry. Reading an edition never recomputes it."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.models import Partner
from checklists.gap_reports.models import (
    DEFAULT_HORIZON_DAYS,
    MAX_HORIZON_DAYS,
    MIN_HORIZON_DAYS,
    GapReport,
    GapReportRow,
    GapReportSubscription,
)
from checklists.gap_reports.selectors import (
    gap_report_for_user,
    gap_report_row_pages,
    gap_report_rows,
    gap_report_summary,
    gap_reports_visible_to,
    stored_row_count,
)
from checklists.gap_reports.subscriptions import (
    gap_report_subscribe,
    gap_report_unsubscribe,
    subscriptions_of,
)
from checklists.models import Area
from checklists.services.gap_reports import gap_report_request, gap_report_retry
from config.api import AccordModelSerializer, WholeNumberField, api_url
from config.bounds import DATE_VALIDATORS
from config.filters import BoundedDateFilter, IdFilter, StrictFilterSet
from config.pagination import AccordPagination
from config.roles import accord_user


class GapReportFilter(StrictFilterSet):
    scope = django_filters.ChoiceFilter(choices=GapReport.Scope.choices)
    status = django_filters.MultipleChoiceFilter(choices=GapReport.Status.choices, distinct=False)
    partner = IdFilter(field_name="partner_id", label="Partner id")
    region = django_filters.ChoiceFilter(choices=Partner.Region.choices)
    trigger = django_filters.ChoiceFilter(choices=GapReport.Trigger.choices)
    as_of_from = BoundedDateFilter(
        field_name="as_of", lookup_expr="gte", help_text="As of this date or later (YYYY-MM-DD)."
    )

    class Meta:
        model = GapReport
        fields = ["scope", "status", "partner", "region", "trigger", "as_of_from"]


class GapReportRowFilter(StrictFilterSet):
    section = django_filters.ChoiceFilter(choices=GapReportRow.Section.choices)
    kind = django_filters.CharFilter(max_length=32, help_text="e.g. item, notice, blocked.")
    partner = IdFilter(field_name="partner_id", label="Partner id")
    area = django_filters.ChoiceFilter(
        field_name="data__area", choices=Area.choices, help_text="Interoperability area."
    )
    gaps_only = django_filters.BooleanFilter(field_name="is_gap", help_text="Gaps, not scores.")

    class Meta:
        model = GapReportRow
        fields = ["section", "kind", "partner", "area", "gaps_only"]


class GapReportSerializer(AccordModelSerializer[GapReport]):
    partner_name = serializers.CharField(source="partner.name", read_only=True, default=None)
    scope_label = serializers.CharField(read_only=True)
    generated_by = serializers.CharField(
        source="generated_by.username", read_only=True, default=None
    )
    status_url = serializers.SerializerMethodField()
    rows_url = serializers.SerializerMethodField()

    class Meta:
        model = GapReport
        fields = [
            "id",
            "scope",
            "scope_label",
            "partner",
            "partner_name",
            "region",
            "as_of",
            "horizon_days",
            "generated_by",
            "trigger",
            "period",
            "status",
            "progress",
            "progress_label",
            "reason",
            "previous",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "status_url",
            "rows_url",
        ]
        read_only_fields = fields

    def get_status_url(self, report: GapReport) -> str:
        return api_url(self.context, "gap-report-detail", pk=report.pk)

    def get_rows_url(self, report: GapReport) -> str:
        return api_url(self.context, "gap-report-rows", pk=report.pk)


class GapReportRowSerializer(AccordModelSerializer[GapReportRow]):
    # A declared field named like Serializer.data: DRF's metaclass takes it off the class.
    data = serializers.DictField(  # type: ignore[assignment]
        read_only=True, help_text="What the row says; the keys depend on section and kind."
    )

    class Meta:
        model = GapReportRow
        fields = [
            "id",
            "section",
            "kind",
            "partner",
            "rank",
            "importance",
            "key",
            "is_gap",
            "severity",
            "blocks_planned_work",
            "due_on",
            "score",
            "data",
        ]
        read_only_fields = fields


class SummarySerializer(serializers.Serializer[Any]):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Gaps per section.")
    blocking = serializers.IntegerField(help_text="Gaps that block planned work.")
    partners = serializers.IntegerField(help_text="Partners with a score.")
    average_score = serializers.FloatField(allow_null=True)
    top = GapReportRowSerializer(many=True, help_text="The ten most important gaps.")
    changes = serializers.DictField(
        child=serializers.IntegerField(), help_text="new / closed / slipped / level."
    )


class GapReportDetailSerializer(GapReportSerializer):
    summary = serializers.SerializerMethodField()

    class Meta(GapReportSerializer.Meta):
        fields = [*GapReportSerializer.Meta.fields, "summary"]
        read_only_fields = fields

    @extend_schema_field(SummarySerializer(allow_null=True))
    def get_summary(self, report: GapReport) -> dict[str, Any] | None:
        if report.status != GapReport.Status.DONE:
            return None
        user = self.context["request"].user
        return dict(SummarySerializer(gap_report_summary(report, user)).data)


class GapReportRequestSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=GapReport.Scope.choices)
    partner = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="For a partner edition: the partner's id.",
    )
    region = serializers.ChoiceField(
        choices=Partner.Region.choices, required=False, allow_blank=True, default=""
    )
    as_of = serializers.DateField(validators=DATE_VALIDATORS)
    horizon_days = WholeNumberField(
        default=DEFAULT_HORIZON_DAYS, min_value=MIN_HORIZON_DAYS, max_value=MAX_HORIZON_DAYS
    )


class GapReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[GapReport],
):
    """Gap report editions you may read. `POST` asks for one and answers 202 with its address
    (`Location` and `status_url`): poll it until `status` is `done` (then read `summary` and
    `rows_url`) or `failed` (`reason`; `retry` queues it again). An identical request while one
    is queued or running answers with that one. A liaison officer sees only their partners'
    rows of a portfolio edition, and counts computed from them."""

    serializer_class = GapReportSerializer
    filterset_class = GapReportFilter
    ordering_fields = ["as_of", "created_at"]

    def get_queryset(self) -> QuerySet[GapReport]:
        return gap_reports_visible_to(self.request.user).order_by("-as_of", "-created_at", "-pk")

    def get_object(self) -> GapReport:
        return gap_report_for_user(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        if self.action == "retrieve":
            return GapReportDetailSerializer
        return GapReportSerializer

    def _accepted(self, report: GapReport) -> Response:
        body = GapReportSerializer(report, context={"request": self.request}).data
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]}
        )

    @extend_schema(request=GapReportRequestSerializer, responses={202: GapReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = GapReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = gap_report_request(by=accord_user(request), **serializer.validated_data)
        return self._accepted(report)

    @extend_schema(
        responses={200: GapReportRowSerializer(many=True)},
        filters=False,
        parameters=[
            OpenApiParameter("section", str, enum=GapReportRow.Section.values),
            OpenApiParameter("kind", str, description="e.g. item, notice, blocked."),
            OpenApiParameter("partner", int, description="Partner id."),
            OpenApiParameter("area", str, enum=Area.values, description="Interoperability area."),
            OpenApiParameter("gaps_only", bool, description="Gaps, not scores."),
        ],
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def rows(self, request: Request, pk: str | None = None) -> Response:
        """The edition's rows you may see, section by section, most important first (none
        until it is done)."""
        report = self.get_object()
        filters = GapReportRowFilter(
            request.query_params, queryset=gap_report_rows(report, request.user), request=request
        )
        if not filters.is_valid():
            raise serializers.ValidationError(dict(filters.errors))
        rows = filters.qs
        # A full-view reader's page counts come from the edition's stored counts (counting
        # 100,000 rows per page is most of the read); any other filter counts the rows.
        chosen = {k for k, v in filters.form.cleaned_data.items() if v not in (None, "")}
        count = None
        pages: Any = rows
        if chosen <= {"section"}:
            section = filters.form.cleaned_data.get("section")
            count = stored_row_count(report, request.user, section=section)
            by_ids = gap_report_row_pages(report, request.user, section=section)
            pages = rows if by_ids is None else by_ids
        paginator = self.paginator
        if isinstance(paginator, AccordPagination):
            page = paginator.paginate_counted(pages, request, self, count=count)
        else:
            page = self.paginate_queryset(rows)
        return self.get_paginated_response(GapReportRowSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: GapReportSerializer})
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Queue a failed edition again."""
        report = gap_report_retry(report=self.get_object(), by=accord_user(request))
        return self._accepted(report)


# --- subscriptions ---------------------------------------------------------------------------


class GapReportSubscriptionSerializer(serializers.ModelSerializer[GapReportSubscription]):
    scope_label = serializers.CharField(read_only=True)

    class Meta:
        model = GapReportSubscription
        fields = ["id", "scope", "partner", "region", "scope_label", "created_at"]
        read_only_fields = ["id", "scope_label", "created_at"]
        extra_kwargs = {"partner": {"queryset": Partner.objects.all(), "required": False}}


class SubscriptionHistorySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    change = serializers.CharField(help_text="subscribed or ended")
    scope_label = serializers.CharField()
    by = serializers.CharField(allow_null=True)


class GapReportSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[GapReportSubscription],
):
    """Your subscriptions: each new edition of the scope is e-mailed to you once, with the
    briefing PDF as you may read it. Subscribing twice to a scope answers the existing one."""

    serializer_class = GapReportSubscriptionSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[GapReportSubscription]:
        return subscriptions_of(self.request.user)

    @extend_schema(
        responses={
            201: GapReportSubscriptionSerializer,
            200: OpenApiResponse(
                GapReportSubscriptionSerializer, description="Already subscribed: that one."
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        before = subscriptions_of(request.user).count()
        subscription = gap_report_subscribe(
            by=accord_user(request),
            scope=data.get("scope", GapReport.Scope.PORTFOLIO),
            partner=data.get("partner"),
            region=data.get("region", ""),
        )
        created = subscriptions_of(request.user).count() > before
        return Response(
            self.get_serializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_destroy(self, instance: GapReportSubscription) -> None:
        gap_report_unsubscribe(by=accord_user(self.request), subscription=instance)

    @extend_schema(responses={200: SubscriptionHistorySerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None)
    def history(self, request: Request) -> Response:
        """When you subscribed to and ended each scope, and who did it, newest first."""
        records = (
            GapReportSubscription.history.filter(user_id=request.user.pk)
            .select_related("history_user", "partner")
            .order_by("-history_date")[:200]
        )
        entries = [
            {
                "at": record.history_date,
                "change": "ended" if record.history_type == "-" else "subscribed",
                "scope_label": record.instance.scope_label,
                "by": record.history_user.get_username() if record.history_user else None,
            }
            for record in records
            if record.history_type in "+-"
        ]
        return Response(SubscriptionHistorySerializer(entries, many=True).data)
