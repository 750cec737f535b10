"""What the agreements app adds to the desk: the legal review queue on a legal advisor's."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User

from agreements.selectors.mandates import review_queue
from config.desk import DeskPanel, register_panel
from config.roles import Role


def _review_queue(user: User, today: date) -> dict[str, Any]:
    queue = review_queue(user)
    mandates, agreements = list(queue["mandates"]), list(queue["agreements"])
    return {
        "mandates": mandates,
        "agreements": agreements,
        "count": len(mandates) + len(agreements),
    }


def register() -> None:
    register_panel(
        DeskPanel(
            code="agreements.review_queue",
            role=Role.LEGAL_ADVISOR,
            template="agreements/_desk_review_queue.html",
            context=_review_queue,
        )
    )
