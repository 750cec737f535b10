"""Writes for agreements: records, parties, lifecycle, reviews, documents, the daily job."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agreements.exceptions import AgreementsError
from agreements.models import (
    Agreement,
    AgreementDocument,
    AgreementParty,
    AgreementReview,
    AgreementTransition,
    Partner,
)
from agreements.selectors.agreements import (
    agreements_visible_to,
    can_edit_agreement,
    can_remove_agreement_document,
    can_review_agreement,
)
from agreements.selectors.partners import partners_visible_to
from agreements.validators import validate_language_code
from config.bounds import date_in_range
from config.dates import add_months
from config.display import day
from config.roles import AnyUser, Role, has_role, is_administrator
from config.uploads import check_upload
from config.versioning import versioned_update

S = Agreement.Status
logger = logging.getLogger(__name__)

AGREEMENT_FIELDS = frozenset(
    {
        "reference",
        "title",
        "kind",
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
    }
)

# Where each status may go next. Expiry, renewal and entry into force on the effective date
# also happen in the daily lifecycle job, through the same rules.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.NEGOTIATION, S.LEGAL_REVIEW, S.TERMINATED}),
    S.NEGOTIATION: frozenset({S.DRAFT, S.LEGAL_REVIEW, S.TERMINATED}),
    # Back to negotiation is "changes requested"; to terminated is the legal advisor's rejection.
    S.LEGAL_REVIEW: frozenset({S.NEGOTIATION, S.SIGNED, S.TERMINATED}),
    S.SIGNED: frozenset({S.IN_FORCE, S.TERMINATED}),
    S.IN_FORCE: frozenset({S.SUSPENDED, S.EXPIRED, S.TERMINATED, S.SUPERSEDED}),
    S.SUSPENDED: frozenset({S.IN_FORCE, S.EXPIRED, S.TERMINATED, S.SUPERSEDED}),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
    S.SUPERSEDED: frozenset(),
}
# Clearing an agreement for signature, or rejecting it, is the legal advisor's call.
LEGAL_ADVISOR_TRANSITIONS = frozenset({(S.LEGAL_REVIEW, S.SIGNED), (S.LEGAL_REVIEW, S.TERMINATED)})
# Sending it back for changes is open to the legal advisor as well as to those who edit it.
SHARED_TRANSITIONS = frozenset({(S.LEGAL_REVIEW, S.NEGOTIATION)})
FINAL_STATUSES = frozenset({S.EXPIRED, S.TERMINATED, S.SUPERSEDED})
# What the lifecycle log says of a step that is more than a change of status.
TRANSITION_NAMES: dict[tuple[str, str], str] = {
    (S.LEGAL_REVIEW, S.NEGOTIATION): "Returned from legal review, changes requested",
    (S.LEGAL_REVIEW, S.TERMINATED): "Rejected in legal review",
}


def transition_needs_reason(current: str, to: str) -> bool:
    """A final step, a send-back or a rejection is confirmed with a reason that is kept."""
    return to in FINAL_STATUSES or (current, to) in TRANSITION_NAMES


def transition_label(current: str, to: str) -> str:
    """The button's words: "Return for changes", "Reject", "Move to signed"."""
    if (current, to) == (S.LEGAL_REVIEW, S.NEGOTIATION):
        return "Return for changes"
    if (current, to) == (S.LEGAL_REVIEW, S.TERMINATED):
        return "Reject"
    return f"Move to {S(to).label.lower()}"


def _check_people(*, owner: Any, legal_reviewer: Any) -> None:
    errors: dict[str, list[str]] = {}
    if owner is not None and not owner.groups.filter(name=Role.LIAISON_OFFICER).exists():
        errors["owner"] = [f"{owner.get_username()} is not a liaison officer."]
    if (
        legal_reviewer is not None
        and not legal_reviewer.groups.filter(name=Role.LEGAL_ADVISOR).exists()
    ):
        errors["legal_reviewer"] = [f"{legal_reviewer.get_username()} is not a legal advisor."]
    if errors:
        raise ValidationError(errors)


def _check_owner_in_portfolio(*, by: User, owner: Any, partner_ids: set[int]) -> None:
    """A liaison officer hands an agreement only to a liaison officer of one of its parties:
    ownership would otherwise open partners outside that officer's portfolio."""
    if owner is None or is_administrator(by) or owner.pk == by.pk:
        return
    through = Partner.liaison_officers.through
    if not through.objects.filter(user_id=owner.pk, partner_id__in=partner_ids).exists():
        raise ValidationError(
            {
                "owner": [
                    f"{owner.get_username()} is not a liaison officer of any party to this "
                    "agreement; only administrators assign it outside the parties' portfolios."
                ]
            }
        )


def _check_status_keeps_its_dates(agreement: Agreement, changes: dict[str, Any]) -> None:
    """An edit may not take away what the agreement's status needed: a signed agreement keeps
    its signature date; one in force keeps its effective date, which cannot move ahead of today
    (the daily job puts an agreement in force on that day)."""
    guards: dict[str, str] = {S.SIGNED: S.SIGNED, S.IN_FORCE: S.IN_FORCE, S.SUSPENDED: S.IN_FORCE}
    needs = guards.get(agreement.status)
    if needs is None or not ({"signed_on", "effective_on"} & set(changes)):
        return
    candidate = copy.copy(agreement)
    for name, value in changes.items():
        setattr(candidate, name, value)
    errors: dict[str, list[str]] = {}
    for problem in _transition_problems(candidate, needs, by_hand=False):
        name, _, message = problem.partition(": ")
        errors.setdefault(name, []).append(
            f"The agreement is {agreement.get_status_display().lower()}: {message}"
        )
    effective = candidate.effective_on
    if needs == S.IN_FORCE and effective and effective > timezone.localdate():
        errors.setdefault("effective_on", []).append(
            f"The agreement is {agreement.get_status_display().lower()}: it cannot take effect "
            f"in the future ({effective:%d %B %Y})."
        )
    if errors:
        raise ValidationError(errors)


def _check_related_visible(*, by: User, fields: dict[str, Any]) -> None:
    visible = agreements_visible_to(by)
    for name in ("parent", "supersedes"):
        related = fields.get(name)
        if related is not None and not visible.filter(pk=related.pk).exists():
            raise ValidationError({name: ["No such agreement."]})


@transaction.atomic
def agreement_create(
    *,
    by: User,
    activity_types: Iterable[Any] = (),
    parties: Iterable[dict[str, Any]] = (),
    **fields: Any,
) -> Agreement:
    """A new agreement starts as a draft. A liaison officer owns what they create, and every
    party they name must be a partner they can see."""
    if not (is_administrator(by) or has_role(by, Role.LIAISON_OFFICER)):
        raise PermissionDenied("Only liaison officers and administrators record agreements.")
    unknown = set(fields) - AGREEMENT_FIELDS
    if unknown:
        raise TypeError(f"agreement_create() got unknown fields: {sorted(unknown)}")
    if fields.get("owner") is None and has_role(by, Role.LIAISON_OFFICER):
        fields["owner"] = by
    _check_people(owner=fields.get("owner"), legal_reviewer=fields.get("legal_reviewer"))
    _check_related_visible(by=by, fields=fields)
    agreement = Agreement(status=S.DRAFT, status_changed_at=timezone.now(), **fields)
    agreement.full_clean()
    party_rows = list(parties)
    _validate_new_parties(by=by, agreement=agreement, rows=party_rows)
    _check_creator_keeps_sight(by=by, owner=fields.get("owner"), rows=party_rows)
    _check_owner_in_portfolio(
        by=by, owner=fields.get("owner"), partner_ids={row["partner"].pk for row in party_rows}
    )
    agreement._history_user = by
    agreement.save()
    agreement.activity_types.set(list(activity_types))
    for row in party_rows:
        party = AgreementParty(agreement=agreement, **row)
        party._history_user = by
        party.save()
    return agreement


def _check_creator_keeps_sight(*, by: User, owner: Any, rows: list[dict[str, Any]]) -> None:
    """A liaison officer sees an agreement they own or one with a party in their portfolio;
    one that would vanish from their sight on saving is refused before anything is written."""
    if is_administrator(by) or getattr(owner, "pk", None) == by.pk:
        return
    portfolio = set(
        Partner.liaison_officers.through.objects.filter(user_id=by.pk).values_list(
            "partner_id", flat=True
        )
    )
    if not any(row["partner"].pk in portfolio for row in rows):
        raise ValidationError(
            {
                "owner": [
                    "You could not open this agreement after saving it: own it yourself, or "
                    "name a party from your portfolio."
                ]
            }
        )


def _require(allowed: bool, message: str) -> None:
    """Every door consults the same predicate to show a control; the service enforces it."""
    if not allowed:
        raise PermissionDenied(message)


def _validate_new_parties(*, by: User, agreement: Agreement, rows: list[dict[str, Any]]) -> None:
    seen: set[int] = set()
    visible = partners_visible_to(by)
    for index, row in enumerate(rows):
        partner: Partner = row["partner"]
        if partner.pk in seen:
            raise ValidationError({"parties": [f"Party {index + 1}: {partner} is listed twice."]})
        seen.add(partner.pk)
        if not visible.filter(pk=partner.pk).exists():
            raise ValidationError({"parties": [f"Party {index + 1}: no such partner."]})
        party = AgreementParty(agreement=agreement, **row)
        try:
            party.full_clean(exclude=["agreement"], validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {
                    "parties": [
                        f"Party {index + 1} ({partner}): {name}: {' '.join(messages)}"
                        for name, messages in error.message_dict.items()
                    ]
                }
            ) from error


@transaction.atomic
def agreement_update(
    *,
    agreement: Agreement,
    by: User,
    version: int,
    activity_types: Iterable[Any] | None = None,
    **changes: Any,
) -> Agreement:
    unknown = set(changes) - AGREEMENT_FIELDS
    if unknown:
        raise TypeError(f"agreement_update() got unknown fields: {sorted(unknown)}")
    _require(can_edit_agreement(by, agreement), "You may read this agreement but not change it.")
    if "owner" in changes or "legal_reviewer" in changes:
        _check_people(
            owner=changes.get("owner", agreement.owner),
            legal_reviewer=changes.get("legal_reviewer", agreement.legal_reviewer),
        )
        if "owner" in changes:
            _check_owner_in_portfolio(
                by=by,
                owner=changes["owner"],
                partner_ids=set(agreement.parties.values_list("partner_id", flat=True)),
            )
    _check_related_visible(by=by, fields=changes)
    _check_status_keeps_its_dates(agreement, changes)
    versioned_update(agreement, by=by, version=version, changes=changes)
    if activity_types is not None:
        new = {getattr(a, "pk", a) for a in activity_types}
        if new != set(agreement.activity_types.values_list("pk", flat=True)):
            agreement._history_user = by
            agreement.activity_types.set(list(activity_types))
    return agreement


@transaction.atomic
def agreement_party_add(
    *, agreement: Agreement, by: User, partner: Partner, **fields: Any
) -> AgreementParty:
    _require(can_edit_agreement(by, agreement), "You may read this agreement but not change it.")
    if not partners_visible_to(by).filter(pk=partner.pk).exists():
        raise ValidationError({"partner": ["No such partner."]})
    party = AgreementParty(agreement=agreement, partner=partner, **fields)
    party.full_clean()
    party._history_user = by
    party.save()
    return party


@transaction.atomic
def agreement_party_update(
    *, party: AgreementParty, by: User, version: int, **changes: Any
) -> AgreementParty:
    _require(
        can_edit_agreement(by, party.agreement), "You may read this agreement but not change it."
    )
    if "partner" in changes:
        raise ValidationError({"partner": ["Remove the party and add the other partner."]})
    return versioned_update(party, by=by, version=version, changes=changes)


@transaction.atomic
def agreement_party_remove(*, party: AgreementParty, by: User, reason: str) -> None:
    """Remove a party, saying why; the reason is kept in the agreement's history."""
    agreement = party.agreement
    _require(can_edit_agreement(by, agreement), "You may read this agreement but not change it.")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the party is removed; it is kept in the log."]})
    if agreement.status in {S.IN_FORCE, S.SUSPENDED} and agreement.parties.count() == 1:
        raise AgreementsError(
            "An agreement in force keeps at least one party.",
            field_errors={"partner": ["The last party of an agreement in force stays."]},
        )
    party._history_user = by
    party._change_reason = reason.strip()
    party.delete()


def _transition_problems(agreement: Agreement, to: str, *, by_hand: bool) -> list[str]:
    problems = []
    if to in {S.SIGNED, S.IN_FORCE} and not agreement.signed_on:
        problems.append("signed_on: record the signature date first.")
    if to == S.IN_FORCE:
        if not agreement.effective_on:
            problems.append("effective_on: record the date it takes effect first.")
        if not agreement.parties.exists():
            problems.append("parties: an agreement in force needs at least one party.")
        effective = agreement.effective_on
        if by_hand and effective and effective > timezone.localdate():
            problems.append(
                f"effective_on: it takes effect on {effective.day} {effective:%b %Y}; "
                "the daily job moves it in force on that day."
            )
    if to == S.SUPERSEDED and not hasattr(agreement, "superseded_by"):
        problems.append(
            "supersedes: record the successor agreement (its “supersedes” field) first."
        )
    return problems


def allowed_transitions(agreement: Agreement, user: AnyUser) -> list[str]:
    """The transitions this user could make now (for buttons that only show when allowed)."""
    return [
        to
        for to in sorted(TRANSITIONS.get(agreement.status, ()))
        if may_make_transition(user, agreement, to)
    ]


def may_make_transition(user: AnyUser, agreement: Agreement, to: str) -> bool:
    """Who may take this step: the legal advisor clears or rejects an agreement in legal
    review; a send-back is theirs or the editors'; every other step is the editors'."""
    step = (agreement.status, to)
    legal = has_role(user, Role.LEGAL_ADVISOR) or is_administrator(user)
    if step in LEGAL_ADVISOR_TRANSITIONS:
        return legal
    if step in SHARED_TRANSITIONS and legal:
        return True
    return can_edit_agreement(user, agreement)


def can_transition(user: AnyUser, agreement: Agreement) -> bool:
    return can_edit_agreement(user, agreement) or has_role(user, Role.LEGAL_ADVISOR)


@transaction.atomic
def agreement_transition(
    *, agreement: Agreement, to: str, by: User | None, note: str = ""
) -> Agreement:
    """Move an agreement along its lifecycle, if the lifecycle and its guards allow it."""
    current = agreement.status
    if to not in S.values:
        raise ValidationError({"to": [f"“{to}” is not a status."]})
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: it is final"
        raise AgreementsError(
            f"An agreement cannot go from {S(current).label.lower()} to {S(to).label.lower()}.",
            field_errors={"to": [f"Not allowed from “{current}”. Allowed: {allowed}."]},
        )
    if by is not None:
        if not may_make_transition(by, agreement, to):
            if (current, to) in LEGAL_ADVISOR_TRANSITIONS:
                raise PermissionDenied(
                    "Only a legal advisor clears or rejects an agreement in legal review."
                )
            raise PermissionDenied("You may read this agreement but not change its status.")
        if transition_needs_reason(current, to) and not (note or "").strip():
            raise ValidationError(
                {"note": [f"Give the reason to move it to {S(to).label.lower()}; it is kept."]}
            )
    problems = _transition_problems(agreement, to, by_hand=by is not None)
    if problems:
        raise AgreementsError(
            f"The agreement cannot become {S(to).label.lower()} yet.",
            field_errors={"to": problems},
        )
    note = (note or "").strip()
    if (current, to) in TRANSITION_NAMES and by is not None:
        note = f"{TRANSITION_NAMES[(current, to)]}: {note}"
    now = timezone.now()
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != current:
        raise AgreementsError(
            "Someone changed this agreement's status meanwhile; reload it.",
            field_errors={"to": [f"The status is now “{locked.status}”."]},
        )
    agreement.status = to
    agreement.status_changed_at = now
    agreement.version = locked.version
    agreement._history_user = by
    agreement._change_reason = note or f"{current} → {to}"
    agreement.save(update_fields=["status", "status_changed_at", "updated_at"])
    AgreementTransition.objects.create(
        agreement=agreement, from_status=current, to_status=to, at=now, by=by, note=note
    )
    return agreement


@transaction.atomic
def agreement_review_record(
    *,
    agreement: Agreement,
    by: User,
    reviewed_on: date,
    outcome: str,
    notes: str = "",
) -> AgreementReview:
    _require(
        can_review_agreement(by, agreement),
        "Periodic reviews are recorded by the agreement's liaison officers and legal advisors.",
    )
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": ["A review cannot be dated in the future."]})
    review = AgreementReview(
        agreement=agreement, reviewer=by, reviewed_on=reviewed_on, outcome=outcome, notes=notes
    )
    review.full_clean()
    review._history_user = by
    review.save()
    if agreement.last_reviewed_on is None or reviewed_on > agreement.last_reviewed_on:
        fresh = Agreement.objects.get(pk=agreement.pk)
        fresh.last_reviewed_on = reviewed_on
        fresh._history_user = by
        fresh._change_reason = f"Reviewed on {reviewed_on}: {outcome}"
        fresh.save()
        agreement.refresh_from_db()
    return review


DOCUMENT_TYPES = frozenset({".pdf", ".docx", ".odt", ".txt", ".png", ".jpg", ".jpeg"})


@transaction.atomic
def agreement_document_upload(
    *,
    agreement: Agreement,
    by: User,
    file: UploadedFile[bytes],
    title: str,
    language: str,
    kind: str = AgreementDocument.Kind.SIGNED_TEXT,
    equally_authentic: bool = False,
) -> AgreementDocument:
    """Store a document after checking its size, type and content; keep its SHA-256."""
    _require(can_edit_agreement(by, agreement), "You may read this agreement but not change it.")
    checked = check_upload(file, limit=settings.ACCORD_DOCUMENT_MAX_BYTES, accepted=DOCUMENT_TYPES)
    validate_language_code(language)
    _refuse_duplicate(agreement, checked.sha256)
    document = AgreementDocument(
        agreement=agreement,
        file=file,
        original_name=checked.name[:255],
        title=title,
        kind=kind,
        language=language.lower(),
        equally_authentic=equally_authentic,
        size_bytes=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.full_clean(exclude=["file"])
    document._history_user = by
    document.save()
    return document


def _refuse_duplicate(agreement: Agreement, sha256: str) -> None:
    """The same file twice on one agreement is a mistake, not a second document: refused,
    naming the one already stored."""
    existing = agreement.documents.filter(sha256=sha256).first()
    if existing is not None:
        raise ValidationError(
            {
                "file": [
                    f"This file is already stored on {agreement.reference} as “{existing.title}” "
                    f"({existing.download_name}, uploaded {day(existing.uploaded_at)})."
                ]
            }
        )


@transaction.atomic
def agreement_document_remove(*, document: AgreementDocument, by: User, reason: str) -> None:
    """Withdraw a document (a wrong file, a superseded translation), saying why; the removal
    and its reason stay in the agreement's history."""
    _require(
        can_remove_agreement_document(by, document),
        "Only those who edit the agreement withdraw its documents.",
    )
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the document is withdrawn; it is kept."]})
    stored = document.file.name
    storage = document.file.storage
    document._history_user = by
    document._change_reason = reason.strip()
    document.delete()
    if stored and not AgreementDocument.objects.filter(file=stored).exists():
        transaction.on_commit(lambda: storage.delete(stored))


# --- the daily lifecycle job -----------------------------------------------------------------


@dataclass
class LifecycleRun:
    as_of: date
    entered_into_force: list[str] = field(default_factory=list)
    renewed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    not_ready: list[str] = field(default_factory=list)


def agreements_due_for_lifecycle(*, as_of: date) -> QuerySet[Agreement]:
    """Agreements the daily job has something to do for: signed ones whose effective date has
    come, and ones in force (or suspended) past their expiry."""
    return Agreement.objects.filter(
        Q(status=S.SIGNED, effective_on__lte=as_of)
        | Q(status__in=[S.IN_FORCE, S.SUSPENDED], expires_on__lt=as_of)
    ).order_by("pk")


def agreement_lifecycle_step(*, agreement: Agreement, as_of: date, run: LifecycleRun) -> None:
    """One agreement's daily step. Guarded by the stored state, so a second run (or a second
    worker) finds nothing left to do."""
    agreement = Agreement.objects.get(pk=agreement.pk)
    if agreement.status == S.SIGNED and agreement.effective_on and agreement.effective_on <= as_of:
        try:
            agreement_transition(
                agreement=agreement,
                to=S.IN_FORCE,
                by=None,
                note=f"Effective date {agreement.effective_on} reached (daily job, {as_of}).",
            )
            run.entered_into_force.append(agreement.reference)
        except AgreementsError:
            run.not_ready.append(agreement.reference)
        return
    lapsed = agreement.expires_on is not None and agreement.expires_on < as_of
    if agreement.status in {S.IN_FORCE, S.SUSPENDED} and lapsed:
        if agreement.auto_renews and agreement.renewal_term_months:
            if _renew(agreement, as_of=as_of):
                run.renewed.append(agreement.reference)
        else:
            try:
                agreement_transition(
                    agreement=agreement,
                    to=S.EXPIRED,
                    by=None,
                    note=f"Expiry date {agreement.expires_on} passed (daily job, {as_of}).",
                )
                run.expired.append(agreement.reference)
            except AgreementsError:
                return  # another run expired it meanwhile


def agreement_lifecycle_run(*, as_of: date) -> LifecycleRun:
    """Signed agreements whose effective date has come go in force; agreements past expiry
    expire or, if they auto-renew, move their expiry on by whole renewal terms. Running it
    again for the same day changes nothing more: each step is guarded by the stored state."""
    run = LifecycleRun(as_of=as_of)
    for agreement in agreements_due_for_lifecycle(as_of=as_of):
        agreement_lifecycle_step(agreement=agreement, as_of=as_of, run=run)
    return run


@transaction.atomic
def _renew(agreement: Agreement, *, as_of: date) -> bool:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.expires_on is None or locked.expires_on >= as_of:
        return False  # renewed meanwhile
    old = locked.expires_on
    new: date | None = old
    term = locked.renewal_term_months or 0
    while term > 0 and new is not None and new < as_of:
        new = add_months(new, term)
    if new is None or new == old or not date_in_range(new):
        # Only a stored value from before the bounds gets here; leave it for a person.
        logger.error("Cannot renew %s: renewal term %r months", locked.reference, term)
        return False
    locked.expires_on = new
    locked._change_reason = (
        f"Renewed automatically for {locked.renewal_term_months} months: "
        f"expiry {old} → {new} (daily job, {as_of})."
    )
    locked.save()
    return True
