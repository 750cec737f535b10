"""Agreement, mandate, constraint and engagement pages that never lose what was typed, go
back when asked, confirm final steps, and manage documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path
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
    loaded = {f"initial-{name}": value for name, value in data.items() if name != "version"}
    return {**data, **loaded, **changes}


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
    kept = html[
        html.index('id="stale-values"') : html.index("</dl>", html.index('id="stale-values"'))
    ]
    assert "My careful new title" in kept
    assert "Reference" not in kept  # only what the user changed
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
    kept = html[
        html.index('id="stale-values"') : html.index("</dl>", html.index('id="stale-values"'))
    ]
    assert "UNITAS" not in kept  # someone else's change is not listed as the user's
    exercise.refresh_from_db()
    assert exercise.location == ""


# --- item 1: panel errors beside their fields, input kept ------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_refused_party_shows_its_errors_in_the_open_panel_via_htmx(
    personas, colombia_mou
) -> None:
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/parties/",
        {"role": "party", "reservations": "Art. 4 does not apply."},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200  # swapped in place by htmx
    assert html.lstrip().startswith('<div id="party-panel"')
    assert "<details open>" in html
    assert 'class="field has-error"' in html and "This field is required." in html
    assert "Art. 4 does not apply." in html  # the input is kept
    assert colombia_mou.parties.count() == 1


def test_a_refused_party_without_htmx_re_renders_the_page_with_the_errors(
    personas, colombia_mou
) -> None:
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/parties/",
        {
            "partner": personas.colombian_navy.pk,
            "role": "party",
            "signed_on": "2024-05-01",
            "withdrawn_on": "2024-04-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "<h1>MOU-COL-2024-003</h1>" in html and "<details open>" in html
    assert 'value="2024-05-01"' in html
    assert "withdrawn_on:" not in html  # no raw field name in a banner


def test_a_refused_review_keeps_the_notes_beside_the_date_error(personas, colombia_mou) -> None:
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/reviews/",
        {"reviewed_on": "2099-01-01", "outcome": "continue", "notes": "Still useful."},
        **HTMX,
    )
    html = response.content.decode()
    assert 'id="review-panel"' in html
    assert "A review cannot be dated in the future." in html
    assert "Still useful." in html
    assert not colombia_mou.reviews.exists()


def test_a_refused_document_names_the_field_and_keeps_the_title(personas, colombia_mou) -> None:
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/documents/",
        {
            "file": pdf("text.pdf"),
            "title": "Signed English text",
            "kind": "signed_text",
            "language": "zz",
        },
        **HTMX,
    )
    html = response.content.decode()
    assert 'id="document-panel"' in html
    assert "is not an ISO 639 language code" in html
    assert 'value="Signed English text"' in html
    assert not colombia_mou.documents.exists()


def test_an_accepted_panel_via_htmx_sends_the_browser_to_the_refreshed_page(
    personas, colombia_mou
) -> None:
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/parties/",
        {"partner": personas.colombian_navy.pk, "role": "observer"},
        **HTMX,
    )
    assert response["HX-Redirect"] == f"/agreements/{colombia_mou.pk}/"
    assert colombia_mou.parties.count() == 2


# --- item 2: send back, reject, confirm final steps ------------------------------------------


@pytest.fixture
def in_legal_review(colombia_mou) -> Agreement:
    Agreement.objects.filter(pk=colombia_mou.pk).update(status=Agreement.Status.LEGAL_REVIEW)
    colombia_mou.refresh_from_db()
    return colombia_mou


def test_a_legal_advisor_returns_an_agreement_for_changes_with_a_note(
    personas, in_legal_review
) -> None:
    client = browser_as(personas.legal_advisor)
    page = client.get(f"/agreements/{in_legal_review.pk}/").content.decode()
    assert "Return for changes…" in page and "Reject…" in page
    confirm = client.get(f"/agreements/{in_legal_review.pk}/transition/", {"to": "negotiation"})
    assert "What must change" in confirm.content.decode()
    url = f"/agreements/{in_legal_review.pk}/transition/"
    refused = client.post(url, {"to": "negotiation", "note": " "})
    assert refused.status_code == 400
    in_legal_review.refresh_from_db()
    assert in_legal_review.status == Agreement.Status.LEGAL_REVIEW
    done = client.post(url, {"to": "negotiation", "note": "Art. 7 needs a data clause."})
    assert done.status_code == 302
    in_legal_review.refresh_from_db()
    assert in_legal_review.status == Agreement.Status.NEGOTIATION
    logged = in_legal_review.transitions.get()
    assert (
        logged.note == "Returned from legal review, changes requested: Art. 7 needs a data clause."
    )
    assert logged.by == personas.legal_advisor
    html = client.get(f"/agreements/{in_legal_review.pk}/").content.decode()
    assert html.count("Art. 7 needs a data clause.") >= 2  # lifecycle log and history


def test_a_legal_advisor_rejects_an_agreement_with_a_reason_and_it_is_terminated(
    personas, in_legal_review
) -> None:
    client = browser_as(personas.legal_advisor)
    client.post(
        f"/agreements/{in_legal_review.pk}/transition/",
        {"to": "terminated", "note": "Conflicts with the 1988 Convention."},
    )
    in_legal_review.refresh_from_db()
    assert in_legal_review.status == Agreement.Status.TERMINATED
    assert in_legal_review.transitions.get().note.startswith("Rejected in legal review: ")


@pytest.mark.parametrize("who", ["lo", "manager"])
def test_only_a_legal_advisor_rejects_an_agreement_in_legal_review(
    personas, in_legal_review, who
) -> None:
    client = browser_as(getattr(personas, who))
    page = client.get(f"/agreements/{in_legal_review.pk}/").content.decode()
    assert "Reject…" not in page
    response = client.post(
        f"/agreements/{in_legal_review.pk}/transition/", {"to": "terminated", "note": "No."}
    )
    assert response.status_code == 403
    in_legal_review.refresh_from_db()
    assert in_legal_review.status == Agreement.Status.LEGAL_REVIEW


def test_a_manager_cannot_return_an_agreement_for_changes(personas, in_legal_review) -> None:
    response = browser_as(personas.manager).post(
        f"/agreements/{in_legal_review.pk}/transition/", {"to": "negotiation", "note": "Why"}
    )
    assert response.status_code == 403


def test_a_final_transition_asks_for_confirmation_and_a_reason(personas, colombia_mou) -> None:
    client = browser_as(personas.lo)
    page = client.get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert 'value="terminated"' not in page  # not a one-click button
    assert f"/agreements/{colombia_mou.pk}/transition/?to=terminated" in page
    confirm = client.get(f"/agreements/{colombia_mou.pk}/transition/?to=terminated")
    assert "This is final" in confirm.content.decode()
    url = f"/agreements/{colombia_mou.pk}/transition/"
    refused = client.post(url, {"to": "terminated"})
    assert refused.status_code == 400
    assert "Give the reason; it is kept in the lifecycle log." in refused.content.decode()
    colombia_mou.refresh_from_db()
    assert colombia_mou.status == Agreement.Status.DRAFT
    client.post(url, {"to": "terminated", "note": "Talks abandoned."})
    colombia_mou.refresh_from_db()
    assert colombia_mou.status == Agreement.Status.TERMINATED
    assert colombia_mou.history.first().history_change_reason == "Talks abandoned."


def test_the_service_requires_a_reason_for_a_final_transition(personas, colombia_mou) -> None:
    from django.core.exceptions import ValidationError

    from agreements.services import agreement_transition

    with pytest.raises(ValidationError) as refused:
        agreement_transition(agreement=colombia_mou, to="terminated", by=personas.lo)
    assert "note" in refused.value.message_dict


def test_moving_in_force_before_the_effective_date_is_refused_with_the_reason(
    personas, colombia_mou
) -> None:
    Agreement.objects.filter(pk=colombia_mou.pk).update(
        status=Agreement.Status.SIGNED, effective_on=date(2099, 7, 1)
    )
    response = browser_as(personas.lo).post(
        f"/agreements/{colombia_mou.pk}/transition/", {"to": "in_force"}, follow=True
    )
    html = response.content.decode()
    assert "takes effect on 1 Jul 2099; the daily job moves it in force on that day" in html
    colombia_mou.refresh_from_db()
    assert colombia_mou.status == Agreement.Status.SIGNED


def test_removing_a_party_asks_for_a_reason_that_is_kept(personas, colombia_mou) -> None:
    party = colombia_mou.parties.get()
    client = browser_as(personas.lo)
    page = client.get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert f'href="/agreement-parties/{party.pk}/remove/"' in page
    assert "Remove Colombia from MOU-COL-2024-003" in (
        client.get(f"/agreement-parties/{party.pk}/remove/").content.decode()
    )
    refused = client.post(f"/agreement-parties/{party.pk}/remove/", {"reason": ""})
    assert refused.status_code == 400 and colombia_mou.parties.exists()
    client.post(f"/agreement-parties/{party.pk}/remove/", {"reason": "Listed by mistake."})
    assert not colombia_mou.parties.exists()
    html = client.get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert "Listed by mistake." in html


def test_a_decided_mandate_shows_its_decision_and_offers_no_second_one(
    personas, article_17
) -> None:
    client = browser_as(personas.legal_advisor)
    assert "Record decision" in client.get(f"/mandates/{article_17.pk}/").content.decode()
    client.post(
        f"/mandates/{article_17.pk}/decide/",
        {"decision": "approved", "opinion": "Art. 17 applies.", "version": article_17.version},
    )
    article_17.refresh_from_db()
    html = client.get(f"/mandates/{article_17.pk}/").content.decode()
    assert 'id="decision"' in html and "The decision stands." in html
    assert "Record decision" not in html
    again = client.post(
        f"/mandates/{article_17.pk}/decide/",
        {"decision": "rejected", "opinion": "Second thoughts.", "version": article_17.version},
    )
    assert again.status_code == 400
    assert "already decided" in again.content.decode()
    assert article_17.reviews.count() == 1


def test_a_material_change_offers_a_new_decision(personas, article_17) -> None:
    from agreements.services import legal_review_decide, mandate_update

    legal_review_decide(
        mandate=article_17,
        version=1,
        reviewer=personas.legal_advisor,
        decision="approved",
        opinion="ok",
    )
    article_17.refresh_from_db()
    mandate_update(
        mandate=article_17,
        by=personas.legal_advisor,
        version=article_17.version,
        citation="art. 17(4)",
    )
    html = browser_as(personas.legal_advisor).get(f"/mandates/{article_17.pk}/").content.decode()
    assert "Record decision" in html and 'id="decision"' not in html


# --- item 4: withdraw and remove, duplicates, file names -------------------------------------


def pdf(name: str, body: bytes = b"%PDF-1.7 signed text"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, "application/pdf")


def upload(client, agreement, name="Acuerdo firmado.pdf", body=b"%PDF-1.7 signed", **fields):
    return client.post(
        f"/agreements/{agreement.pk}/documents/",
        {
            "file": pdf(name, body),
            "title": "Signed text",
            "kind": "signed_text",
            "language": "es",
            **fields,
        },
    )


def test_a_document_downloads_under_the_name_it_was_uploaded_with(personas, colombia_mou):
    client = browser_as(personas.lo)
    upload(client, colombia_mou, body=b"%PDF-1.7 one")
    upload(client, colombia_mou, body=b"%PDF-1.7 two", title="Second copy")  # same name
    first, second = colombia_mou.documents.order_by("pk")
    assert first.file.name != second.file.name  # the storage renamed the second on disk
    for document in (first, second):
        response = client.get(f"/documents/{document.pk}/")
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "Acuerdo%20firmado.pdf" in disposition or '"Acuerdo firmado.pdf"' in disposition


def test_the_same_file_twice_on_one_agreement_is_refused_naming_the_stored_one(
    personas, colombia_mou
) -> None:
    client = browser_as(personas.lo)
    upload(client, colombia_mou)
    again = upload(client, colombia_mou, name="copy.pdf", title="Copy")
    html = again.content.decode()
    assert again.status_code == 400
    assert "This file is already stored on MOU-COL-2024-003 as “Signed text”" in html
    assert colombia_mou.documents.count() == 1


def test_a_liaison_officer_withdraws_a_document_with_a_reason(
    personas, colombia_mou, django_capture_on_commit_callbacks
) -> None:
    client = browser_as(personas.lo)
    upload(client, colombia_mou)
    document = colombia_mou.documents.get()
    stored = document.file.path
    assert (
        browser_as(personas.manager)
        .post(f"/documents/{document.pk}/withdraw/", {"reason": "x"})
        .status_code
        == 403
    )
    assert client.post(f"/documents/{document.pk}/withdraw/", {"reason": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/documents/{document.pk}/withdraw/", {"reason": "Wrong file."})
    assert not colombia_mou.documents.exists()
    assert not Path(stored).exists()
    html = client.get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert 'removed <span class="history-subject">Document Signed text' in html
    assert "Wrong file." in html


def test_a_liaison_officer_removes_a_constraint_and_the_partner_history_keeps_it(
    personas, boarding
) -> None:
    assert (
        browser_as(personas.other_lo).get(f"/constraints/{boarding.pk}/remove/").status_code == 404
    )
    assert (
        browser_as(personas.manager)
        .post(f"/constraints/{boarding.pk}/remove/", {"reason": "x"})
        .status_code
        == 403
    )
    client = browser_as(personas.lo)
    page = client.get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert f"/constraints/{boarding.pk}/remove/" in page
    client.post(f"/constraints/{boarding.pk}/remove/", {"reason": "Lifted by Colombia."})
    assert not SovereigntyConstraint.objects.filter(pk=boarding.pk).exists()
    html = client.get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert 'removed <span class="history-subject">Constraint' in html
    assert "Lifted by Colombia." in html


def test_a_liaison_officer_cancels_an_engagement_with_a_reason(personas, exercise) -> None:
    client = browser_as(personas.lo)
    assert "Cancel engagement…" in client.get(f"/engagements/{exercise.pk}/").content.decode()
    manager_page = browser_as(personas.manager).get(f"/engagements/{exercise.pk}/")
    assert "Cancel engagement…" not in manager_page.content.decode()
    client.post(f"/engagements/{exercise.pk}/remove/", {"reason": "Postponed a year."})
    assert not Engagement.objects.filter(pk=exercise.pk).exists()
    html = client.get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert 'removed <span class="history-subject">Engagement UNITAS' in html
    assert "Postponed a year." in html


# --- item 5: wording and display -------------------------------------------------------------


def test_genealogy_reads_amends_and_the_parent_reference(personas) -> None:
    umbrella = AgreementFactory(
        reference="SR-JAM-1997-001", owner=personas.lo, parties=[personas.colombia]
    )
    amendment = AgreementFactory(
        reference="SR-JAM-2004-002",
        owner=personas.lo,
        parties=[personas.colombia],
        parent=umbrella,
        relation_to_parent="amendment",
    )
    client = browser_as(personas.lo)
    page = client.get(f"/agreements/{amendment.pk}/").content.decode()
    assert f'amends <a href="/agreements/{umbrella.pk}/">SR-JAM-1997-001</a>' in page
    parent_page = client.get(f"/agreements/{umbrella.pk}/").content.decode()
    assert "amends SR-JAM-1997-001" in parent_page
    partner_page = client.get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert "amends SR-JAM-1997-001" in partner_page


def test_a_co_party_the_user_cannot_open_is_text_not_a_link(personas) -> None:
    treaty = AgreementFactory(owner=personas.lo, parties=[personas.colombia, personas.panama])
    html = browser_as(personas.lo).get(f"/agreements/{treaty.pk}/").content.decode()
    assert f'href="/partners/{personas.colombia.pk}/"' in html
    assert f'href="/partners/{personas.panama.pk}/"' not in html
    assert "Panama" in html
    assert "2 parties" in html


def test_one_party_reads_in_the_singular(personas, colombia_mou) -> None:
    html = browser_as(personas.lo).get(f"/agreements/{colombia_mou.pk}/").content.decode()
    assert "1 party<" in html and "0 documents" in html


def test_the_constraint_form_lists_only_the_partners_agreements(personas, colombia_mou) -> None:
    other = AgreementFactory(
        reference="MOU-XX-2020-001", owner=personas.lo, parties=[personas.panama]
    )
    html = (
        browser_as(personas.lo)
        .get(f"/partners/{personas.colombia.pk}/constraints/new/")
        .content.decode()
    )
    assert "MOU-COL-2024-003" in html
    assert other.reference not in html
