"""The audit history every audited model shares: who changed what, when, from what to what.

Records come from django-simple-history (a snapshot per save and per many-to-many change).
This module turns snapshots into readable entries. A many-to-many change does not move the
record's version, so a snapshot with the same version and user as the one before it is the second
half of the same edit (a form saving its fields and then its list of liaison officers): the two
are folded into one entry, so one edit reads as one change.

A record's history also shows the histories of the records that hang off it (an agreement's
parties, documents and reviews; an assessment's answers and evidence files), because that is the
history a person reads. Each app declares its parts once, from its `AppConfig.ready()`, with
`register_child_history` and `register_history_fields`; this module knows no app by name. Every
source is read with one query for all its snapshots, so a history costs a fixed number of queries
however many children the record has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

# Bookkeeping columns a reader does not care about.
IGNORED_FIELDS = frozenset({"version", "created_at", "updated_at", "id"})
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
CHILD_ACTIONS = {"+": "added", "~": "changed", "-": "removed"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    by: str
    action: str
    version: int | None
    changes: list[FieldChange] = field(default_factory=list)
    #: For a child record's entry: what it is ("Party") and which one ("Jamaica (party)").
    noun: str = ""
    name: str = ""
    #: Why, when the service said so: a transition's note, "Material change: …".
    reason: str = ""

    @property
    def subject(self) -> str:
        """What the entry is about: "" for the record itself, e.g. "Party Jamaica (party)"."""
        return f"{self.noun} {self.name}".strip()

    @property
    def summary(self) -> str:
        """The entry as one sentence, e.g. "Party changed: Jamaica (party) — in force on — →
        2024-03-01"."""
        head = f"{self.noun} {self.action}: {self.name}" if self.noun else self.action.capitalize()
        if self.action in {"created", "added"}:
            details = ", ".join(f"{c.label.lower()} {c.new}" for c in self.changes)
        else:
            details = "; ".join(f"{c.label.lower()} {c.old} → {c.new}" for c in self.changes)
        return f"{head} — {details}" if details else head


@dataclass(frozen=True)
class ChildHistory:
    """How the history of a child model shows in its parent's history.

    `link` is the lookup from the child's snapshots to the parent's primary key
    (`"agreement"`, `"response__assessment"`); `name` names one child from its snapshot (with
    `select_related` naming what it reads); `hidden` fields are not listed as changes (the link
    to the parent, what `name` already says); `shown`, if given, lists the only fields that
    are; `history_types` are the kinds of snapshot shown (`+` added, `~` changed, `-` removed)
    — the others still serve as the "before" of the next change."""

    model: type[models.Model]
    link: str
    noun: str
    name: Callable[[Any], str] = str
    select_related: tuple[str, ...] = ()
    hidden: frozenset[str] = frozenset()
    shown: tuple[str, ...] | None = None
    history_types: frozenset[str] = frozenset({"+", "~", "-"})


_children: dict[type[models.Model], list[ChildHistory]] = {}
_extra_fields: dict[type[models.Model], tuple[str, ...]] = {}


def register_child_history(parent: type[models.Model], child: ChildHistory) -> None:
    """Show `child`'s history in every `parent` record's history (once, however often
    called)."""
    children = _children.setdefault(parent, [])
    if child not in children:
        children.append(child)


def register_history_fields(model: type[models.Model], *names: str) -> None:
    """Fields that forms do not edit (so are not shown by default) but a reader cares about,
    such as a status that only workflow actions move."""
    _extra_fields[model] = tuple(dict.fromkeys((*_extra_fields.get(model, ()), *names)))


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # history tracks fields, not reverse relations
    return model_field


def _display(
    model: type[models.Model], name: str, value: Any, related: dict[tuple[str, Any], str]
) -> str:
    if value is None or value == "":
        return "—"
    model_field = _field(model, name)
    if isinstance(model_field, models.ManyToManyField):
        ids = [row[model_field.m2m_reverse_field_name()] for row in value]
        names = sorted(related.get((name, pk), f"#{pk}") for pk in ids)
        return ", ".join(names) if names else "—"
    if model_field.is_relation:
        return related.get((name, value), f"#{value}")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):  # a moment, on the clock the pages use
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{moment:%Y-%m-%d %H:%M}"
    return str(value)


def _related_labels(
    model: type[models.Model], records: Sequence[Any], names: Iterable[str]
) -> dict[tuple[str, Any], str]:
    """One query per related field for every id that any snapshot mentions."""
    labels: dict[tuple[str, Any], str] = {}
    for name in names:
        model_field = _field(model, name)
        if not model_field.is_relation:
            continue
        ids: set[Any] = set()
        for record in records:
            if isinstance(model_field, models.ManyToManyField):
                through_rows = _m2m_rows(record, name)
                ids.update(
                    getattr(row, f"{model_field.m2m_reverse_field_name()}_id")
                    for row in through_rows
                )
            else:
                value = getattr(record, model_field.attname)
                if value is not None:
                    ids.add(value)
        if not ids:
            continue
        target = model_field.related_model
        assert target is not None  # a relation always has a model at the other end
        for obj in target._default_manager.filter(pk__in=ids):
            labels[(name, obj.pk)] = _label(obj)
    return labels


def _label(obj: models.Model) -> str:
    if isinstance(obj, User) and obj.get_full_name():
        return f"{obj.get_full_name()} ({obj.get_username()})"
    return str(obj)


def _user_label(record: Any) -> str:
    user = record.history_user
    if user is None:
        return "system"
    return _label(user)


def _tracked_names(model: type[models.Model], child: ChildHistory | None) -> list[str]:
    extra = _extra_fields.get(model, ())
    kept = {f.name for f in _history(model).model._meta.get_fields()}  # not excluded_fields
    tracked = [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "concrete", False)
        and f.name in kept
        and f.name not in IGNORED_FIELDS
        and (f.editable or f.name in extra)
        and not f.many_to_many
    ]
    m2m_names = [f.name for f in getattr(_history(model).model, "_history_m2m_fields", ())]
    names = tracked + m2m_names
    if child is not None:
        names = [n for n in names if n not in child.hidden]
        if child.shown is not None:
            names = [n for n in names if n in child.shown]
    return names


def history_entries(instance: models.Model) -> list[HistoryEntry]:
    """The audit history of one record and of the records registered as its children, newest
    first."""
    model = type(instance)
    own = instance.history.all()  # type: ignore[attr-defined]  # simple_history's manager
    entries = _entries(model, own, child=None)
    for child in _children.get(model, ()):
        snapshots = _history(child.model).filter(**{child.link: instance.pk})
        entries.extend(_entries(child.model, snapshots, child=child))
    # Stable: entries of the same instant keep the order they were built in.
    entries.sort(key=lambda entry: entry.at)
    entries.reverse()
    return entries


def history_entries_of(
    model: type[models.Model], pks: Iterable[Any]
) -> dict[Any, list[HistoryEntry]]:
    """The own histories (no children) of many records of one model, newest first, keyed by
    primary key: one query for all of them, for a list that shows each row's history."""
    wanted = list(pks)
    if not wanted:
        return {}
    snapshots = _history(model).filter(**{f"{model._meta.pk.attname}__in": wanted})
    found = _entries_by_object(model, snapshots, child=None)
    for entries in found.values():
        entries.reverse()
    return found


def _entries(
    model: type[models.Model], snapshots: models.QuerySet[Any], *, child: ChildHistory | None
) -> list[HistoryEntry]:
    """Entries oldest first, for the snapshots of one record or of many children."""
    by_object = _entries_by_object(model, snapshots, child=child)
    return [entry for entries in by_object.values() for entry in entries]


def _entries_by_object(
    model: type[models.Model], snapshots: models.QuerySet[Any], *, child: ChildHistory | None
) -> dict[Any, list[HistoryEntry]]:
    """Each record's entries, oldest first, keyed by the record's primary key."""
    names = _tracked_names(model, child)
    m2m_names = [f.name for f in getattr(_history(model).model, "_history_m2m_fields", ())]
    records = list(
        snapshots.order_by("history_date", "history_id").select_related(
            "history_user", *(child.select_related if child else ())
        )
    )
    if not records:
        return {}
    _load_m2m_rows(model, records, [n for n in m2m_names if n in names])
    related = _related_labels(model, records, names)
    by_object: dict[Any, list[Any]] = {}
    for record in records:
        by_object.setdefault(getattr(record, model._meta.pk.attname), []).append(record)
    return {
        pk: _object_entries(model, object_records, names, related, child)
        for pk, object_records in by_object.items()
    }


def _load_m2m_rows(model: type[models.Model], records: list[Any], names: list[str]) -> None:
    """Each snapshot's many-to-many rows, one query per field for all snapshots (the
    historical record's own accessor would query once per snapshot)."""
    ids = [record.history_id for record in records]
    for name in names:
        rows_model = getattr(_history(model).model, name).model
        rows: dict[Any, list[Any]] = {}
        for row in rows_model.objects.filter(history_id__in=ids):
            rows.setdefault(row.history_id, []).append(row)
        for record in records:
            record.__dict__.setdefault("_accord_m2m", {})[name] = rows.get(record.history_id, [])


def _m2m_rows(record: Any, name: str) -> list[Any]:
    rows: list[Any] = record.__dict__["_accord_m2m"][name]
    return rows


def _history(model: type[models.Model]) -> Any:
    """The model's history manager, which simple_history adds (and ships no types for)."""
    return model.history  # type: ignore[attr-defined]


def _object_entries(
    model: type[models.Model],
    records: list[Any],
    names: list[str],
    related: dict[tuple[str, Any], str],
    child: ChildHistory | None,
) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    base: Any = None  # the snapshot before the current entry
    last: Any = None
    current: HistoryEntry | None = None
    kinds: list[str] = []
    actions = CHILD_ACTIONS if child is not None else ACTIONS
    for record in records:
        folds = (
            current is not None
            and last is not None
            and record.history_type == "~"
            and record.history_user_id == last.history_user_id
            and getattr(record, "version", None) is not None
            and record.version == last.version
        )
        if not folds:
            base = last
            current = HistoryEntry(
                at=record.history_date,
                by=_user_label(record),
                action=actions.get(record.history_type, record.history_type),
                version=getattr(record, "version", None),
                noun=child.noun if child is not None else "",
            )
            entries.append(current)
            kinds.append(record.history_type)
        assert current is not None
        current.version = getattr(record, "version", None)
        current.reason = record.history_change_reason or current.reason
        if child is not None:
            current.name = child.name(record)
        if child is not None and record.history_type == "-":
            current.changes = []  # the subject says what went; its last values are above
        else:
            current.changes = _changes(model, base, record, names, related)
        last = record
    if child is None:
        return entries
    return [
        entry
        for entry, kind in zip(entries, kinds, strict=True)
        if kind in child.history_types and (kind != "~" or entry.changes)
    ]


def _changes(
    model: type[models.Model],
    before: Any,
    after: Any,
    names: list[str],
    related: dict[tuple[str, Any], str],
) -> list[FieldChange]:
    changes = []
    for name in names:
        model_field = _field(model, name)
        new_value = _value(after, model_field)
        old_value = _value(before, model_field) if before is not None else None
        if before is not None and old_value == new_value:
            continue
        if before is None and new_value in (None, "", []):
            continue
        changes.append(
            FieldChange(
                field=name,
                label=str(model_field.verbose_name).capitalize(),
                old=_display(model, name, old_value, related) if before is not None else "—",
                new=_display(model, name, new_value, related),
            )
        )
    return changes


def _value(record: Any, model_field: models.Field[Any, Any]) -> Any:
    if isinstance(model_field, models.ManyToManyField):
        reverse_name = model_field.m2m_reverse_field_name()
        return sorted(
            (
                {reverse_name: getattr(row, f"{reverse_name}_id")}
                for row in _m2m_rows(record, model_field.name)
            ),
            key=lambda row: row[reverse_name],
        )
    return getattr(record, model_field.attname)
