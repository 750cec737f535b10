"""Deadline kinds: what each app declares, and the registry the engine reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model, Prefetch, QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse


class Recipient(StrEnum):
    """Who a rule reminds, by their relation to the record."""

    OWNER = "owner"
    LEGAL_REVIEWER = "legal_reviewer"
    LIAISON_OFFICERS = "liaison_officers"
    LEGAL_ADVISORS = "legal_advisors"
    MANAGERS = "managers"

    @property
    def label(self) -> str:
        return RECIPIENT_LABELS[self]


RECIPIENT_LABELS = {
    Recipient.OWNER: "The record's owner",
    Recipient.LEGAL_REVIEWER: "The legal reviewer",
    Recipient.LIAISON_OFFICERS: "The partner's liaison officers",
    Recipient.LEGAL_ADVISORS: "Legal advisors",
    Recipient.MANAGERS: "Managers",
}

#: Recipients that are a whole role rather than a person named on the record.
ROLE_RECIPIENTS = frozenset({Recipient.LEGAL_ADVISORS, Recipient.MANAGERS})


@dataclass(frozen=True)
class Wording:
    """What a reminder, a desk line and a calendar entry say about one dated thing."""

    subject: str  # "SR-JAM-1997-001 — Ship-rider agreement with Jamaica"
    sentence: str  # "Last day to give notice of non-renewal of SR-JAM-1997-001: 14 March 2027."
    why: str  # why it matters, one sentence
    action: str  # the action that settles it: "Give notice or record the decision to renew"
    partners: tuple[str, ...] = ()


#: A subject as the engine reads it for a kind that declares `columns`: those values by their
#: names, plus "pk", "due_on" and "partners" (the names found along `partner_names_path`, in
#: the order the database sorts them).
Row = Mapping[str, Any]


@dataclass(frozen=True)
class DeadlineKind:
    """One kind of dated obligation, declared once by the app that owns the record.

    `subjects()` is every record that carries this deadline now (e.g. agreements in force with
    a notice deadline); `date_field` is a stored, indexed date column on that model. The engine
    filters both with set-based queries only.

    A kind that declares `columns` is read as `Row`s, never as model instances: the desk, the
    feed, the inbox and the e-mails word thousands of dates from plain values, and
    `describe()` and `url()` then receive a row. A kind without columns receives the record.
    """

    code: str  # "agreements.notice_deadline": app label, dot, name
    label: str  # "Notice deadline"
    subjects: Callable[[], QuerySet[Any]]
    date_field: str
    visible_to: Callable[[User], QuerySet[Any]]
    describe: Callable[[Any, date], Wording]
    url: Callable[[Any], str]  # the path of the record's page
    # name → ORM lookup of every value describe() and url() read (e.g. "partner": "partner__name").
    columns: Mapping[str, str] = field(default_factory=dict)
    recipient_paths: Mapping[Recipient, str] = field(default_factory=dict)
    # Whole roles this kind may remind besides managers (e.g. every legal advisor).
    role_recipients: tuple[Recipient, ...] = ()
    # Recipients whose path already proves they may read the record (`visible_to` admits
    # everyone it reaches: an agreement's owner, the partner's liaison officers), so the scan
    # skips the access check for them. Leave a path out when in doubt: it is then checked.
    path_grants_access: tuple[Recipient, ...] = ()
    partner_path: str = ""  # lookup from the subject to its partners' ids
    partner_names_path: str = ""  # lookup from the subject to its partners' names (a row's)
    default_leads: tuple[int, ...] = (90, 60, 30, 7, 0)
    default_recipients: tuple[Recipient, ...] = (Recipient.OWNER, Recipient.LIAISON_OFFICERS)
    default_escalation_days: int | None = 7
    # Lead times are counted before the date; a kind whose date is itself the moment to act
    # (an overdue review) can say so in the wording.
    related: tuple[str, ...] = ()  # select_related for describe()
    prefetch: tuple[str | Prefetch[Any], ...] = ()  # prefetch_related for describe()
    # A notification is not a deadline: nothing scans for it, it has no rule and no place on
    # the desk or in the calendar; its app arms ledger rows when the event happens (a gap
    # report edition is ready) and the same delivery sends them, exactly once.
    notification: bool = False
    # Files the e-mail carries, made for its recipient (their view of the record).
    attachments: Callable[[Any, User], list[tuple[str, bytes, str]]] | None = None

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        """The recipients this kind can name (managers always can)."""
        return (*self.recipient_paths, *self.role_recipients, Recipient.MANAGERS)

    def model(self) -> type[Model]:
        return self.subjects().model


_KINDS: dict[str, DeadlineKind] = {}


def register(*kinds: DeadlineKind) -> None:
    """Called from an app's `AppConfig.ready()`; registering the same code twice is a mistake
    unless it is the very same declaration (ready() may run more than once in tests)."""
    for kind in kinds:
        existing = _KINDS.get(kind.code)
        if existing is not None and existing is not kind and existing.label != kind.label:
            raise ValueError(f"Deadline kind {kind.code!r} is registered twice.")
        _KINDS[kind.code] = kind


def kinds(*, notifications: bool = False) -> list[DeadlineKind]:
    """The deadline kinds (what the scan, the rules, the desk and the feed read); with
    `notifications`, also the kinds that are events rather than dates."""
    return sorted(
        (kind for kind in _KINDS.values() if notifications or not kind.notification),
        key=lambda kind: kind.code,
    )


def get_kind(code: str) -> DeadlineKind | None:
    return _KINDS.get(code)


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in kinds()]


#: A number no real primary key is, reversed in its place (see `record_path`).
_PK_MARK = 987_654_321_012_345


def record_path(url_name: str) -> Callable[[Row], str]:
    """`url` for a kind whose record page is `url_name` with the row's pk as its one argument:
    `reverse()` costs more than the rest of a feed entry, so the path is reversed once (per
    script prefix and URLconf, as `reverse()` would see them) and the pk filled in."""
    parts: dict[tuple[str, str | None], tuple[str, str]] = {}

    def path(row: Row) -> str:
        key = (get_script_prefix(), get_urlconf())
        found = parts.get(key)
        if found is None:
            before, _mark, after = reverse(url_name, args=[_PK_MARK]).partition(str(_PK_MARK))
            found = parts[key] = (before, after)
        return f"{found[0]}{row['pk']}{found[1]}"

    return path
