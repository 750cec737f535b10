"""Count it: every kind of change a user makes shows in the history of the record they would
look at (API and page), with who, when and old → new."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import Agreement
from agreements.services import agreement_party_add, agreement_party_update
from checklists.models import Assessment, ChecklistTemplate
from checklists.services import assessment_create, responses_update
from tests.checklists.test_editor_pages import make_template
from tests.factories import PartnerFactory

API = "/api/v1/"


def browser_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def label(user: Any) -> str:
    return f"{user.get_full_name()} ({user.get_username()})"


def find(history: list[dict], summary: str, **expected: Any) -> dict:
    """The one entry whose summary starts with `summary` (and has the expected keys)."""
    matches = [
        entry
        for entry in history
        if entry["summary"].startswith(summary)
        and all(entry[key] == value for key, value in expected.items())
    ]
    assert len(matches) == 1, (summary, [entry["summary"] for entry in history])
    return matches[0]


def change(entry: dict, field: str) -> tuple[str, str]:
    (found,) = [c for c in entry["changes"] if c["field"] == field]
    return found["old"], found["new"]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json() if response.content else None


@pytest.fixture
def jamaica(personas):
    return PartnerFactory(name="Jamaica", country_code="JM", liaison_officers=[personas.lo])


@pytest.fixture
def library(db) -> ChecklistTemplate:
    call_command("load_checklist_templates", stdout=io.StringIO())
    return ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")


def _agreement_story(personas, api, jamaica) -> tuple[int, list[dict]]:
    lo, legal = api(personas.lo), api(personas.legal_advisor)
    agreement = ok(
        lo.post(
            f"{API}agreements/",
            {
                "reference": "MOU-JAM-2024-001",
                "title": "Ship-rider MOU",
                "kind": "mou",
                "parties": [{"partner": personas.colombia.pk, "role": "party"}],
                "review_interval_months": 12,
            },
        ),
        201,
    )
    url = f"{API}agreements/{agreement['id']}/"
    agreement = ok(lo.patch(url, {"title": "Ship-rider agreement", "version": 1}))
    party = ok(
        lo.post(
            f"{url}parties/",
            {"partner": jamaica.pk, "role": "party", "signed_on": "2024-01-02"},
        ),
        201,
    )
    party_url = f"{API}agreement-parties/{party['id']}/"
    ok(lo.patch(party_url, {"in_force_on": "2024-03-01", "version": party["version"]}))
    assert lo.delete(party_url).status_code == 400  # the reason is required
    assert lo.delete(party_url, {"reason": "Signed by mistake."}).status_code == 204
    ok(lo.post(f"{url}transition/", {"to": "negotiation", "note": "Talks opened in Kingston."}))
    today = timezone.localdate().isoformat()
    ok(
        legal.post(
            f"{url}reviews/", {"reviewed_on": today, "outcome": "continue", "notes": "Fine."}
        ),
        201,
    )
    pdf = SimpleUploadedFile("signed.pdf", b"%PDF-1.7 signed text", "application/pdf")
    ok(
        lo.post(
            f"{url}documents/",
            {"file": pdf, "title": "Signed text", "language": "en"},
            format="multipart",
        ),
        201,
    )
    return agreement["id"], ok(lo.get(f"{url}history/"))


def test_an_agreements_history_shows_its_parties_transitions_reviews_and_documents(
    personas, api, jamaica
) -> None:
    _, history = _agreement_story(personas, api, jamaica)
    maria, hannah = label(personas.lo), label(personas.legal_advisor)

    created = find(history, "Created", by=maria)
    assert change(created, "reference") == ("—", "MOU-JAM-2024-001")
    assert change(find(history, "Changed — title"), "title") == (
        "Ship-rider MOU",
        "Ship-rider agreement",
    )
    assert find(history, "Party added: Colombia (party)", by=maria)
    added = find(history, "Party added: Jamaica (party)", by=maria)
    assert added["summary"] == "Party added: Jamaica (party) — role Party, signed on 2024-01-02"
    assert added["subject"] == "Party Jamaica (party)" and added["action"] == "added"
    changed = find(history, "Party changed: Jamaica (party)", by=maria)
    assert changed["summary"] == "Party changed: Jamaica (party) — in force on — → 2024-03-01"
    assert find(history, "Party removed: Jamaica (party)", by=maria)["changes"] == []

    moved = find(history, "Changed — status", by=maria)
    assert change(moved, "status") == ("Draft", "In negotiation")
    assert moved["reason"] == "Talks opened in Kingston."
    review = find(history, "Review added:", by=hannah)
    assert change(review, "notes") == ("—", "Fine.")
    reviewed = find(history, "Changed — last reviewed on", by=hannah)
    assert reviewed["reason"].startswith("Reviewed on")
    document = find(history, "Document added: Signed text", by=maria)
    assert change(document, "language") == ("—", "en")
    assert all(entry["by"] != "system" for entry in history)
    assert [entry["at"] for entry in history] == sorted(
        (entry["at"] for entry in history), reverse=True
    )


def test_the_agreement_page_shows_the_same_history(personas, api, jamaica) -> None:
    agreement_id, _ = _agreement_story(personas, api, jamaica)
    page = browser_as(personas.lo).get(f"/agreements/{agreement_id}/").content.decode()
    history = page[page.index('id="history"') :]
    for text in (
        "Party Jamaica (party)",
        "removed",
        "2024-03-01",
        "Talks opened in Kingston.",
        "In negotiation",
        "Document Signed text",
        "Review ",
    ):
        assert text in history, text


def _mandate_story(personas, api) -> tuple[int, list[dict]]:
    legal = api(personas.legal_advisor)
    mandate = ok(
        legal.post(
            f"{API}mandates/",
            {
                "title": "Counter-drug boarding authority",
                "kind": "domestic_statute",
                "citation": "Maritime Drug Law Enforcement Act",
                "activity_types": ["maritime-interdiction"],
                "applies_to_all_partners": True,
                "valid_from": "2024-01-01",
            },
        ),
        201,
    )
    url = f"{API}mandates/{mandate['id']}/"
    decision = {"decision": "approved", "opinion": "Sound.", "version": mandate["version"]}
    ok(legal.post(f"{url}reviews/", decision), 201)
    version = ok(legal.get(url))["version"]
    ok(legal.patch(url, {"geographic_scope": "Caribbean Sea", "version": version}))
    return mandate["id"], ok(legal.get(f"{url}history/"))


def test_a_mandates_history_says_why_its_status_moved(personas, api) -> None:
    _, history = _mandate_story(personas, api)
    decided = find(history, "Changed — status", reason="Legal review: approved.")
    assert decided["by"] == label(personas.legal_advisor)
    assert change(decided, "status") == ("Pending legal review", "Approved")
    material = find(history, "Changed — ", reason="Material change: back to pending legal review.")
    assert material["by"] == label(personas.legal_advisor)
    assert change(material, "status") == ("Approved", "Pending legal review")
    assert change(material, "geographic_scope") == ("—", "Caribbean Sea")


def test_the_mandate_page_shows_why_its_status_moved(personas, api) -> None:
    mandate_id, _ = _mandate_story(personas, api)
    page = browser_as(personas.legal_advisor).get(f"/mandates/{mandate_id}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "Material change: back to pending legal review." in history
    assert "Legal review: approved." in history and "Caribbean Sea" in history


def test_constraint_and_engagement_updates_are_in_their_histories(personas, api) -> None:
    lo = api(personas.lo)
    constraint = ok(
        lo.post(
            f"{API}constraints/",
            {
                "partner": personas.colombia.pk,
                "category": "overflight",
                "effect": "advisory",
                "description": "Notify the air force.",
            },
        ),
        201,
    )
    url = f"{API}constraints/{constraint['id']}/"
    ok(lo.patch(url, {"description": "Notify the air force 48 h ahead.", "version": 1}))
    entry = find(ok(lo.get(f"{url}history/")), "Changed", by="María Ortega (maria)")
    assert change(entry, "description") == (
        "Notify the air force.",
        "Notify the air force 48 h ahead.",
    )
    engagement = ok(
        lo.post(
            f"{API}engagements/",
            {
                "partner": personas.colombia.pk,
                "activity_type": "joint-training",
                "title": "Boarding course",
                "starts_on": "2027-03-01",
                "ends_on": "2027-03-10",
            },
        ),
        201,
    )
    url = f"{API}engagements/{engagement['id']}/"
    ok(lo.patch(url, {"location": "Cartagena", "version": 1}))
    entry = find(ok(lo.get(f"{url}history/")), "Changed", by="María Ortega (maria)")
    assert change(entry, "location") == ("—", "Cartagena")


def _assessment_story(personas, api, library) -> tuple[int, list[dict]]:
    lo, manager = api(personas.lo), api(personas.manager)
    assessment = ok(
        lo.post(f"{API}assessments/", {"partner": personas.colombia.pk, "template": library.pk}),
        201,
    )
    url = f"{API}assessments/{assessment['id']}/"
    rows = {row["code"]: row for row in ok(lo.get(f"{url}responses/"))}
    due = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    ok(
        lo.patch(
            f"{url}responses/",
            [
                {
                    "code": "MCD-LEG-01",
                    "version": 1,
                    "result": "met",
                    "evidence_text": "Statute cited.",
                },
                {"code": "MCD-LEG-02", "version": 1, "evidence_link": "https://example.org/a"},
                {"code": "MCD-LEG-03", "version": 1, "owner": personas.other_lo.pk},
                {
                    "code": "MCD-LEG-04",
                    "version": 1,
                    "result": "not_met",
                    "remediation_plan": "Train boarding teams.",
                    "remediation_due_on": due,
                },
            ],
        )
    )
    assert rows["MCD-LEG-01"]["result"] == "not_assessed"
    ok(
        lo.patch(
            f"{url}responses/", [{"code": "MCD-LEG-01", "version": 2, "result": "partially_met"}]
        )
    )
    report = SimpleUploadedFile("drill-report.pdf", b"%PDF-1.7 drill", "application/pdf")
    evidence = ok(
        lo.post(f"{url}evidence/", {"code": "MCD-LEG-02", "file": report}, format="multipart"),
        201,
    )
    assert lo.delete(f"{url}evidence/{evidence['id']}/").status_code == 204
    spare = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40, "image/png")
    ok(lo.post(f"{url}evidence/", {"code": "MCD-LEG-05", "file": spare}, format="multipart"), 201)
    ok(lo.post(f"{url}submit/"))
    ok(manager.post(f"{url}approve/"))
    ok(lo.post(f"{url}clone/"), 201)
    return assessment["id"], ok(lo.get(f"{url}history/"))


def test_an_assessments_history_shows_every_answer_file_and_status(personas, api, library) -> None:
    _, history = _assessment_story(personas, api, library)
    maria = label(personas.lo)

    assert find(history, "Created", by=maria)
    started = find(history, "Changed — status", reason="First answer given.")
    assert started["by"] == maria and change(started, "status") == ("Draft", "In progress")
    first = find(history, "Answer changed: MCD-LEG-01 — result Not assessed → Met", by=maria)
    assert change(first, "evidence_text") == ("—", "Statute cited.")
    second = find(history, "Answer changed: MCD-LEG-01 — result Met → Partially met")
    assert second["by"] == maria and second["subject"] == "Answer MCD-LEG-01"
    link = find(history, "Answer changed: MCD-LEG-02")
    assert change(link, "evidence_link") == ("—", "https://example.org/a")
    owner = find(history, "Answer changed: MCD-LEG-03")
    assert change(owner, "owner") == ("—", label(personas.other_lo))
    remediation = find(history, "Answer changed: MCD-LEG-04")
    assert change(remediation, "remediation_plan") == ("—", "Train boarding teams.")
    assert change(remediation, "remediation_due_on")[0] == "—"
    assert find(history, "Evidence file added: drill-report.pdf (MCD-LEG-02)", by=maria)
    assert find(history, "Evidence file removed: drill-report.pdf (MCD-LEG-02)", by=maria)
    assert find(history, "Evidence file added: photo.png (MCD-LEG-05)", by=maria)
    submitted = find(history, "Changed — status In progress → Submitted")
    assert submitted["by"] == maria
    approved = find(history, "Changed — status Submitted → Approved")
    assert approved["by"] == label(personas.manager)
    assert change(approved, "approved_by") == ("—", label(personas.manager))
    assert find(history, "Next round added: assessment #", by=maria)
    assert all(entry["by"] != "system" for entry in history)


def test_the_assessment_page_shows_its_history(personas, api, library) -> None:
    assessment_id, _ = _assessment_story(personas, api, library)
    page = browser_as(personas.lo).get(f"/assessments/{assessment_id}/").content.decode()
    history = page[page.index('id="history"') :]
    for text in (
        "Answer MCD-LEG-01",
        "Partially met",
        "Train boarding teams.",
        "Evidence file drill-report.pdf (MCD-LEG-02)",
        "removed",
        "Submitted",
        personas.manager.get_username(),
        "Next round",
    ):
        assert text in history, text


def test_the_cloned_round_starts_its_history_from_the_copied_answers(
    personas, api, library
) -> None:
    source_id, _ = _assessment_story(personas, api, library)
    clone = Assessment.objects.get(previous_id=source_id)
    lo = api(personas.lo)
    url = f"{API}assessments/{clone.pk}/"
    row = next(r for r in ok(lo.get(f"{url}responses/")) if r["code"] == "MCD-LEG-01")
    ok(
        lo.patch(
            f"{url}responses/", [{"code": "MCD-LEG-01", "version": row["version"], "result": "met"}]
        )
    )
    history = ok(lo.get(f"{url}history/"))
    entry = find(history, "Answer changed: MCD-LEG-01")
    assert change(entry, "result") == ("Partially met", "Met")
    assert change(entry, "needs_reconfirmation") == ("yes", "no")


# --- reading a history costs a fixed number of queries -------------------------------------


def _answer_everything(assessment: Assessment, by: Any, rounds: int) -> None:
    results = ["met", "not_met", "partially_met"]
    for round_ in range(rounds):
        responses_update(
            assessment=assessment,
            by=by,
            changes=[
                {
                    "code": r.item.code,
                    "version": r.version,
                    "result": results[(round_ + n) % 3],
                    "owner": by,
                    "evidence_text": f"Round {round_}",
                }
                for n, r in enumerate(assessment.responses.select_related("item"))
            ],
        )


def _queries(client: Any, url: str) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as queries:
        history = ok(client.get(url))
    return len(queries), history


def test_an_assessments_history_reads_a_fixed_number_of_queries_however_many_answers(
    personas, api, django_assert_max_num_queries
) -> None:
    small = assessment_create(by=personas.lo, partner=personas.colombia, template=make_template(3))
    large = assessment_create(
        by=personas.lo, partner=personas.colombia, template=make_template(150)
    )
    _answer_everything(small, personas.lo, rounds=1)
    _answer_everything(large, personas.lo, rounds=2)
    client = api(personas.lo)
    small_count, small_history = _queries(client, f"{API}assessments/{small.pk}/history/")
    with django_assert_max_num_queries(small_count):
        large_history = ok(client.get(f"{API}assessments/{large.pk}/history/"))
    assert small_count <= 10
    answers = [e for e in large_history if e["subject"].startswith("Answer ")]
    assert len(answers) == 300 and len(small_history) < len(large_history)


def test_an_agreements_history_reads_a_fixed_number_of_queries_however_many_parties(
    personas, api, jamaica, django_assert_max_num_queries
) -> None:
    agreement_id, _ = _agreement_story(personas, api, jamaica)
    client = api(personas.lo)
    url = f"{API}agreements/{agreement_id}/history/"
    before, history = _queries(client, url)
    agreement = Agreement.objects.get(pk=agreement_id)
    for n in range(10):
        partner = PartnerFactory(name=f"Party {n}", liaison_officers=[personas.lo])
        party = agreement_party_add(agreement=agreement, by=personas.lo, partner=partner)
        agreement_party_update(
            party=party, by=personas.lo, version=1, signed_on=date(2024, 1, n + 1)
        )
    with django_assert_max_num_queries(before):
        more = ok(client.get(url))
    assert before <= 9 and len(more) == len(history) + 20
