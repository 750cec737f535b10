"""Sortable list pages: `?sort=field` or `?sort=-field`, from a list of allowed columns.

A page declares the columns people may sort by and the ordering each means; any other value
(a typo, an old bookmark, a hostile URL) falls back to the page's default ordering instead of
reaching the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest


@dataclass(frozen=True)
class Sorting:
    """The ordering a list is shown in: the column key and whether it runs descending."""

    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def _ordering(fields: Sequence[str], descending: bool) -> list[OrderBy]:
    """Each field ascending (or all reversed), empty values last either way; a field written
    with a leading "-" runs against the chosen direction (e.g. newest first)."""
    terms = []
    for field in fields:
        reverse = field.startswith("-")
        expression = F(field.lstrip("-"))
        if reverse != descending:
            terms.append(expression.desc(nulls_last=True))
        else:
            terms.append(expression.asc(nulls_last=True))
    return terms


def sort_rows[M: Any](
    request: HttpRequest,
    rows: QuerySet[M],
    *,
    columns: Mapping[str, Sequence[str]],
    default: str,
) -> tuple[QuerySet[M], Sorting]:
    """Order `rows` by the request's `sort` parameter when it names one of `columns`
    (key → model fields), else by `default` (a key, optionally with "-"). The primary key
    breaks ties, so pages never shuffle rows between them."""
    asked = (request.GET.get("sort") or "").strip()
    sorting = _parse(asked, columns) or _parse(default, columns)
    if sorting is None:
        raise ValueError(f"The default ordering {default!r} is not one of the columns.")
    ordering = _ordering(columns[sorting.key], sorting.descending)
    return rows.order_by(*ordering, "-pk" if sorting.descending else "pk"), sorting


def _parse(value: str, columns: Mapping[str, Sequence[str]]) -> Sorting | None:
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in columns:
        return None
    return Sorting(key=key, descending=descending)
