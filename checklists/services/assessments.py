"""Writes for assessments: create, clone, upgrade, answer, re-confirm, evidence files, submit,
return, approve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from agreements.models import Partner
from agreements.selectors import accord_people, can_edit_partner, partners_visible_to
from checklists.exceptions import ChecklistsError, EvidenceMissingError
from checklists.models import (
    Area,
    Assessment,
    ChecklistTemplate,
    Criticality,
    EvidenceFile,
    ItemResponse,
)
from checklists.selectors import can_review_assessment, responses_to_reconfirm
from config.display import day
from config.errors import StaleVersionError
from config.uploads import check_upload

S = Assessment.Status
R = ItemResponse.Result
RESPONSE_FIELDS = frozenset(
    {"result", "evidence_text", "evidence_link", "owner", "remediation_plan", "remediation_due_on"}
)
EVIDENCE_TYPES = frozenset(
    {".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".txt", ".csv", ".png", ".jpg", ".jpeg"}
)


def _check_writer(by: User, partner: Partner) -> None:
    if not partners_visible_to(by).filter(pk=partner.pk).exists():
        raise ValidationError({"partner": ["No such partner."]})
    if not can_edit_partner(by, partner):
        raise PermissionDenied("Only the partner's liaison officers answer its assessments.")


def _check_open(assessment: Assessment) -> None:
    if assessment.status in {S.SUBMITTED, S.APPROVED}:
        raise ChecklistsError(
            f"This assessment is {assessment.get_status_display().lower()} and read-only"
            + ("; start a new round as a clone." if assessment.status == S.APPROVED else "."),
            field_errors={
                "status": [f"The assessment is {assessment.get_status_display().lower()}."]
            },
        )


def _check_answerer(by: User, assessment: Assessment) -> None:
    if not can_edit_partner(by, assessment.partner):
        raise PermissionDenied("Only the partner's liaison officers answer its assessments.")
    _check_open(assessment)


def _mark_in_progress(assessment: Assessment, *, by: User) -> None:
    """The first answer or file moves a draft to in progress. The conditional update claims
    the move once; the history records who made it (a queryset update leaves no snapshot)."""
    claimed = Assessment.objects.filter(pk=assessment.pk, status=S.DRAFT).update(
        status=S.IN_PROGRESS, version=F("version") + 1
    )
    if claimed == 1:
        fresh = Assessment.objects.get(pk=assessment.pk)
        assessment.status, assessment.version = fresh.status, fresh.version
        _record_history(fresh, by=by, reason="First answer given.")


def _record_history(assessment: Assessment, *, by: User, reason: str) -> None:
    """A history snapshot for a change written with a conditional queryset update."""
    assessment._history_user = by
    assessment._change_reason = reason
    Assessment.history.bulk_history_create([assessment], update=True)


def _create_responses(rows: list[ItemResponse], *, by: User) -> None:
    """Create the responses with a first snapshot each, so the history of every later answer
    has the value it changed from (one bulk insert more, not one per row)."""
    bulk_create_with_history(rows, ItemResponse, default_user=by)


def _copy_evidence_files(pairs: list[tuple[ItemResponse, ItemResponse]]) -> None:
    """Give each new response its own rows for the files of the response it came from (the
    stored files are shared, not copied)."""
    by_source = {source.pk: target for source, target in pairs}
    kept = ("name", "size_bytes", "content_type", "sha256", "uploaded_by_id", "uploaded_at")
    EvidenceFile.objects.bulk_create(
        EvidenceFile(
            response=by_source[evidence.response_id],
            file=evidence.file.name,
            **{name: getattr(evidence, name) for name in kept},
        )
        for evidence in EvidenceFile.objects.filter(response_id__in=by_source)
    )


@transaction.atomic
def assessment_create(
    *, by: User, partner: Partner, template: ChecklistTemplate, **fields: Any
) -> Assessment:
    """A new assessment with one unanswered response per template item."""
    _check_writer(by, partner)
    assessment = Assessment(partner=partner, template=template, **fields)
    assessment.full_clean()
    assessment._history_user = by
    assessment.save()
    _create_responses(
        [ItemResponse(assessment=assessment, item=item) for item in template.items.all()], by=by
    )
    return assessment


@transaction.atomic
def assessment_clone(*, source: Assessment, by: User) -> Assessment:
    """The next round for the same partner and template: answers and evidence kept, each
    result marked to be re-confirmed."""
    _check_writer(by, source.partner)
    open_round = (
        Assessment.objects.filter(partner=source.partner, template__urn=source.template.urn)
        .exclude(status=Assessment.Status.APPROVED)
        .order_by("created_at")
        .first()
    )
    if open_round is not None:
        # Two open rounds of one checklist would split the answers between them.
        raise ChecklistsError(
            f"{source.partner} already has an open round of this checklist "
            f"({open_round.get_status_display().lower()}, started "
            f"{day(open_round.created_at)}): finish it before starting another.",
            field_errors={"source": ["An open round exists; finish it first."]},
        )
    clone = Assessment(
        partner=source.partner,
        template=source.template,
        kind=source.kind,
        agreement=source.agreement,
        assessor=source.assessor,
        previous=source,
    )
    clone._history_user = by
    clone.save()
    pairs = [
        (
            r,
            ItemResponse(
                assessment=clone,
                item_id=r.item_id,
                result=r.result,
                needs_reconfirmation=r.result != R.NOT_ASSESSED,
                evidence_text=r.evidence_text,
                evidence_link=r.evidence_link,
                owner_id=r.owner_id,
                remediation_plan=r.remediation_plan,
                remediation_due_on=r.remediation_due_on,
            ),
        )
        for r in source.responses.all()
    ]
    _create_responses([target for _, target in pairs], by=by)
    _copy_evidence_files(pairs)
    return clone


@dataclass
class UpgradeReport:
    assessment: Assessment
    carried_over: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@transaction.atomic
def assessment_upgrade(*, source: Assessment, to: ChecklistTemplate, by: User) -> UpgradeReport:
    """A new assessment on a newer version of the same template. Answers carry over for items
    whose code and requirement are unchanged; changed and new items start unanswered."""
    _check_writer(by, source.partner)
    if to.urn != source.template.urn or to.version <= source.template.version:
        raise ChecklistsError(
            "Upgrade to a newer version of the same template.",
            field_errors={
                "template": [
                    f"Choose a version of {source.template.urn} newer than "
                    f"{source.template.version}."
                ]
            },
        )
    old = {r.item.code: r for r in source.responses.select_related("item")}
    new = Assessment(
        partner=source.partner,
        template=to,
        kind=source.kind,
        agreement=source.agreement,
        assessor=source.assessor,
        previous=source,
    )
    new._history_user = by
    new.save()
    report = UpgradeReport(assessment=new)
    rows = []
    carried: list[tuple[ItemResponse, ItemResponse]] = []
    for item in to.items.all():
        previous = old.pop(item.code, None)
        if previous is not None and previous.item.requirement == item.requirement:
            report.carried_over.append(item.code)
            row = ItemResponse(
                assessment=new,
                item=item,
                result=previous.result,
                evidence_text=previous.evidence_text,
                evidence_link=previous.evidence_link,
                owner_id=previous.owner_id,
                remediation_plan=previous.remediation_plan,
                remediation_due_on=previous.remediation_due_on,
            )
            carried.append((previous, row))
        else:
            (report.changed if previous is not None else report.added).append(item.code)
            row = ItemResponse(assessment=new, item=item)
        rows.append(row)
    report.removed = sorted(old)
    _create_responses(rows, by=by)
    _copy_evidence_files(carried)
    return report


# Far more than any template's items (the library's largest has 106), so a whole assessment
# goes in one request, but a request cannot ask for thousands of saves.
MAX_CHANGES_AT_ONCE = 500


@transaction.atomic
def responses_update(
    *, assessment: Assessment, by: User, changes: list[dict[str, Any]]
) -> list[ItemResponse]:
    """Answer many items at once: every change is checked first, then all are saved, or none.
    Each change names its item (`code`) and the `version` of the response it was based on.
    The caller has already fetched `assessment` through the access helper."""
    _check_answerer(by, assessment)
    codes = [str(change.get("code", "")) for change in changes]
    if len(changes) > MAX_CHANGES_AT_ONCE:
        raise ValidationError(
            {
                "responses": [
                    f"At most {MAX_CHANGES_AT_ONCE:,} changes at once; {len(changes):,} sent."
                ]
            }
        )
    owner_ids = {
        getattr(change["owner"], "pk", change["owner"])
        for change in changes
        if change.get("owner") is not None
    }
    people = (
        {user.pk: user for user in accord_people().filter(pk__in=owner_ids)} if owner_ids else {}
    )
    responses = {
        r.item.code: r
        for r in assessment.responses.filter(item__code__in=codes)
        .select_related("item")
        .select_for_update()
    }
    errors: dict[str, list[str]] = {}
    planned: list[tuple[ItemResponse, dict[str, Any]]] = []
    today = timezone.localdate()
    first_index: dict[str, int] = {}
    for index, change in enumerate(changes, start=1):
        change = dict(change)
        code = str(change.pop("code", ""))
        where = f"responses[{index}] ({code or 'no code'})"
        response = responses.get(code)
        if response is None:
            errors[f"{where}.code"] = [f"No item “{code}” in {assessment.template}."]
            continue
        if code in first_index:
            # Two changes to one answer on the same version: the second would silently win.
            errors[f"{where}.code"] = [
                f"{code} is listed twice (also as change {first_index[code]}); send one change."
            ]
            continue
        first_index[code] = index
        version = change.pop("version", None)
        if version is None:
            errors[f"{where}.version"] = ["This field is required."]
            continue
        if version != response.version:
            raise StaleVersionError(
                instance_label=f"The answer to {code}",
                expected=version,
                current=response.version,
                record=response,
            )
        unknown = set(change) - RESPONSE_FIELDS
        if unknown:
            errors[where] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
            continue
        if "result" in change and change["result"] not in R.values:
            errors[f"{where}.result"] = [
                f"“{change['result']}” is not a result; use one of {', '.join(R.values)}."
            ]
        if change.get("owner") is not None:
            owner_id = getattr(change["owner"], "pk", change["owner"])
            change["owner"] = people.get(owner_id)
            if change["owner"] is None:
                errors[f"{where}.owner"] = [
                    f"User {owner_id} is not an active Accord user; choose someone with a role."
                ]
        due = change.get("remediation_due_on")
        if due is not None and due < today and due != response.remediation_due_on:
            errors[f"{where}.remediation_due_on"] = ["A new remediation date cannot be past."]
        for name, value in change.items():
            setattr(response, name, value)
        try:
            response.clean_fields(exclude=["assessment", "item", "owner", "version"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors[f"{where}.{name}"] = messages
        if "result" in change:
            response.needs_reconfirmation = False
        planned.append((response, change))
    if errors:
        raise ChecklistsError("Some answers are not valid; nothing was saved.", field_errors=errors)
    for response, _ in planned:
        response._history_user = by
        response.save()  # the versioned save: a concurrent change since the read is refused
    if assessment.status == S.DRAFT and planned:
        _mark_in_progress(assessment, by=by)
    return [response for response, _ in planned]


@transaction.atomic
def evidence_add(
    *, assessment: Assessment, by: User, code: str, file: UploadedFile[bytes]
) -> EvidenceFile:
    """Attach a file to one item's answer, after checking its size, type and content."""
    _check_answerer(by, assessment)
    response = assessment.responses.filter(item__code=code).select_related("item").first()
    if response is None:
        raise ChecklistsError(
            f"No item “{code}” in {assessment.template}.",
            field_errors={"code": [f"No item “{code}” in {assessment.template}."]},
        )
    checked = check_upload(file, limit=settings.ACCORD_EVIDENCE_MAX_BYTES, accepted=EVIDENCE_TYPES)
    evidence = EvidenceFile(
        response=response,
        file=file,
        name=checked.name[:200],
        size_bytes=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    evidence._history_user = by
    evidence.save()
    if assessment.status == S.DRAFT:
        _mark_in_progress(assessment, by=by)
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: EvidenceFile, by: User) -> None:
    """Take a file off an open assessment. The stored file goes once no round refers to it
    (a clone shares its predecessor's files)."""
    assessment = evidence.response.assessment
    _check_answerer(by, assessment)
    stored = evidence.file.name
    storage = evidence.file.storage
    evidence._history_user = by
    evidence.delete()
    if not EvidenceFile.objects.filter(file=stored).exists():
        transaction.on_commit(lambda: storage.delete(stored))


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by: User) -> Assessment:
    """The liaison officer submits. A high-criticality item marked met needs evidence."""
    _check_writer(by, assessment.partner)
    _check_open(assessment)
    missing = list(
        assessment.responses.filter(
            result=R.MET,
            item__criticality=Criticality.HIGH,
            evidence_text="",
            evidence_link="",
            evidence_files__isnull=True,
        ).values_list("item__code", flat=True)
    )
    if missing:
        raise EvidenceMissingError(sorted(missing))
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status not in {S.DRAFT, S.IN_PROGRESS}:
        raise ChecklistsError("The assessment was already submitted.")
    locked.status, locked.submitted_at = S.SUBMITTED, timezone.now()
    locked.returned_note = ""
    locked._history_user = by
    locked.save()
    return locked


def _move_from_submitted(assessment: Assessment, *, refusal: str, **changes: Any) -> None:
    """Claim a submitted assessment and move it on: a conditional UPDATE that only one of two
    concurrent managers can win; the loser (or a second click) is refused."""
    claimed = Assessment.objects.filter(pk=assessment.pk, status=S.SUBMITTED).update(
        **changes, version=F("version") + 1
    )
    if claimed != 1:
        raise ChecklistsError(
            refusal,
            field_errors={
                "status": [f"The assessment is {assessment.get_status_display().lower()}."]
            },
        )
    assessment.refresh_from_db()


@transaction.atomic
def assessment_approve(*, assessment: Assessment, by: User) -> Assessment:
    if not can_review_assessment(by):
        raise PermissionDenied("Only a manager approves an assessment.")
    _move_from_submitted(
        assessment,
        refusal="Only a submitted assessment can be approved.",
        status=S.APPROVED,
        approved_at=timezone.now(),
        approved_by=by,
    )
    _record_history(assessment, by=by, reason="Approved.")
    return assessment


@transaction.atomic
def assessment_return(*, assessment: Assessment, by: User, note: str) -> Assessment:
    """A manager sends a submitted assessment back to its assessor, saying why: it is in
    progress again, with its answers as they were, and the note shows on its page."""
    if not can_review_assessment(by):
        raise PermissionDenied("Only a manager returns an assessment to its assessor.")
    note = note.strip()
    if not note:
        raise ChecklistsError(
            "Say what the assessor should change.",
            field_errors={"note": ["Say what the assessor should change; a note is required."]},
        )
    if len(note) > 4000:
        raise ChecklistsError(
            "The note is too long.",
            field_errors={"note": ["At most 4,000 characters."]},
        )
    _move_from_submitted(
        assessment,
        refusal="Only a submitted assessment can be returned to its assessor.",
        status=S.IN_PROGRESS,
        submitted_at=None,
        returned_note=note,
    )
    _record_history(assessment, by=by, reason=f"Returned to the assessor: {note}")
    return assessment


CONFIRMED = "Confirmed unchanged from the round before."


def _confirm(response: ItemResponse, *, by: User, reason: str) -> None:
    response.needs_reconfirmation = False
    response._history_user = by
    response._change_reason = reason
    response.save()  # the versioned save: a concurrent change since the read is refused


@transaction.atomic
def response_confirm(*, assessment: Assessment, by: User, code: str, version: int) -> ItemResponse:
    """Confirm one carried-over answer as it is (one save). An answer already confirmed or
    changed is left as it is, so confirming twice does nothing more."""
    _check_answerer(by, assessment)
    response = (
        assessment.responses.filter(item__code=code)
        .select_related("item")
        .select_for_update()
        .first()
    )
    if response is None:
        raise ChecklistsError(
            f"No item “{code}” in {assessment.template}.",
            field_errors={"code": [f"No item “{code}” in {assessment.template}."]},
        )
    if not response.needs_reconfirmation:
        return response
    if version != response.version:
        raise StaleVersionError(
            instance_label=f"The answer to {code}",
            expected=version,
            current=response.version,
            record=response,
        )
    _confirm(response, by=by, reason=CONFIRMED)
    return response


@transaction.atomic
def responses_confirm_area(
    *, assessment: Assessment, by: User, area: str, versions: dict[str, int] | None = None
) -> list[ItemResponse]:
    """Confirm every carried-over answer of one area that nobody has changed yet, all or none.
    `versions` (item code → the response version the person saw), when given, refuses the whole
    confirmation if any of those answers changed since; answers already confirmed are left out,
    so confirming an area twice does nothing more."""
    _check_answerer(by, assessment)
    if area not in Area.values:
        raise ChecklistsError(
            f"“{area}” is not an area.",
            field_errors={
                "area": [f"“{area}” is not an area; use one of {', '.join(Area.values)}."]
            },
        )
    pending = list(
        responses_to_reconfirm(assessment, area=area)
        .select_related("item")
        .select_for_update()
        .order_by("item__position")
    )
    for response in pending:
        seen = (versions or {}).get(response.item.code)
        if seen is not None and seen != response.version:
            raise StaleVersionError(
                instance_label=f"The answer to {response.item.code}",
                expected=seen,
                current=response.version,
                record=response,
            )
    label = Area(area).label
    for response in pending:
        _confirm(response, by=by, reason=f"{CONFIRMED} (all unchanged in {label})")
    if pending:
        codes = ", ".join(r.item.code for r in pending)
        _record_history(
            assessment,
            by=by,
            reason=f"Confirmed {len(pending)} unchanged answer{'s' if len(pending) != 1 else ''} "
            f"in {label}: {codes}.",
        )
    return pending
