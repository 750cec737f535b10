"""The deadline kinds the checklists app owns, declared for the reminder engine."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from checklists.gap_reports.models import GapReport, GapReportFile
from checklists.gap_reports.selectors import gap_reports_visible_to
from checklists.gap_reports.subscriptions import NOTICE_KIND
from checklists.models import Assessment, Criticality, ItemResponse
from checklists.selectors import assessments_visible_to
from config.display import long_day
from config.reminders.registry import (
    DeadlineKind,
    Recipient,
    Row,
    Wording,
    record_path,
    register,
)
from config.roles import AnyUser

R = ItemResponse.Result
OPEN_STATUSES = (Assessment.Status.DRAFT, Assessment.Status.IN_PROGRESS)


def _assessment_name(partner: str, template: str) -> str:
    return f"{partner}'s {template} assessment"


# --- remediation ------------------------------------------------------------------------------


def _live_remediations() -> QuerySet[ItemResponse]:
    """Unmet and partly met answers with a remediation date, in the partner's current round of
    that checklist: once a later round exists (a clone carrying the answer forward, or a new
    assessment of the same checklist, any version), the old round's answer is history, and an
    item is listed once, from the round that still needs it fixed."""
    created = OuterRef("assessment__created_at")
    later = Assessment.objects.filter(
        Q(created_at__gt=created) | Q(created_at=created, pk__gt=OuterRef("assessment_id")),
        partner_id=OuterRef("assessment__partner_id"),
        template__urn=OuterRef("assessment__template__urn"),
    )
    replaced = Assessment.objects.filter(previous_id=OuterRef("assessment_id"))
    return (
        ItemResponse.objects.filter(
            result__in=(R.NOT_MET, R.PARTIALLY_MET), remediation_due_on__isnull=False
        )
        .exclude(Exists(replaced))
        .exclude(Exists(later))
    )


def _remediations_visible_to(user: AnyUser) -> QuerySet[ItemResponse]:
    return ItemResponse.objects.filter(assessment__in=assessments_visible_to(user))


def _describe_remediation(response: Row, due_on: date) -> Wording:
    code, partner = response["code"], response["partner"]
    result = "not met" if response["result"] == R.NOT_MET else "only partly met"
    high = (
        " It is a high-criticality item: it caps the partner's level."
        if response["criticality"] == Criticality.HIGH and response["result"] == R.NOT_MET
        else ""
    )
    return Wording(
        subject=f"{code} — {partner}",
        sentence=f"Remediation of {code} in {_assessment_name(partner, response['template'])} "
        f"is due on {long_day(due_on)}.",
        why=f"The requirement is {result}; the gap stays in every gap report until it is "
        f"fixed.{high}",
        action="Fix the remediation, or record the new result",
        partners=(partner,),
    )


_assessment_path = record_path("assessment")


def _remediation_url(response: Row) -> str:
    return f"{_assessment_path({'pk': response['assessment_id']})}#item-{response['code']}"


REMEDIATION_DUE = DeadlineKind(
    code="checklists.remediation_due",
    label="Remediation due",
    subjects=_live_remediations,
    date_field="remediation_due_on",
    visible_to=_remediations_visible_to,
    describe=_describe_remediation,
    url=_remediation_url,
    recipient_paths={
        Recipient.OWNER: "owner",
        Recipient.LIAISON_OFFICERS: "assessment__partner__liaison_officers",
    },
    # The partner's LOs read its assessments; an owner or assessor may have left the portfolio.
    path_grants_access=(Recipient.LIAISON_OFFICERS,),
    partner_path="assessment__partner",
    columns={
        "result": "result",
        "code": "item__code",
        "criticality": "item__criticality",
        "assessment_id": "assessment_id",
        "partner": "assessment__partner__name",
        "template": "assessment__template__title",
    },
    default_leads=(30, 7, 0),
)


# --- assessments ------------------------------------------------------------------------------


def _open_assessments() -> QuerySet[Assessment]:
    return Assessment.objects.filter(status__in=OPEN_STATUSES, due_on__isnull=False)


def _describe_assessment(assessment: Row, due_on: date) -> Wording:
    name = _assessment_name(assessment["partner"], assessment["template"])
    return Wording(
        subject=name,
        sentence=f"{name} is due to be submitted on {long_day(due_on)}.",
        why=(
            "Scores, levels and gap reports show the partner's last approved round until this "
            "one is submitted and approved."
        ),
        action="Complete and submit the assessment",
        partners=(assessment["partner"],),
    )


ASSESSMENT_DUE = DeadlineKind(
    code="checklists.assessment_due",
    label="Assessment due",
    subjects=_open_assessments,
    date_field="due_on",
    visible_to=assessments_visible_to,
    describe=_describe_assessment,
    url=_assessment_path,
    recipient_paths={
        Recipient.OWNER: "assessor",
        Recipient.LIAISON_OFFICERS: "partner__liaison_officers",
    },
    # The partner's LOs read its assessments; an owner or assessor may have left the portfolio.
    path_grants_access=(Recipient.LIAISON_OFFICERS,),
    partner_path="partner",
    columns={"partner": "partner__name", "template": "template__title"},
    default_leads=(30, 7, 0),
)


# --- a gap report edition is ready (a notification, not a deadline) ------------------------------


def _done_editions() -> QuerySet[GapReport]:
    return GapReport.objects.filter(status=GapReport.Status.DONE).select_related("partner")


def _describe_edition(report: GapReport, due_on: date) -> Wording:
    made = "by the weekly schedule" if report.generated_by_id is None else "on request"
    scope = "portfolio" if report.scope == GapReport.Scope.PORTFOLIO else report.scope_label
    return Wording(
        subject=f"{report.scope_label} gap report as of {long_day(report.as_of)}",
        sentence=(
            f"The {scope} gap report as of {long_day(report.as_of)} is ready (generated {made}, "
            f"deadlines {report.horizon_days} days ahead)."
        ),
        why=(
            "You subscribed to these editions. The briefing PDF is attached, with the partners "
            "you may read; you can end the subscription on the gap reports page."
        ),
        action="Read the summary, the heat map and what changed since the last edition",
    )


def _briefing_attachment(report: GapReport, user: User) -> list[tuple[str, bytes, str]]:
    from checklists.gap_reports.files import stored_file
    from checklists.gap_reports.views import briefing_filename, briefing_pdf

    # A full-view subscriber gets the stored PDF when it is made; an LO theirs, rendered.
    stored = stored_file(report, user, GapReportFile.Kind.PDF)
    document = bytes(stored.content) if stored else briefing_pdf(report, user)
    return [(briefing_filename(report), document, "application/pdf")]


GAP_REPORT_READY = DeadlineKind(
    code=NOTICE_KIND,
    label="Gap report ready",
    subjects=_done_editions,
    date_field="as_of",
    visible_to=gap_reports_visible_to,
    describe=_describe_edition,
    url=lambda report: reverse("gap-report", args=[report.pk]),
    related=("partner",),
    notification=True,
    attachments=_briefing_attachment,
)


def register_kinds() -> None:
    register(REMEDIATION_DUE, ASSESSMENT_DUE, GAP_REPORT_READY)
