"""Delivery: claim ledger rows in the database, check they still hold, send, record the outcome.

Exactly-once rests on the ledger, never on a lock or on Celery: a delivery first claims its
rows with a conditional UPDATE (pending, not held by a live claim, due for an attempt) inside
a transaction that selects them `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's IMMEDIATE
transactions serialise writers), commits the claim, and only then sends. A worker that dies
mid-delivery leaves a claim that expires; the sweeper then sends the row again, under the same
Message-ID, so a resend after a crash is recognisable. Callers run in autocommit (tasks, the
command), so each claim is committed before the message leaves.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from config.display import long_day, span_of_days
from config.reminders.models import Reminder, ReminderSettings
from config.reminders.registry import DeadlineKind, Wording, get_kind
from config.reminders.selectors import can_retry_reminders, reminder_subjects

logger = logging.getLogger(__name__)

# Back-off after a temporary failure (SMTP 4xx, connection lost, timeout): the n-th failed
# attempt waits RETRY_DELAYS[n-1]; after the last one the row is failed, visible to admins.
RETRY_DELAYS = (
    timedelta(minutes=5),
    timedelta(minutes=20),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A row armed this recently may still have its delivery message in flight: not "lost" yet.
SWEEP_GRACE = timedelta(minutes=2)
CHUNK_SIZE = 20

# Errors from the mail backend that are about delivery, not about Accord's own code.
MAIL_ERRORS = (smtplib.SMTPException, OSError)


@dataclass
class DeliveryResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryResult) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.messages += other.messages
        self.errors.extend(other.errors)

    def __str__(self) -> str:
        return (
            f"{self.sent} reminders sent in {self.messages} e-mails, {self.retrying} to retry,"
            f" {self.failed} failed, {self.cancelled} cancelled."
        )


@dataclass(frozen=True)
class Notice:
    """One reminder as an e-mail says it."""

    reminder: Reminder
    kind: DeadlineKind
    wording: Wording
    url: str  # absolute
    days_left: int
    subject: Any = None  # the record itself, for attachments

    @property
    def reference(self) -> str:
        # Wording.subject reads "REFERENCE — title"; a subject line names the reference.
        return self.wording.subject.split(" — ", 1)[0]

    @property
    def when(self) -> str:
        days = self.days_left
        if days > 1:
            return f"in {span_of_days(days)}"
        if days == 1:
            return "tomorrow"
        if days == 0:
            return "today"
        return f"overdue by {self.overdue_by}"

    @property
    def overdue_by(self) -> str:
        return span_of_days(self.days_left)

    @property
    def due_day(self) -> str:
        return long_day(self.reminder.due_on)

    @property
    def is_escalation(self) -> bool:
        return self.reminder.is_escalation

    @property
    def subject_line(self) -> str:
        if self.kind.notification:
            return f"{self.kind.label}: {self.wording.subject}"
        if self.days_left < 0:
            return f"{self.kind.label} overdue by {self.overdue_by}: {self.reference}"
        return f"{self.kind.label} {self.when}: {self.reference}"


# --- Claims ----------------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return (
        Q(status=Reminder.Status.PENDING, attempts__lt=MAX_ATTEMPTS)
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def _claim(rows: QuerySet[Reminder], *, now: datetime) -> list[Reminder]:
    """Claim every claimable row of `rows` for this delivery, or none that another holds.
    The claim is committed when this returns (callers are in autocommit)."""
    lease = now + timedelta(seconds=settings.ACCORD_REMINDER_CLAIM_SECONDS)
    with transaction.atomic():
        ids = list(
            rows.filter(_claimable(now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        claimed = Reminder.objects.filter(_claimable(now), pk__in=ids).update(
            claimed_until=lease, attempts=F("attempts") + 1
        )
        if claimed != len(ids):  # cannot happen under the row locks; refuse rather than guess
            raise transaction.TransactionManagementError("A reminder claim changed under us.")
    return list(
        Reminder.objects.filter(pk__in=ids, claimed_until=lease)
        .select_related("recipient")
        .order_by("due_on", "kind", "subject_id")
    )


def deliverable(*, now: datetime) -> QuerySet[Reminder]:
    """Immediate reminders that a delivery may take now."""
    return Reminder.objects.filter(_claimable(now), digest=False)


# --- Checks before sending -------------------------------------------------------------------


def _cancel(reminder: Reminder, reason: str) -> None:
    Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.CANCELLED, cancelled_reason=reason, claimed_until=None
    )


def _reason_to_cancel(
    reminder: Reminder, kind: DeadlineKind | None, subject: Any, muted: Iterable[str]
) -> str | None:
    """Why this reminder must not go out any more, or None if it still holds."""
    if kind is None:
        return "Its deadline kind is no longer declared."
    still_dated = (
        subject is not None
        and kind.subjects()
        .filter(pk=reminder.subject_id, **{kind.date_field: reminder.due_on})
        .exists()
    )
    if not still_dated:
        return "The date changed or no longer applies."
    user = reminder.recipient
    if not user.is_active:
        return "The recipient's account is deactivated."
    if not kind.visible_to(user).filter(pk=reminder.subject_id).exists():
        return "The recipient can no longer read the record."
    if kind.code in muted:
        return "The recipient muted this kind of reminder."
    return None


def _notices(claimed: list[Reminder], *, as_of: date) -> tuple[list[Notice], int]:
    """The claimed rows that still hold, as notices; the others are cancelled with why."""
    subjects = reminder_subjects(claimed)
    muted = {
        user_id: set(kinds or ())
        for user_id, kinds in ReminderSettings.objects.filter(
            user_id__in={r.recipient_id for r in claimed}
        ).values_list("user_id", "muted_kinds")
    }
    notices: list[Notice] = []
    cancelled = 0
    for reminder in claimed:
        kind = get_kind(reminder.kind)
        subject = subjects.get((reminder.kind, reminder.subject_id))
        reason = _reason_to_cancel(reminder, kind, subject, muted.get(reminder.recipient_id, ()))
        if reason is not None or kind is None:
            _cancel(reminder, reason or "")
            cancelled += 1
            continue
        notices.append(
            Notice(
                reminder=reminder,
                kind=kind,
                wording=kind.describe(subject, reminder.due_on),
                url=absolute_url(kind.url(subject)),
                days_left=(reminder.due_on - as_of).days,
                subject=subject,
            )
        )
    return notices, cancelled


# --- Messages --------------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return f"{settings.ACCORD_BASE_URL}{path}"


def _mail_domain() -> str:
    return urlsplit(settings.ACCORD_BASE_URL).hostname or "localhost"


def reminder_message_id(reminder: Reminder) -> str:
    return f"<reminder-{reminder.pk}.{reminder.kind}@{_mail_domain()}>"


def digest_message_id(user: User, day: date, first_reminder_id: int) -> str:
    # The first row's id tells apart two digests of one day (a retried row, a late scan), so
    # a mail client never drops the second as a duplicate; a resend of the same rows repeats it.
    return f"<digest-{user.pk}.{day:%Y%m%d}.{first_reminder_id}@{_mail_domain()}>"


def _address(user: User) -> str:
    return str(Address(display_name=user.get_full_name() or user.username, addr_spec=user.email))


def _message(
    user: User, *, subject: str, template: str, context: dict[str, Any], message_id: str
) -> EmailMultiAlternatives:
    context = {
        **context,
        "user": user,
        "greeting_name": user.first_name or user.get_full_name() or user.username,
        "base_url": settings.ACCORD_BASE_URL,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"reminders/email/{template}.txt", context),
        to=[_address(user)] if user.email else [],  # refused as failed when sent
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string(f"reminders/email/{template}.html", context), "text/html"
    )
    return message


def reminder_message(notice: Notice) -> EmailMultiAlternatives:
    message = _message(
        notice.reminder.recipient,
        subject=notice.subject_line,
        template="reminder",
        context={"notice": notice},
        message_id=reminder_message_id(notice.reminder),
    )
    if notice.kind.attachments is not None:
        subject = notice.subject
        for filename, content, mimetype in notice.kind.attachments(
            subject, notice.reminder.recipient
        ):
            message.attach(filename, content, mimetype)
    return message


def digest_message(user: User, notices: list[Notice], *, as_of: date) -> EmailMultiAlternatives:
    groups: dict[str, list[Notice]] = {}
    for notice in sorted(notices, key=lambda n: (n.reminder.due_on, n.kind.code)):
        groups.setdefault(notice.kind.label, []).append(notice)
    count = len(notices)
    return _message(
        user,
        subject=f"Accord reminders for {long_day(as_of)}: {count} item{'s' if count != 1 else ''}",
        template="digest",
        context={"groups": list(groups.items()), "count": count, "day": long_day(as_of)},
        message_id=digest_message_id(user, as_of, min(n.reminder.pk for n in notices)),
    )


# --- Outcomes --------------------------------------------------------------------------------


def is_temporary(error: BaseException) -> bool:
    """SMTP 4xx, a lost connection or a timeout is worth another try; 5xx is not. Django's
    backend raises SMTPDataError for 451 and 554 alike: the code decides, not the type."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return True


def describe_error(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address} ({code} {_text(text)})"
            for address, (code, text) in error.recipients.items()
        )
        return f"Recipient refused: {refused}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}: {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _mark_sent(rows: list[Reminder], *, message_id: str, now: datetime) -> None:
    Reminder.objects.filter(pk__in=[r.pk for r in rows], status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SENT,
        sent_at=now,
        message_id=message_id,
        claimed_until=None,
        next_attempt_at=None,
        last_error="",
    )


def _mark_unsent(rows: list[Reminder], *, error: str, temporary: bool, now: datetime) -> int:
    """Back off (temporary, attempts left) or fail; returns how many are to be retried."""
    ids = [r.pk for r in rows]
    attempts = max(r.attempts for r in rows)
    pending = Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING)
    if temporary and attempts < MAX_ATTEMPTS:
        return pending.update(
            next_attempt_at=now + RETRY_DELAYS[attempts - 1], claimed_until=None, last_error=error
        )
    pending.update(status=Reminder.Status.FAILED, claimed_until=None, last_error=error)
    return 0


def _send(
    message: EmailMultiAlternatives, rows: list[Reminder], *, message_id: str, now: datetime
) -> DeliveryResult:
    result = DeliveryResult()
    if not rows[0].recipient.email:
        _mark_unsent(rows, error="The recipient has no e-mail address.", temporary=False, now=now)
        result.failed = len(rows)
        return result
    try:
        mailers.default.send_messages([message])
    except MAIL_ERRORS as error:
        text = describe_error(error)
        retrying = _mark_unsent(rows, error=text, temporary=is_temporary(error), now=now)
        result.retrying, result.failed = retrying, len(rows) - retrying
        result.errors.append(text)
        logger.warning("Reminder e-mail %s not sent: %s", message_id, text)
        return result
    _mark_sent(rows, message_id=message_id, now=timezone.now())
    result.sent, result.messages = len(rows), 1
    return result


# --- Deliveries ------------------------------------------------------------------------------


def deliver_reminders(
    *, reminder_ids: Iterable[int], as_of: date, now: datetime | None = None
) -> DeliveryResult:
    """Send the immediate reminders among `reminder_ids` that no one else holds, one e-mail
    each. Safe to run twice or concurrently: a row another delivery holds or sent is skipped."""
    result = DeliveryResult()
    for reminder_id in reminder_ids:
        moment = now or timezone.now()
        claimed = _claim(Reminder.objects.filter(pk=reminder_id, digest=False), now=moment)
        if not claimed:
            continue
        held, cancelled = _notices(claimed, as_of=as_of)
        result.cancelled += cancelled
        for notice in held:
            message_id = reminder_message_id(notice.reminder)
            result.add(
                _send(
                    reminder_message(notice), [notice.reminder], message_id=message_id, now=moment
                )
            )
    return result


def digest_release(*, now: datetime) -> list[int]:
    """The daily digest's moment: every pending digest row becomes due now (rows armed later
    wait for tomorrow's). Returns the readers who have a digest to receive."""
    Reminder.objects.filter(
        status=Reminder.Status.PENDING, digest=True, next_attempt_at__isnull=True
    ).update(next_attempt_at=now)
    return digest_readers_due(now=now)


def digest_readers_due(*, now: datetime) -> list[int]:
    return sorted(
        set(
            Reminder.objects.filter(_claimable(now), digest=True, next_attempt_at__isnull=False)
            .values_list("recipient_id", flat=True)
            .distinct()
        )
    )


def deliver_digest(*, user_id: int, as_of: date, now: datetime | None = None) -> DeliveryResult:
    """One e-mail with every due digest row of one reader: claimed together, sent together."""
    moment = now or timezone.now()
    result = DeliveryResult()
    claimed = _claim(
        Reminder.objects.filter(recipient_id=user_id, digest=True, next_attempt_at__isnull=False),
        now=moment,
    )
    if not claimed:
        return result
    notices, result.cancelled = _notices(claimed, as_of=as_of)
    if notices:
        user = claimed[0].recipient
        message = digest_message(user, notices, as_of=as_of)
        rows = [n.reminder for n in notices]
        result.add(
            _send(message, rows, message_id=str(message.extra_headers["Message-ID"]), now=moment)
        )
    return result


def reminders_lost(*, now: datetime) -> tuple[list[int], list[int]]:
    """What the sweeper sends again: (immediate reminder ids, digest reader ids) that are
    pending, held by no live claim and due for an attempt — their message was lost with a
    queue, their worker died, or their back-off is over. Rows interrupted on every attempt
    are failed here, with the reason."""
    Reminder.objects.filter(
        status=Reminder.Status.PENDING, attempts__gte=MAX_ATTEMPTS, claimed_until__lt=now
    ).update(
        status=Reminder.Status.FAILED,
        claimed_until=None,
        last_error=f"Delivery stopped {MAX_ATTEMPTS} times before the e-mail was sent"
        " (worker stopped or timed out).",
    )
    settled = ~Q(attempts=0, claimed_until__isnull=True, created_at__gt=now - SWEEP_GRACE)
    immediate = list(deliverable(now=now).filter(settled).values_list("pk", flat=True))
    return immediate, digest_readers_due(now=now)


def chunks(ids: list[int], size: int = CHUNK_SIZE) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def deliver_due(*, as_of: date) -> DeliveryResult:
    """Everything due now, synchronously: immediate reminders, then digests (the command)."""
    now = timezone.now()
    result = deliver_reminders(
        reminder_ids=list(deliverable(now=now).values_list("pk", flat=True)), as_of=as_of
    )
    for user_id in digest_release(now=now):
        result.add(deliver_digest(user_id=user_id, as_of=as_of))
    return result


# --- Retry (administrators) ------------------------------------------------------------------


def reminders_retry(*, by: User, reminders: QuerySet[Reminder]) -> list[int]:
    """Failed reminders go back to pending with fresh attempts, and are sent again after the
    commit. The row keeps who asked and the error it had."""
    if not can_retry_reminders(by):
        raise PermissionDenied("Only administrators retry reminders.")
    now = timezone.now()
    retried: list[int] = []
    with transaction.atomic():
        for reminder in reminders.filter(status=Reminder.Status.FAILED).select_for_update():
            reminder.status = Reminder.Status.PENDING
            reminder.attempts = 0
            reminder.claimed_until = None
            reminder.next_attempt_at = now if reminder.digest else None
            reminder.last_error = (
                f"Retry asked by {by.username} on {now:%Y-%m-%d %H:%M} UTC after: "
                f"{reminder.last_error}"
            )
            reminder.save(
                update_fields=[
                    "status",
                    "attempts",
                    "claimed_until",
                    "next_attempt_at",
                    "last_error",
                ]
            )
            retried.append(reminder.pk)
    if retried:
        from config.reminders.tasks import enqueue_retried

        transaction.on_commit(lambda: enqueue_retried(retried))
    return retried
