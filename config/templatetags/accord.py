from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django import forms, template
from django.http import QueryDict
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from config import display

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from config.sorting import Sorting

register = template.Library()


@register.filter
def person(user: User | None, fallback: str = "—") -> str:
    """A user's full name, or username; `fallback` when there is nobody."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()


@register.filter
def day(value: date | datetime | None, empty: str = "") -> str:
    """Every date Accord shows, one way: "14 Mar 2027"."""
    return display.day(value, empty)


@register.filter
def span(days: int) -> str:
    """A number of days as people say it: "9 days", "7 months", "25 years"."""
    return display.span_of_days(days)


@register.simple_tag
def due(
    value: date | None, today: date | None = None, active: bool = True, empty: str = "—"
) -> SafeString:
    """A date that something must happen by, marked "overdue" the same way on every page once
    it has passed (and `active`: nothing is overdue on a record that is finished). Without
    the page's `today`, today in Accord's time zone."""
    if not isinstance(today, date):
        today = timezone.localdate()
    if value is None:
        return format_html("{}", empty)
    if active and value < today:
        return format_html(
            '<time class="overdue" datetime="{}">{}</time> '
            '<span class="overdue-note">overdue</span>',
            value.isoformat(),
            display.day(value),
        )
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), display.day(value))


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], label: str, key: str) -> SafeString:
    """A column header that sorts the list by `key`: a link that keeps the page's filters,
    and aria-sort on the column the list is sorted by."""
    request = context["request"]
    sorting: Sorting | None = context.get("sorting")
    current = sorting is not None and sorting.key == key
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():  # blank filters (an "any" option) add nothing
        kept = [value for value in values if value.strip()]
        if kept and name not in {"page", "sort"}:
            query.setlist(name, kept)
    query["sort"] = f"-{key}" if current and sorting is not None and not sorting.descending else key
    if not current or sorting is None:
        return format_html(
            '<th scope="col"><a class="sort" href="?{}">{}</a></th>', query.urlencode(), label
        )
    direction = "descending" if sorting.descending else "ascending"
    return format_html(
        '<th scope="col" aria-sort="{}"><a class="sort sorted" href="?{}">{} '
        '<span aria-hidden="true">{}</span></a></th>',
        direction,
        query.urlencode(),
        label,
        "▼" if sorting.descending else "▲",
    )


@register.filter
def labelled_errors(form: forms.BaseForm) -> list[tuple[str, list[str]]]:
    """A form's errors with each field's label (what the page calls it), not its name."""
    rows = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = "" if name == "__all__" else str(field.label or name) if field else name
        rows.append((label, [str(error) for error in errors]))
    return rows
