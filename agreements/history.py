"""What an agreement's, a mandate's and a partner's history show besides their own fields."""

from __future__ import annotations

from typing import Any

from config.history import ChildHistory, register_child_history, register_history_fields


def _party_name(snapshot: Any) -> str:
    return f"{snapshot.partner.name} ({snapshot.get_role_display().lower()})"


def _review_name(snapshot: Any) -> str:
    return f"{snapshot.reviewed_on}, {snapshot.get_outcome_display().lower()}"


def register() -> None:
    from agreements.models import (
        Agreement,
        AgreementDocument,
        AgreementParty,
        AgreementReview,
        Engagement,
        LegalMandate,
        Partner,
        SovereigntyConstraint,
    )

    # A mandate's status only moves by a legal decision or a material change; forms never edit
    # it, and it is the first thing a reader of the history looks for.
    register_history_fields(LegalMandate, "status")
    register_child_history(
        Agreement,
        ChildHistory(
            model=AgreementParty,
            link="agreement",
            noun="Party",
            name=_party_name,
            select_related=("partner",),
            hidden=frozenset({"agreement", "partner"}),
        ),
    )
    register_child_history(
        Agreement,
        ChildHistory(
            model=AgreementDocument,
            link="agreement",
            noun="Document",
            name=lambda snapshot: snapshot.title,
            hidden=frozenset({"agreement", "file", "title"}),
        ),
    )
    register_child_history(
        Agreement,
        ChildHistory(
            model=AgreementReview,
            link="agreement",
            noun="Review",
            name=_review_name,
            hidden=frozenset({"agreement", "reviewer", "reviewed_on", "outcome"}),
        ),
    )
    # A partner's constraints and engagements have their own pages, but once removed only the
    # partner's history can tell that they were there, who removed them and why.
    register_child_history(
        Partner,
        ChildHistory(
            model=SovereigntyConstraint,
            link="partner",
            noun="Constraint",
            name=lambda snapshot: snapshot.get_category_display(),
            hidden=frozenset({"partner", "category"}),
        ),
    )
    register_child_history(
        Partner,
        ChildHistory(
            model=Engagement,
            link="partner",
            noun="Engagement",
            name=lambda snapshot: snapshot.title,
            hidden=frozenset({"partner", "title", "created_by"}),
        ),
    )
