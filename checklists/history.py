"""What an assessment's history shows besides its own fields: its answers, evidence files and
the rounds started from it."""

from __future__ import annotations

from typing import Any

from config.history import ChildHistory, register_child_history


def _evidence_name(snapshot: Any) -> str:
    return f"{snapshot.name} ({snapshot.response.item.code})"


def _round_name(snapshot: Any) -> str:
    return f"assessment #{snapshot.id} on {snapshot.template}"


def register() -> None:
    from checklists.models import Assessment, EvidenceFile, ItemResponse

    register_child_history(
        Assessment,
        ChildHistory(
            model=ItemResponse,
            link="assessment",
            noun="Answer",
            name=lambda snapshot: snapshot.item.code,
            select_related=("item",),
            hidden=frozenset({"assessment", "item"}),
            # The unanswered rows an assessment starts with are the "before" of each answer;
            # the assessment's own "created" entry already says they were made.
            history_types=frozenset({"~", "-"}),
        ),
    )
    register_child_history(
        Assessment,
        ChildHistory(
            model=EvidenceFile,
            link="response__assessment",
            noun="Evidence file",
            name=_evidence_name,
            select_related=("response__item",),
            shown=(),
        ),
    )
    register_child_history(
        Assessment,
        ChildHistory(
            model=Assessment,
            link="previous",
            noun="Next round",
            name=_round_name,
            select_related=("template",),
            shown=(),
            history_types=frozenset({"+"}),
        ),
    )
