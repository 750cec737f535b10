"""Evidence files and owners on item responses: API, pages, submit rule, clone, access."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from checklists.models import Assessment, ChecklistTemplate, EvidenceFile, ItemResponse
from checklists.services import assessment_clone, evidence_add, evidence_remove

URL = "/api/v1/assessments/"
PDF = b"%PDF-1.7 boarding checklist, signed"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.ACCORD_EVIDENCE_MAX_BYTES = 1000
    return tmp_path


@pytest.fixture
def assessment(personas) -> Assessment:
    from checklists.services import assessment_create

    call_command("load_checklist_templates", stdout=io.StringIO())
    template = ChecklistTemplate.objects.get(urn="urn:accord:checklist:maritime-counter-drug")
    return assessment_create(by=personas.lo, partner=personas.colombia, template=template)


def pdf(name: str = "boarding-checklist.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def upload(client, assessment: Assessment, code: str, file: SimpleUploadedFile):
    return client.post(
        f"{URL}{assessment.pk}/evidence/", {"code": code, "file": file}, format="multipart"
    )


def versions(assessment: Assessment) -> dict[str, int]:
    return {r.item.code: r.version for r in assessment.responses.select_related("item")}


def test_a_liaison_officer_attaches_a_file_and_everyone_who_sees_it_can_download_it(
    personas, api, assessment
) -> None:
    created = upload(api(personas.lo), assessment, "MCD-LEG-01", pdf())
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["size_bytes"] == len(PDF)
    assert body["code"] == "MCD-LEG-01" and body["name"] == "boarding-checklist.pdf"
    assessment.refresh_from_db()
    assert assessment.status == "in_progress"

    rows = {
        r["code"]: r for r in api(personas.manager).get(f"{URL}{assessment.pk}/responses/").json()
    }
    (listed,) = rows["MCD-LEG-01"]["evidence_files"]
    assert listed["id"] == body["id"] and rows["MCD-LEG-02"]["evidence_files"] == []

    download = api(personas.manager).get(listed["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    assert api(personas.legal_advisor).get(listed["download_url"]).status_code == 200
    assert api(personas.other_lo).get(listed["download_url"]).status_code == 404
    assert api(personas.other_lo).get(f"{URL}{assessment.pk}/evidence/").status_code == 404
    assert upload(api(personas.manager), assessment, "MCD-LEG-01", pdf()).status_code == 403
    assert upload(api(personas.other_lo), assessment, "MCD-LEG-01", pdf()).status_code == 404


@pytest.mark.parametrize(
    ("code", "file", "field", "message"),
    [
        ("MCD-LEG-01", pdf(content=b"%PDF" + b"x" * 2000), "file", "the limit is 1,000 bytes"),
        ("MCD-LEG-01", pdf("report.exe", b"MZ..."), "file", "not accepted"),
        ("MCD-LEG-01", pdf("report.pdf", b"MZ not a pdf"), "file", "not a PDF"),
        ("MCD-LEG-01", pdf(content=b""), "file", "empty"),
        ("MCD-LEG-01", pdf("notes.txt", b"\xff\xfe\x00bad"), "file", "UTF-8"),
        ("NOPE-1", pdf(), "code", "No item “NOPE-1”"),
    ],
    ids=["over-the-limit", "type", "content", "empty", "encoding", "unknown-item"],
)
def test_a_bad_evidence_file_is_refused_by_name_and_nothing_is_stored(
    personas, api, assessment, media, code, file, field, message
) -> None:
    response = upload(api(personas.lo), assessment, code, file)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert not EvidenceFile.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_a_file_is_evidence_enough_for_a_high_criticality_item_marked_met(
    personas, api, assessment
) -> None:
    client = api(personas.lo)
    client.patch(
        f"{URL}{assessment.pk}/responses/",
        [{"code": "MCD-LEG-01", "version": versions(assessment)["MCD-LEG-01"], "result": "met"}],
    )
    refused = client.post(f"{URL}{assessment.pk}/submit/")
    assert refused.status_code == 400
    assert "text, link or file" in refused.json()["responses (MCD-LEG-01).evidence_text"][0]
    upload(client, assessment, "MCD-LEG-01", pdf())
    assert client.post(f"{URL}{assessment.pk}/submit/").json()["status"] == "submitted"
    # submitted: read-only for files too
    late = upload(client, assessment, "MCD-LEG-02", pdf())
    assert late.status_code == 400 and "read-only" in late.json()["detail"]
    evidence = EvidenceFile.objects.get()
    removed = client.delete(f"{URL}{assessment.pk}/evidence/{evidence.pk}/")
    assert removed.status_code == 400 and EvidenceFile.objects.count() == 1


def test_a_clone_shares_the_files_and_removing_one_from_the_clone_keeps_the_original(
    personas, assessment, django_capture_on_commit_callbacks
) -> None:
    original = evidence_add(assessment=assessment, by=personas.lo, code="MCD-LEG-01", file=pdf())
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.APPROVED)
    clone = assessment_clone(source=assessment, by=personas.lo)
    copy = EvidenceFile.objects.get(response__assessment=clone)
    assert copy.file.name == original.file.name and copy.sha256 == original.sha256
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=copy, by=personas.lo)
    assert original.file.storage.exists(original.file.name)
    assert EvidenceFile.objects.filter(pk=original.pk).exists()


def test_removing_the_last_reference_deletes_the_stored_file(
    personas, assessment, django_capture_on_commit_callbacks
) -> None:
    evidence = evidence_add(assessment=assessment, by=personas.lo, code="MCD-LEG-01", file=pdf())
    name, storage = evidence.file.name, evidence.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=evidence, by=personas.lo)
    assert not storage.exists(name)


def test_owners_are_assigned_through_the_api_and_must_be_accord_users(
    personas, api, assessment
) -> None:
    client = api(personas.lo)
    current = versions(assessment)
    done = client.patch(
        f"{URL}{assessment.pk}/responses/",
        [{"code": "MCD-LEG-01", "version": current["MCD-LEG-01"], "owner": personas.other_lo.pk}],
    )
    assert done.status_code == 200, done.json()
    row = next(r for r in done.json() if r["code"] == "MCD-LEG-01")
    assert row["owner"] == personas.other_lo.pk and row["owner_name"] == "james"
    refused = client.patch(
        f"{URL}{assessment.pk}/responses/",
        [
            {"code": "MCD-LEG-02", "version": current["MCD-LEG-02"], "result": "met"},
            {"code": "MCD-LEG-03", "version": current["MCD-LEG-03"], "owner": personas.outsider.pk},
        ],
    )
    assert refused.status_code == 400
    assert "not an active Accord user" in refused.json()["responses[2] (MCD-LEG-03).owner"][0]
    assert ItemResponse.objects.get(assessment=assessment, item__code="MCD-LEG-02").result == (
        "not_assessed"
    )
    cleared = client.patch(
        f"{URL}{assessment.pk}/responses/",
        [{"code": "MCD-LEG-01", "version": current["MCD-LEG-01"] + 1, "owner": None}],
    )
    assert next(r for r in cleared.json() if r["code"] == "MCD-LEG-01")["owner"] is None


def test_the_item_list_costs_the_same_queries_with_or_without_files(
    personas, api, assessment
) -> None:
    client = api(personas.lo)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{URL}{assessment.pk}/responses/").status_code == 200
        return len(queries)

    before = count()
    for code in ["MCD-LEG-01", "MCD-LEG-02", "MCD-COM-01"]:
        evidence_add(assessment=assessment, by=personas.lo, code=code, file=pdf())
        evidence_add(assessment=assessment, by=personas.lo, code=code, file=pdf("b.pdf"))
    assert count() == before <= 10


def test_the_assessment_list_filters_by_partner_status_and_template(
    personas, api, assessment
) -> None:
    client = api(personas.manager)
    assert [
        a["id"] for a in client.get(URL, {"partner": personas.colombia.pk}).json()["results"]
    ] == [assessment.pk]
    assert client.get(URL, {"partner": personas.panama.pk}).json()["results"] == []
    assert client.get(URL, {"status": "approved"}).json()["results"] == []
    assert client.get(URL, {"status": ["draft", "approved"]}).json()["count"] == 1
    assert client.get(URL, {"urn": assessment.template.urn}).json()["count"] == 1
    assert "status" in client.get(URL, {"status": "lost"}).json()
    assert "partner" in client.get(URL, {"partner": ""}).json()


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def browser(personas):
    def as_(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return as_


def test_the_editor_attaches_a_file_assigns_an_owner_and_removes_the_file(
    personas, browser, assessment
) -> None:
    lo = browser(personas.lo)
    url = f"/assessments/{assessment.pk}/items/MCD-LEG-01/"
    row = lo.post(url, {"version": 1, "evidence_file": pdf()}, HTTP_HX_REQUEST="true")
    html = row.content.decode()
    assert row.status_code == 200 and "boarding-checklist.pdf" in html and "Saved" in html
    evidence = EvidenceFile.objects.get()
    assert browser(personas.manager).get(f"/evidence/{evidence.pk}/").status_code == 200
    assert browser(personas.other_lo).get(f"/evidence/{evidence.pk}/").status_code == 404

    too_big = lo.post(url, {"version": 1, "evidence_file": pdf(content=b"%PDF" + b"x" * 5000)})
    assert "the limit is 1,000 bytes" in too_big.content.decode()
    assert EvidenceFile.objects.count() == 1

    owner = lo.post(url, {"version": 1, "owner": personas.lo.pk})
    assert "owner: María Ortega" in owner.content.decode()
    assert ItemResponse.objects.get(assessment=assessment, item__code="MCD-LEG-01").owner == (
        personas.lo
    )
    assert browser(personas.manager).post(f"/evidence/{evidence.pk}/remove/").status_code == 403
    assert EvidenceFile.objects.count() == 1
    gone = lo.post(f"/evidence/{evidence.pk}/remove/")
    assert gone.status_code == 200 and "boarding-checklist.pdf" not in gone.content.decode()
    assert not EvidenceFile.objects.exists()


def test_the_editor_page_query_count_does_not_grow_with_files_and_owners(
    personas, browser, assessment
) -> None:
    lo = browser(personas.lo)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert lo.get(f"/assessments/{assessment.pk}/").status_code == 200
        return len(queries)

    before = count()
    for code in ["MCD-LEG-01", "MCD-COM-01"]:
        evidence_add(assessment=assessment, by=personas.lo, code=code, file=pdf())
    ItemResponse.objects.filter(assessment=assessment).update(owner=personas.lo)
    assert count() == before


def test_the_assessment_list_shows_each_role_what_it_may_see_with_scores(
    personas, browser, assessment
) -> None:
    from checklists.services import assessment_create, assessment_submit

    panama = assessment_create(
        by=personas.other_lo, partner=personas.panama, template=assessment.template
    )
    assessment_submit(assessment=panama, by=personas.other_lo)
    manager = browser(personas.manager).get("/assessments/").content.decode()
    assert "Colombia" in manager and "Panama" in manager
    assert "1 waiting for approval" in manager
    mine = browser(personas.lo).get("/assessments/").content.decode()
    assert "Colombia" in mine and "Panama" not in mine
    submitted = browser(personas.manager).get("/assessments/", {"status": "submitted"})
    assert "Panama" in submitted.content.decode() and "Colombia" not in submitted.content.decode()
    by_name = browser(personas.legal_advisor).get("/assessments/", {"q": "colom"}).content.decode()
    assert "Colombia" in by_name and "Panama" not in by_name
    bad = browser(personas.manager).get("/assessments/", {"due_before": "someday"})
    assert bad.status_code == 200 and "due_before" in bad.content.decode()
    assert browser(personas.outsider).get("/assessments/").status_code == 403


def test_the_assessment_list_costs_the_same_queries_for_two_or_twelve_assessments(
    personas, browser, assessment
) -> None:
    from checklists.services import assessment_create

    client = browser(personas.manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/assessments/").status_code == 200
        return len(queries)

    assessment_create(by=personas.lo, partner=personas.colombia, template=assessment.template)
    before = count()
    for _ in range(10):
        assessment_create(by=personas.lo, partner=personas.colombia, template=assessment.template)
    assert count() == before
