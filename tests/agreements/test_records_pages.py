"""Agreement, mandate, constraint and engagement pages that never lose what was typed, go
back when asked, confirm final steps, and manage documents."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db.models import F
from django.test import Client

from agreements.forms import AgreementForm, ConstraintForm, EngagementForm, MandateForm
from agreements.models import (
    Agreement,
    Engagement,
    LegalMandate,
    SovereigntyConstraint,
)
from agreements.services import mandate_create
from tests.factories import AgreementFactory, activity


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(form_class, instance, user, **changes: Any) -> dict[str, Any]:
    """What the edit page's form posts when loaded now, with `changes` typed over it."""
    form = form_class(instance=instance, user=user)
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, date):
            data[name] = value.isoformat()
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return {**data, **changes}


def saved_meanwhile(model, pk: int, **changes: Any) -> None:
    """Someone else saves the record after the page was loaded."""
    model.objects.filter(pk=pk).update(version=F("version") + 1, **changes)


@pytest.fixture
def colombia_mou(personas):
    return AgreementFactory(
        reference="MOU-COL-2024-003",
        owner=personas.lo,
        parties=[personas.colombia],
        activity_types=[activity("joint-training")],
        signed_on=date(2024, 2, 1),
        effective_on=date(2024, 3, 1),
    )


@pytest.fixture
def article_17(personas) -> LegalMandate:
    return mandate_create(
        by=personas.legal_advisor,
        title="Art. 17",
        kind="treaty_provision",
        citation="art. 17",
        valid_from=date(1990, 1, 1),
        applies_to_all_partners=True,
        activity_types=[activity("maritime-interdiction")],
    )


@pytest.fixture
def boarding(personas) -> SovereigntyConstraint:
    return SovereigntyConstraint.objects.create(
        partner=personas.colombia,
        category="flag_state_consent_to_board",
        effect="advisory",
        description="Inform the navy first.",
    )


@pytest.fixture
def exercise(personas) -> Engagement:
    return Engagement.objects.create(
        partner=personas.colombia,
        activity_type=activity("joint-exercise"),
        title="UNITAS",
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 10),
    )


# --- item 1: an edit conflict keeps what was typed -------------------------------------------


def _conflict_page(personas, record, form_class, url, typed: dict[str, str], user=None):
    user = user or personas.lo
    loaded = form_data(form_class, record, user, **typed)
    return browser_as(user).post(url, loaded)


def test_an_agreement_edit_conflict_keeps_the_typed_values_next_to_the_fresh_form(
    personas, colombia_mou
) -> None:
    loaded = form_data(AgreementForm, colombia_mou, personas.lo, title="My careful new title")
    saved_meanwhile(Agreement, colombia_mou.pk, title="Their title")
    response = browser_as(personas.lo).post(f"/agreements/{colombia_mou.pk}/edit/", loaded)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your unsaved values" in html
    assert "My careful new title" in html
    assert 'value="Their title"' in html  # the fresh form
    assert 'name="version" value="2"' in html
    colombia_mou.refresh_from_db()
    assert colombia_mou.title == "Their title"


def test_a_mandate_edit_conflict_keeps_the_typed_values(personas, article_17) -> None:
    loaded = form_data(
        MandateForm, article_17, personas.legal_advisor, summary="Flag state consent first."
    )
    saved_meanwhile(LegalMandate, article_17.pk, title="Article 17 (renamed)")
    response = browser_as(personas.legal_advisor).post(f"/mandates/{article_17.pk}/edit/", loaded)
    html = response.content.decode()
    assert "Your unsaved values" in html and "Flag state consent first." in html
    assert 'value="Article 17 (renamed)"' in html


def test_a_constraint_edit_conflict_keeps_the_typed_values(personas, boarding) -> None:
    loaded = form_data(ConstraintForm, boarding, personas.lo, description="Ask 10 days ahead.")
    saved_meanwhile(SovereigntyConstraint, boarding.pk, description="Theirs.")
    response = browser_as(personas.lo).post(f"/constraints/{boarding.pk}/edit/", loaded)
    html = response.content.decode()
    assert "Your unsaved values" in html and "Ask 10 days ahead." in html
    assert "Theirs." in html


def test_an_engagement_edit_conflict_keeps_the_typed_values(personas, exercise) -> None:
    loaded = form_data(EngagementForm, exercise, personas.lo, location="Cartagena harbour")
    saved_meanwhile(Engagement, exercise.pk, title="UNITAS LXVIII")
    response = browser_as(personas.lo).post(f"/engagements/{exercise.pk}/edit/", loaded)
    html = response.content.decode()
    assert "Your unsaved values" in html and "Cartagena harbour" in html
    assert 'value="UNITAS LXVIII"' in html
    exercise.refresh_from_db()
    assert exercise.location == ""
