"""The audit history every audited model shares: who changed what, when, from what to what.

Records come from django-simple-history (a snapshot per save and per many-to-many change).
This module turns snapshots into readable entries. A many-to-many change does not move the
record's version, so a snapshot with the same version and user as the one before it is the second
half of the same edit (a form saving its fields and then its list of liaison officers): the two
are folded into one entry, so one edit reads as one change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models

# Bookkeeping columns a reader does not care about.
IGNORED_FIELDS = frozenset({"version", "created_at", "updated_at", "id"})
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


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
                through_rows = getattr(record, name).all()
                ids.update(
                    getattr(row, f"{model_field.m2m_reverse_field_name()}_id")
                    for row in through_rows
                )
            else:
                value = getattr(record, model_field.attname)
                if value is not None:
                    ids.add(value)
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


def history_entries(instance: models.Model) -> list[HistoryEntry]:
    """The audit history of one record, newest first."""
    model = type(instance)
    records = list(
        # simple_history adds the `history` manager to the model and ships no types for it.
        instance.history.order_by("history_date", "history_id").select_related("history_user")  # type: ignore[attr-defined]
    )
    if not records:
        return []
    tracked = [
        f.name
        for f in records[0].instance_type._meta.get_fields()
        if getattr(f, "concrete", False) and f.name not in IGNORED_FIELDS and f.editable
    ]
    m2m_names = [f.name for f in records[0]._history_m2m_fields]
    names = [n for n in tracked if n not in m2m_names] + m2m_names
    related = _related_labels(model, records, names)

    entries: list[HistoryEntry] = []
    base: Any = None  # the snapshot before the current entry
    last: Any = None
    current: HistoryEntry | None = None
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
                action=ACTIONS.get(record.history_type, record.history_type),
                version=getattr(record, "version", None),
            )
            entries.append(current)
        assert current is not None
        current.version = getattr(record, "version", None)
        current.changes = _changes(model, base, record, names, related)
        last = record
    entries.reverse()
    return entries


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
                for row in getattr(record, model_field.name).all()
            ),
            key=lambda row: row[reverse_name],
        )
    return getattr(record, model_field.attname)
