"""Each person's desk: the page after sign-in, built only from the reminder selectors (the same
source as the e-mails and the feed), so the desk and the reminders never disagree.

The desk knows no deadline kind by name: kinds give the words and the links, and an app may add
a panel for a role (the agreements app adds the legal review queue) from its `ready()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from config.display import span_of_days
from config.reminders.registry import Recipient
from config.reminders.rules import rules_by_kind
from config.reminders.selectors import DueItem, due_items
from config.roles import Role, accord_user, has_role, is_administrator

#: How far ahead a liaison officer's and a legal advisor's desk looks.
HORIZON_DAYS = 90
#: How far ahead a manager's desk lists what comes due soon.
SOON_DAYS = 30
#: How many lines each list of a desk shows, most urgent first: a desk is read, not searched
#: (the counts say how many there are; a list of thousands took seconds to open).
DESK_LINES_SHOWN = 100
#: How far back an overdue item still shows: ten years, so a review forgotten for a decade
#: is still on someone's desk (the dates themselves are bounded to 1900–2200).
OVERDUE_DAYS = 3650

# Which kinds each desk lists: those whose reminder rule reminds people in that position, so a
# desk shows what its reader is reminded of (a liaison officer is not shown a legal decision).
DESK_RECIPIENTS = {
    "legal": {str(Recipient.LEGAL_REVIEWER), str(Recipient.LEGAL_ADVISORS)},
    "liaison": {str(Recipient.OWNER), str(Recipient.LIAISON_OFFICERS)},
}


@dataclass(frozen=True)
class DeskLine:
    """One due item as the desk shows it."""

    item: DueItem
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def when(self) -> str:
        if self.days_left == 0:
            return "today"
        if self.days_left == 1:
            return "tomorrow"
        if self.days_left > 0:
            return f"in {span_of_days(self.days_left)}"
        return f"{span_of_days(self.days_left)} overdue"


@dataclass(frozen=True)
class DeskPanel:
    """A block an app adds to the desk of a role: its template, which reads what `context`
    returns as `panel.…` (and the desk's `today`)."""

    code: str
    role: Role
    template: str
    context: Callable[[User, date], dict[str, Any]]


_PANELS: dict[str, DeskPanel] = {}


def register_panel(panel: DeskPanel) -> None:
    """Called from an app's `AppConfig.ready()`."""
    _PANELS[panel.code] = panel


def desk_view_for(user: User) -> str:
    """Which desk a person gets: managers and administrators the portfolio's, then legal
    advisors theirs, else the liaison officer's."""
    if is_administrator(user) or has_role(user, Role.MANAGER):
        return "manager"
    if has_role(user, Role.LEGAL_ADVISOR):
        return "legal"
    return "liaison"


def _lines(items: list[DueItem], today: date) -> list[DeskLine]:
    return [DeskLine(item=item, days_left=item.days_left(today)) for item in items]


def _kinds_for(view: str) -> list[str]:
    """Kinds whose reminder rule names this desk's reader, on or off: for a legal advisor,
    legal reviewers or legal advisors (their legal deadlines); for a liaison officer, the
    record's owner or the partner's liaison officers."""
    wanted = DESK_RECIPIENTS[view]
    return [code for code, rule in rules_by_kind().items() if wanted & set(rule.recipients)]


def by_partner_and_kind(lines: list[DeskLine]) -> list[tuple[str, list[tuple[str, list[Any]]]]]:
    """Lines grouped by partner, then by kind; an item of several partners once, under all
    of them together ("Colombia, Colombian Navy"). Groups with the longest-overdue item first."""
    groups: dict[str, dict[str, list[DeskLine]]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        partners = ", ".join(line.item.wording.partners) or "Every partner"
        groups[partners][line.item.kind.label].append(line)

    def oldest(group: tuple[str, dict[str, list[DeskLine]]]) -> tuple[date, str]:
        due = min(line.item.due_on for kind in group[1].values() for line in kind)
        return (due, group[0].casefold())

    return [
        (partner, sorted(kinds.items())) for partner, kinds in sorted(groups.items(), key=oldest)
    ]


def _shown(name: str, lines: list[DeskLine], context: dict[str, Any]) -> list[DeskLine]:
    """The first `DESK_LINES_SHOWN` of `lines` as `name`, with `name_count` (all of them) and
    `name_more` (those not shown) beside it."""
    shown = lines[:DESK_LINES_SHOWN]
    context.update(
        {name: shown, f"{name}_count": len(lines), f"{name}_more": len(lines) - len(shown)}
    )
    return shown


def desk_context(user: User, *, today: date) -> dict[str, Any]:
    view = desk_view_for(user)
    since = today - timedelta(days=OVERDUE_DAYS)
    context: dict[str, Any] = {"view": view, "today": today}
    if view == "manager":
        lines = _lines(due_items(user, start=since, end=today + timedelta(days=SOON_DAYS)), today)
        overdue = _shown("overdue", [line for line in lines if line.overdue], context)
        _shown("soon", [line for line in lines if not line.overdue], context)
        context.update(overdue_groups=by_partner_and_kind(overdue), soon_days=SOON_DAYS)
    else:
        codes = _kinds_for(view)
        lines = _lines(
            due_items(
                user, start=since, end=today + timedelta(days=HORIZON_DAYS), kind_codes=codes
            ),
            today,
        )
        _shown("overdue", [line for line in lines if line.overdue], context)
        _shown("upcoming", [line for line in lines if not line.overdue], context)
        context.update(horizon_days=HORIZON_DAYS)
    role = {"manager": Role.MANAGER, "legal": Role.LEGAL_ADVISOR}.get(view, Role.LIAISON_OFFICER)
    context["panels"] = [
        {"template": panel.template, **panel.context(user, today)}
        for panel in _PANELS.values()
        if panel.role is role
    ]
    return context


def desk_page(request: HttpRequest) -> HttpResponse:
    user = accord_user(request)
    return render(request, "accord/desk.html", desk_context(user, today=timezone.localdate()))
