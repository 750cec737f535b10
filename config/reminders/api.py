"""REST API for reminders: the rules (managers edit them), each person's inbox and settings."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    AccordModelSerializer,
    HistoryEntrySerializer,
    HistoryMixin,
    ServiceCrudMixin,
    crud_schema,
)
from config.history import history_entries
from config.reminders import services
from config.reminders.feed import feed_history, feed_path
from config.reminders.inbox import (
    InboxEntry,
    InboxState,
    inbox_entries,
    inbox_reminders,
    reminder_for_user,
)
from config.reminders.models import ReminderRule, ReminderSettings
from config.reminders.registry import Recipient, get_kind, kinds
from config.reminders.rules import (
    can_edit_reminder_rules,
    ensure_default_rules,
    reminder_rule_update,
)
from config.roles import accord_user


class RecipientChoiceSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="What `recipients` holds, e.g. `owner`.")
    # A declared field: DRF's metaclass takes it off the class, so it never shadows Field.label.
    label = serializers.CharField()  # type: ignore[assignment]


class ReminderRuleSerializer(AccordModelSerializer[ReminderRule]):
    """A reminder rule as read: when and whom Accord reminds about one deadline kind."""

    kind_label = serializers.SerializerMethodField()
    lead_days = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Days before the date."
    )
    recipients = serializers.ListField(
        child=serializers.ChoiceField(choices=[str(r) for r in Recipient]), read_only=True
    )
    recipient_choices = serializers.SerializerMethodField(
        help_text="The recipients this kind's rule can name."
    )

    class Meta:
        model = ReminderRule
        fields = [
            "id",
            "kind",
            "kind_label",
            "enabled",
            "lead_days",
            "recipients",
            "recipient_choices",
            "escalate",
            "escalate_after_days",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_kind_label(self, rule: ReminderRule) -> str:
        kind = get_kind(rule.kind)
        return kind.label if kind else rule.kind

    @extend_schema_field(RecipientChoiceSerializer(many=True))
    def get_recipient_choices(self, rule: ReminderRule) -> list[dict[str, str]]:
        kind = get_kind(rule.kind)
        return [{"value": str(r), "label": r.label} for r in (kind.recipients if kind else ())]


@extend_schema_field({"type": "array", "items": {"type": "integer"}, "example": [90, 30, 7, 0]})
class _LeadDaysField(serializers.JSONField):
    """Read as given: `rules.clean_rule` checks it, for every door alike."""


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": [str(r) for r in Recipient]}}
)
class _RecipientsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "integer", "nullable": True, "minimum": 1})
class _DelayField(serializers.JSONField):
    pass


class ReminderRuleUpdateSerializer(serializers.Serializer[Any]):
    """A change to a rule. Lead times: whole days from 0 to 3,650, each once; an escalation
    needs a delay in days."""

    enabled = serializers.BooleanField()
    lead_days = _LeadDaysField()
    recipients = _RecipientsField()
    escalate = serializers.BooleanField()
    escalate_after_days = _DelayField(allow_null=True)
    version = serializers.IntegerField(
        min_value=1, help_text="The version this change is based on. A stale one answers 409."
    )


class CanEditReminderRules(permissions.BasePermission):
    message = "Only managers change reminder rules."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or can_edit_reminder_rules(request.user)


@crud_schema(ReminderRuleSerializer, ReminderRuleUpdateSerializer, ReminderRuleUpdateSerializer)
class ReminderRuleViewSet(
    ServiceCrudMixin,
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[ReminderRule],
):
    """One rule per deadline kind: lead times, recipients by role, escalation, on/off. Everyone
    reads them; managers and administrators change them. Rules are neither created nor deleted
    here: each kind has one."""

    filterset_class = None
    http_method_names = ["get", "put", "patch", "head", "options"]  # one rule per kind
    ordering_fields = ["kind"]
    read_serializer = ReminderRuleSerializer
    input_serializer = ReminderRuleUpdateSerializer
    update_serializer = ReminderRuleUpdateSerializer

    def get_permissions(self) -> list[Any]:
        return [*super().get_permissions(), CanEditReminderRules()]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema reads the model only
            return ReminderRule.objects.none()
        ensure_default_rules()
        return ReminderRule.objects.filter(kind__in=[kind.code for kind in kinds()]).order_by(
            "kind"
        )

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        if self.action == "history":
            return HistoryEntrySerializer
        return super().get_serializer_class()

    def get_object(self) -> ReminderRule:
        self._record: ReminderRule = super().get_object()
        return self._record

    def update_record(self, record: ReminderRule, **changes: Any) -> ReminderRule:
        current = {
            "enabled": record.enabled,
            "lead_days": record.lead_days,
            "recipients": record.recipients,
            "escalate": record.escalate,
            "escalate_after_days": record.escalate_after_days,
        }
        return reminder_rule_update(rule=record, **{**current, **changes})


class ReminderSerializer(serializers.Serializer[Any]):
    """One of your reminders, with what it is about and where to settle it."""

    id = serializers.IntegerField(source="reminder.pk")
    kind = serializers.CharField(source="reminder.kind")
    kind_label = serializers.CharField()
    subject_id = serializers.IntegerField(source="reminder.subject_id")
    subject = serializers.CharField(source="wording.subject")
    sentence = serializers.CharField(source="wording.sentence")
    why = serializers.CharField(source="wording.why")
    action = serializers.CharField(source="wording.action")
    partners = serializers.ListField(child=serializers.CharField(), source="wording.partners")
    link = serializers.SerializerMethodField(help_text="The record's page.")
    due_on = serializers.DateField(source="reminder.due_on")
    days_left = serializers.IntegerField(help_text="Negative once overdue.")
    lead_days = serializers.IntegerField(
        source="reminder.lead_days",
        help_text="The threshold reminded (days before); negative: an escalation after.",
    )
    reminded = serializers.CharField(
        help_text="What the reminder is, read today, as the inbox says it: e.g. “30 days before "
        "the date”, “Due today”, “Due 3 days ago”, “Escalation after 7 days overdue”."
    )
    state = serializers.ChoiceField(choices=[str(s) for s in InboxState])
    status = serializers.CharField(source="reminder.status", help_text="E-mail delivery.")
    acknowledged_at = serializers.DateTimeField(source="reminder.acknowledged_at", allow_null=True)
    snoozed_until = serializers.DateField(source="reminder.snoozed_until", allow_null=True)

    def get_link(self, entry: InboxEntry) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(entry.url) if request is not None else entry.url


class SnoozeSerializer(serializers.Serializer[Any]):
    until = serializers.CharField(
        max_length=20,
        help_text="YYYY-MM-DD: a day after today, at most a year ahead; open again that day.",
    )


_STATE = OpenApiParameter(
    "state",
    str,
    enum=[str(s) for s in InboxState],
    description="open (neither acknowledged nor snoozed), acknowledged, or snoozed.",
)


class ReminderViewSet(viewsets.GenericViewSet[Any]):
    """Your reminders (never anyone else's): what is due, acknowledge it, snooze it until a
    day. Reminders about records you may no longer read are not listed."""

    serializer_class = ReminderSerializer
    filter_backends: list[Any] = []

    def _today(self) -> Any:
        return timezone.localdate()

    def _state(self) -> InboxState | None:
        raw = self.request.query_params.get("state")
        if raw in (None, ""):
            return None
        try:
            return InboxState(raw)
        except ValueError:
            choices = ", ".join(str(s) for s in InboxState)
            raise serializers.ValidationError(
                {"state": [f"Choose {choices}, not “{raw[:20]}”."]}
            ) from None

    def get_queryset(self) -> Any:
        return inbox_reminders(self.request.user, today=self._today(), state=self._state())

    def _entry(self, pk: Any) -> InboxEntry:
        today = self._today()
        reminder = reminder_for_user(self.request.user, pk, today=today)
        found = inbox_entries([reminder], today=today)
        if not found:
            raise Http404("No such reminder.")
        return found[0]

    def _answer(self, entry: InboxEntry) -> Response:
        return Response(ReminderSerializer(entry, context={"request": self.request}).data)

    @extend_schema(parameters=[_STATE], responses={200: ReminderSerializer(many=True)})
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = list(page if page is not None else self.get_queryset())
        entries = inbox_entries(rows, today=self._today())
        data = ReminderSerializer(entries, many=True, context={"request": request}).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(self._entry(pk))

    @extend_schema(request=None, responses={200: ReminderSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Done with it: it leaves the open list. Twice changes nothing."""
        entry = self._entry(pk)
        services.reminder_acknowledge(by=accord_user(request), reminder=entry.reminder)
        return self._answer(self._entry(pk))

    @extend_schema(request=SnoozeSerializer, responses={200: ReminderSerializer})
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        """Hide it until a day; it is open again on that day."""
        entry = self._entry(pk)
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.reminder_snooze(
            by=accord_user(request), reminder=entry.reminder, until=body.validated_data["until"]
        )
        return self._answer(self._entry(pk))

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)}, parameters=[])
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        """What you did with this reminder: acknowledged, snoozed until a day — who, when, old
        and new values, newest first. What the system does with it (sending the e-mail) is its
        `status`, not its history."""
        entry = self._entry(pk)
        return Response(HistoryEntrySerializer(history_entries(entry.reminder), many=True).data)


class ReminderSettingsSerializer(serializers.ModelSerializer[ReminderSettings]):
    """Your reminder settings; `feed_url` is your private calendar (keep it secret)."""

    muted_kinds = serializers.ListField(child=serializers.CharField(), read_only=True)
    feed_url = serializers.SerializerMethodField(
        help_text="Your private calendar (ICS). Anyone with it reads your dates: reset it if "
        "it leaks."
    )

    class Meta:
        model = ReminderSettings
        fields = ["delivery", "muted_kinds", "feed_url"]
        read_only_fields = fields

    def get_feed_url(self, record: ReminderSettings) -> str:
        request = self.context.get("request")
        path = feed_path(record.feed_token)
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_field(
    {"type": "array", "items": {"type": "string"}, "example": ["agreements.review_due"]}
)
class _KindsField(serializers.JSONField):
    pass


class ReminderSettingsInputSerializer(serializers.Serializer[Any]):
    delivery = serializers.CharField(
        required=False, help_text="`immediate` (an e-mail each) or `digest` (one a day)."
    )
    muted_kinds = _KindsField(
        required=False, help_text="Deadline kinds to get no reminders about (codes)."
    )


class ReminderSettingsView(APIView):
    """Your own reminder settings: immediate e-mails or a daily digest, muted kinds."""

    def _answer(self, request: Request, record: ReminderSettings) -> Response:
        return Response(ReminderSettingsSerializer(record, context={"request": request}).data)

    @extend_schema(responses={200: ReminderSettingsSerializer})
    def get(self, request: Request) -> Response:
        return self._answer(request, services.reminder_settings_for(accord_user(request)))

    @extend_schema(
        request=ReminderSettingsInputSerializer, responses={200: ReminderSettingsSerializer}
    )
    def patch(self, request: Request) -> Response:
        body = ReminderSettingsInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = services.reminder_settings_update(
            by=accord_user(request),
            delivery=body.validated_data.get("delivery"),
            muted_kinds=body.validated_data.get("muted_kinds"),
        )
        return self._answer(request, record)


class ReminderFeedResetView(APIView):
    """A new private calendar URL; the old one answers 404 from now on."""

    @extend_schema(request=None, responses={200: ReminderSettingsSerializer})
    def post(self, request: Request) -> Response:
        record = services.reminder_feed_reset(by=accord_user(request))
        return Response(ReminderSettingsSerializer(record, context={"request": request}).data)


class ReminderSettingsHistoryView(APIView):
    """Every change to your reminder settings (calendar URLs are not shown, only resets)."""

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)})
    def get(self, request: Request) -> Response:
        record = services.reminder_settings_for(accord_user(request))
        return Response(HistoryEntrySerializer(feed_history(record), many=True).data)
