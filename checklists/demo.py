"""Demo assessments for quickstart: a few partners' rounds, answered through the services."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agreements.models import Partner
from checklists import services
from checklists.gap_reports.models import GapReport
from checklists.models import Assessment, ChecklistTemplate, ItemResponse
from checklists.services.gap_reports import gap_report_generate, gap_report_scheduled

DEMO_FILE = Path(__file__).resolve().parent / "demo_data" / "assessments.yaml"
R = ItemResponse.Result


def _answer(assessment: Assessment, round_: dict[str, Any], by: Any, today: date) -> None:
    chosen = {code: result for result, codes in round_["results"].items() for code in codes}
    due_in = round_.get("remediation_due_in_days", {})
    overdue: dict[str, date] = {}
    changes = []
    for response in assessment.responses.select_related("item"):
        result = chosen.get(response.item.code, round_["default"])
        change: dict[str, Any] = {
            "code": response.item.code,
            "version": response.version,
            "result": result,
        }
        if result in {R.MET, R.PARTIALLY_MET}:
            change["evidence_text"] = round_["evidence"]
        if result in {R.NOT_MET, R.PARTIALLY_MET}:
            change["owner"] = by
            change["remediation_plan"] = "Agree the missing arrangement at the next staff talks."
            days = due_in.get(response.item.code, due_in.get("default", 90))
            change["remediation_due_on"] = today + timedelta(days=max(days, 0))
            if days < 0:
                overdue[response.item.code] = today + timedelta(days=days)
        changes.append(change)
    services.responses_update(assessment=assessment, by=by, changes=changes)
    # A plan agreed earlier whose date has passed, recorded as it stands (a new remediation
    # date cannot be in the past, so the service is given today and the row then dated back).
    for code, due in overdue.items():
        ItemResponse.objects.filter(assessment=assessment, item__code=code).update(
            remediation_due_on=due
        )


def _date_back(assessment: Assessment, *, days: int) -> None:
    """An approval of some days ago, recorded as it stands: the services approve now, so the
    round's submission and approval are then dated back (the answers stay as answered)."""
    at = timezone.now() - timedelta(days=days)
    Assessment.objects.filter(pk=assessment.pk).update(submitted_at=at, approved_at=at)


@transaction.atomic
def load_demo_assessments(*, today: date) -> int:
    """Each partner's demo rounds, unless it already has an assessment of that template."""
    User = get_user_model()
    manager = User.objects.get(username="manager")
    with DEMO_FILE.open(encoding="utf-8") as handle:
        definition = yaml.safe_load(handle)
    created = 0
    for entry in definition["assessments"]:
        partner = Partner.objects.get(name=entry["partner"])
        if Assessment.objects.filter(partner=partner, template__urn=entry["template"]).exists():
            continue
        template = ChecklistTemplate.objects.filter(urn=entry["template"]).latest("version")
        assessor = User.objects.get(username=entry["assessor"])
        previous = None
        for round_ in entry["rounds"]:
            if previous is None:
                due = entry.get("due_in_days")
                assessment = services.assessment_create(
                    by=assessor,
                    partner=partner,
                    template=template,
                    kind=entry.get("kind", Assessment.Kind.SELF_ASSESSMENT),
                    assessor=assessor,
                    due_on=today + timedelta(days=due) if due else None,
                )
            else:
                assessment = services.assessment_clone(source=previous, by=assessor)
            _answer(assessment, round_, assessor, today)
            if round_["status"] in {Assessment.Status.SUBMITTED, Assessment.Status.APPROVED}:
                assessment = services.assessment_submit(assessment=assessment, by=assessor)
            if round_["status"] == Assessment.Status.APPROVED:
                assessment = services.assessment_approve(assessment=assessment, by=manager)
                if round_.get("approved_days_ago"):
                    _date_back(assessment, days=round_["approved_days_ago"])
            previous = assessment
            created += 1
    return created


def load_demo_gap_reports(*, today: date) -> int:
    """Last week's and this week's scheduled portfolio editions, generated now, so the demo's
    "what changed" and trend have two editions to show. Nothing when editions exist."""
    if GapReport.objects.filter(scope=GapReport.Scope.PORTFOLIO).exists():
        return 0
    generated = 0
    for as_of in (today - timedelta(days=7), today):
        report = gap_report_generate(report=gap_report_scheduled(as_of=as_of))
        generated += report.status == GapReport.Status.DONE
    return generated
