"""What the agreements app adds to the desk: the legal review queue on a legal advisor's."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User

from agreements.selectors.mandates import review_queue
from config.desk import DeskPanel, register_panel
from config.roles import Role

#: How many of the oldest waiting mandates and agreements the desk shows; the review queue
#: page lists them all (a desk of thousands of lines takes seconds to open and to read).
DESK_QUEUE_SHOWN = 25


def _review_queue(user: User, today: date) -> dict[str, Any]:
    queue = review_queue(user)
    mandates = list(queue["mandates"][:DESK_QUEUE_SHOWN])
    agreements = list(queue["agreements"][:DESK_QUEUE_SHOWN])
    count = len(mandates) + len(agreements)
    if DESK_QUEUE_SHOWN in (len(mandates), len(agreements)):
        count = queue["mandates"].count() + queue["agreements"].count()
    return {
        "mandates": mandates,
        "agreements": agreements,
        "count": count,
        "more": count - len(mandates) - len(agreements),
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
