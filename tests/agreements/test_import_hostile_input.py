"""Hostile input to the register import: every door answers with the row and column or the
file problem, never a 500, writes nothing, and leaves no job running."""

from __future__ import annotations

import csv
import io
import logging
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from agreements import hostile_files
from agreements.models import Agreement, AgreementImport
from agreements.services import import_jobs
from agreements.services.imports import ALL_COLUMNS, ImportFileError, agreement_register_import
from agreements.tasks import import_sweep

GOOD = {
    "reference": "MOU-COL-1",
    "title": "Training",
    "kind": "mou",
    "status": "draft",
    "partner": "Colombia",
}


def register(*rows: dict[str, object], header: tuple[str, ...] = ALL_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode()


def xlsx(*rows: dict[str, object]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(ALL_COLUMNS))
    for row in rows:
        sheet.append([row.get(column) for column in ALL_COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# (id, the row's values over GOOD, the column named, words of the message)
HOSTILE_ROWS = [
    ("huge-number", {"notice_period_days": "9" * 400}, "notice_period_days", "out of range"),
    ("negative-number", {"notice_period_days": "-5"}, "notice_period_days", "not a whole number"),
    ("superscript-digit", {"notice_period_days": "²"}, "notice_period_days", "digits 0–9"),
    ("arabic-indic-digit", {"review_interval_months": "٣"}, "review_interval_months", "0–9"),
    ("over-the-notice-bound", {"notice_period_days": "3651"}, "notice_period_days", "3,650"),
    ("over-the-interval-bound", {"review_interval_months": "601"}, "review_interval_months", "600"),
    ("far-future-date", {"expires_on": "9999-12-31"}, "expires_on", "out of range"),
    ("year-one", {"signed_on": "0001-01-01"}, "signed_on", "out of range"),
    ("week-date", {"signed_on": "2024-W01-1"}, "signed_on", "YYYY-MM-DD"),
    ("unicode-digit-date", {"signed_on": "٢٠٢٤-٠١-٠١"}, "signed_on", "YYYY-MM-DD"),
    (
        "derived-review-past-the-bound",
        {"effective_on": "2200-01-01", "review_interval_months": "600"},
        "review_interval_months",
        "next review would fall on 01 January 2250",
    ),
    (
        "derived-notice-before-the-bound",
        {"expires_on": "1900-01-02", "notice_period_days": "3650"},
        "notice_period_days",
        "last day to give notice would fall on",
    ),
    ("nul-in-title", {"title": "Train\x00ing"}, "title", "U+0000"),
    ("escape-in-reference", {"reference": "MOU-\x1b[31m"}, "reference", "U+001B"),
    ("newline-in-title", {"title": "Two\nlines"}, "title", "U+000A"),
    ("nul-in-summary", {"summary": "ok\x00"}, "summary", "U+0000"),
    ("title-too-long", {"title": "t" * 401}, "title", "the limit is 400"),
    ("reference-too-long", {"reference": "R" * 61}, "reference", "the limit is 60"),
    ("party-date-far", {"party_signed_on": "2201-01-01"}, "party_signed_on", "out of range"),
]
FILE_PROBLEMS = [
    ("megabyte-cell", lambda: register({**GOOD, "summary": "x" * 1_000_000}), "r.csv", "limit"),
    (
        "megabyte-multiline-cell",
        lambda: register({**GOOD, "summary": "x\n" * 500_000}),
        "r.csv",
        "a value is longer than",
    ),
    (
        "too-many-rows",
        lambda: register(*({**GOOD, "reference": f"R-{n}"} for n in range(10_001))),
        "r.csv",
        "more than 10,000 rows",
    ),
    ("huge-declared-dimension", hostile_files.huge_dimension_xlsx, "r.xlsx", "A1:XFD1048576"),
    ("row-a-billion-down", hostile_files.far_row_xlsx, "r.xlsx", "more than 10,000 rows"),
    ("billion-laughs", hostile_files.billion_laughs_xlsx, "r.xlsx", "DTD or entities"),
    ("truncated", lambda: hostile_files.truncated(xlsx(GOOD)), "r.xlsx", "cut short"),
    ("not-a-zip", hostile_files.not_a_zip, "r.xlsx", "not a zip archive"),
]


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A 4.7 MB workbook whose sheet inflates to 1 GB (built once, in chunks)."""
    return hostile_files.zip_bomb_xlsx(tmp_path_factory.mktemp("bomb") / "bomb.xlsx").read_bytes()


def run(content: bytes, *, by: object, dry_run: bool, filename: str = "r.csv") -> dict:
    return agreement_register_import(
        content=content, filename=filename, by=by, dry_run=dry_run, stop_on_error=False
    ).as_dict()


@pytest.mark.parametrize(
    ("values", "column", "words"), [c[1:] for c in HOSTILE_ROWS], ids=[c[0] for c in HOSTILE_ROWS]
)
def test_a_hostile_value_is_named_by_row_and_column_in_the_dry_run_and_never_written(
    personas, values, column, words
) -> None:
    content = register({**GOOD, **values})
    for dry_run in (True, False):
        report = run(content, by=personas.admin, dry_run=dry_run)
        named = [e for e in report["errors"] if (e["row"], e["column"]) == (2, column)]
        assert named and words in named[0]["message"], report["errors"]
        assert len(named[0]["message"]) < 300  # a megabyte value is never echoed back
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("values", "column", "words"),
    [
        ({"notice_period_days": 1e300}, "notice_period_days", "out of range"),
        ({"notice_period_days": -5}, "notice_period_days", "out of range"),
        ({"notice_period_days": 30.5}, "notice_period_days", "not a whole number"),
        ({"review_interval_months": True}, "review_interval_months", "not a whole number"),
        ({"expires_on": datetime(9999, 12, 31)}, "expires_on", "out of range"),
        ({"signed_on": date(1, 1, 1)}, "signed_on", "out of range"),
        ({"title": "a\x7fb"}, "title", "U+007F"),
        ({"title": "two\nlines"}, "title", "U+000A"),
    ],
    ids=[
        "float-1e300",
        "negative-int",
        "fraction",
        "boolean",
        "year-9999",
        "year-1",
        "delete",
        "newline",
    ],
)
def test_hostile_spreadsheet_cells_are_named_too(personas, values, column, words) -> None:
    report = run(xlsx({**GOOD, **values}), by=personas.admin, dry_run=False, filename="r.xlsx")
    named = [e for e in report["errors"] if (e["row"], e["column"]) == (2, column)]
    assert named and words in named[0]["message"], report["errors"]
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("build", "filename", "words"),
    [c[1:] for c in FILE_PROBLEMS],
    ids=[c[0] for c in FILE_PROBLEMS],
)
def test_a_hostile_file_is_refused_before_any_row_is_read(personas, build, filename, words):
    with pytest.raises(ImportFileError) as refused:
        run(build(), by=personas.admin, dry_run=True, filename=filename)
    assert words in refused.value.message
    assert not Agreement.objects.exists()


def test_a_zip_bomb_is_refused_by_its_unpacked_size(personas, zip_bomb) -> None:
    with pytest.raises(ImportFileError, match="unpacks to 1,07"):
        run(zip_bomb, by=personas.admin, dry_run=True, filename="r.xlsx")


def test_a_part_compressed_beyond_the_ratio_is_refused(personas, settings, tmp_path) -> None:
    settings.ACCORD_IMPORT_MAX_UNZIPPED_BYTES = 1024**3
    bomb = hostile_files.zip_bomb_xlsx(tmp_path / "ratio.xlsx", size=20 * 1024 * 1024)
    with pytest.raises(ImportFileError, match=r"compressed .* to 1; the limit is 200 to 1"):
        run(bomb.read_bytes(), by=personas.admin, dry_run=True, filename="r.xlsx")


# --- the doors: API and page ------------------------------------------------------------------

DOOR_CASES = [
    *((c[0], lambda v=c[1]: register({**GOOD, **v}), "r.csv", c[3]) for c in HOSTILE_ROWS[::3]),
    *FILE_PROBLEMS,
]


@pytest.mark.parametrize(
    ("build", "filename", "words"), [c[1:] for c in DOOR_CASES], ids=[c[0] for c in DOOR_CASES]
)
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "import"])
def test_the_api_answers_202_and_the_job_names_the_problem(
    personas, api, django_capture_on_commit_callbacks, build, filename, words, dry_run
) -> None:
    upload = SimpleUploadedFile(filename, build())
    with django_capture_on_commit_callbacks(execute=True):
        response = api(personas.admin).post(
            "/api/v1/agreement-imports/",
            {"file": upload, "dry_run": str(dry_run).lower()},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    job = api(personas.admin).get(response["Location"]).json()
    assert job["status"] in {"done", "failed"}
    messages = [job["error"], *(e["message"] for e in (job["report"] or {}).get("errors", []))]
    assert any(words in m for m in messages), messages
    assert not Agreement.objects.exists()


def test_the_api_refuses_a_zip_bomb_in_the_job(
    personas, api, django_capture_on_commit_callbacks, zip_bomb
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api(personas.admin).post(
            "/api/v1/agreement-imports/",
            {"file": SimpleUploadedFile("bomb.xlsx", zip_bomb), "dry_run": "false"},
            format="multipart",
        )
    job = api(personas.admin).get(response["Location"]).json()
    assert job["status"] == "failed" and "unpacks to 1,07" in job["error"]


@pytest.mark.parametrize(
    ("build", "filename", "words"), [c[1:] for c in DOOR_CASES], ids=[c[0] for c in DOOR_CASES]
)
def test_the_page_shows_the_problem_and_stops_following_the_job(
    personas, django_capture_on_commit_callbacks, build, filename, words
) -> None:
    client = Client()
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/agreements/import/", {"file": SimpleUploadedFile(filename, build())}
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert words.replace("<", "&lt;").replace(">", "&gt;") in html
    assert "hx-trigger" not in html
    assert not Agreement.objects.exists()
    assert not AgreementImport.objects.filter(status__in=["queued", "running"]).exists()


# --- dry run says valid ⇒ the import writes it -----------------------------------------------

#: per column: values that are fine alone, and hostile ones
POOLS = {
    "title": (["Training", "Coopération 日本", "t" * 400], ["t" * 401, "a\x00b", "tab\tin"]),
    "kind": (["mou", "MOU", "treaty"], ["pact", ""]),
    "status": (["draft", "signed", "in_force", ""], ["superseded", "x"]),
    "partner": (["Colombia", "COL", "co", "Colombian Navy"], ["Atlantis", ""]),
    "signed_on": (["", "1900-01-01", "2024-02-29", "2200-12-31"], ["2023-02-29", "0001-01-01"]),
    "effective_on": (["", "1900-01-02", "2024-03-01", "2200-12-31"], ["9999-12-31", "2024-3-1"]),
    "expires_on": (["", "1900-01-03", "2030-01-01", "2200-12-31"], ["10000-01-01"]),
    "notice_period_days": (["", "0", "30", "3650"], ["3651", "²", "٣", "-1", "1e3", "9" * 30]),
    "review_interval_months": (["", "1", "12", "600"], ["0", "601", "²"]),
    "summary": (["", "line\nbreak\ttab"], ["nul\x00", "\x7f"]),
    "party_role": (["", "party", "signatory"], ["king"]),
    "party_signed_on": (["", "2024-01-01"], ["1899-12-31"]),
    "party_in_force_on": (["", "2023-01-01", "2024-06-01"], ["2201-01-01"]),
    "reservations": (["", "None."], ["bell\x07"]),
    "activity_types": (["", "maritime-interdiction", "maritime-interdiction;;"], ["diving"]),
}


def test_every_row_the_dry_run_calls_valid_is_written_and_no_other(personas) -> None:
    chooser = random.Random(8)

    def cell(fine: list[str], hostile: list[str]) -> str:
        return chooser.choice(hostile if chooser.random() < 0.06 else fine)

    rows = [
        {"reference": f"P-{n}", **{column: cell(*pools) for column, pools in POOLS.items()}}
        for n in range(300)
    ]
    content = register(*rows)
    dry = run(content, by=personas.admin, dry_run=True)
    valid = {a["reference"] for a in dry["agreements"] if a["outcome"] == "create"}
    assert 10 < len(valid) < 290  # the pools give both kinds
    real = run(content, by=personas.admin, dry_run=False)
    assert {a["reference"] for a in real["agreements"] if a["outcome"] == "created"} == valid
    assert real["errors"] == dry["errors"]
    assert set(Agreement.objects.values_list("reference", flat=True)) == valid


# --- jobs always finish -----------------------------------------------------------------------


def queued_job(personas, content: bytes, *, dry_run: bool = False, stop_on_error: bool = False):
    return AgreementImport.objects.create(
        file=ContentFile(content, name="r.csv"),
        original_name="r.csv",
        dry_run=dry_run,
        stop_on_error=stop_on_error,
        created_by=personas.admin,
    )


def test_an_unexpected_error_fails_the_job_with_a_reason_and_the_traceback_logged(
    personas, monkeypatch, caplog
) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_jobs, "agreement_register_import", broken)
    job = queued_job(personas, register(GOOD))
    with caplog.at_level(logging.ERROR, logger="agreements.services.import_jobs"):
        job = import_jobs.agreement_import_run(job=job)
    assert job.status == "failed"
    assert job.error.startswith("The import stopped on an unexpected error (RuntimeError)")
    assert "nothing was written" in job.error
    assert "disk on fire" in caplog.text and "Traceback" in caplog.text
    client = Client()
    client.force_login(personas.admin)
    html = client.get(f"/agreements/imports/{job.pk}/").content.decode()
    assert "unexpected error (RuntimeError)" in html and "hx-trigger" not in html


def test_a_job_stopped_half_way_says_how_many_agreements_it_wrote(personas, monkeypatch) -> None:
    from agreements.services import imports

    real_create = imports.agreement_create
    calls = []

    def create_then_fail(**kwargs: object) -> Agreement:
        calls.append(kwargs["reference"])
        if len(calls) == 3:
            raise SoftTimeLimitExceeded()
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "agreement_create", create_then_fail)
    rows = [{**GOOD, "reference": f"MOU-{n}", "partner": "Colombia"} for n in range(5)]
    job = import_jobs.agreement_import_run(job=queued_job(personas, register(*rows)))
    assert job.status == "failed"
    assert "took longer than 600 seconds" in job.error
    assert "2 agreements were written before it stopped" in job.error
    assert job.agreements_written == Agreement.objects.count() == 2


def test_a_job_with_stop_on_error_stopped_half_way_wrote_nothing(personas, monkeypatch) -> None:
    from agreements.services import imports

    real_create = imports.agreement_create

    def create_then_fail(**kwargs: object) -> Agreement:
        if kwargs["reference"] == "MOU-3":
            raise RuntimeError("worker out of memory")
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "agreement_create", create_then_fail)
    rows = [{**GOOD, "reference": f"MOU-{n}"} for n in range(5)]
    job = queued_job(personas, register(*rows), stop_on_error=True)
    job = import_jobs.agreement_import_run(job=job)
    assert job.status == "failed" and "nothing was written (this import writes all or nothing)" in (
        job.error
    )
    assert not Agreement.objects.exists()


def claimed_job(personas, *, heartbeat_age: timedelta, written: int, **kwargs: object):
    job = queued_job(personas, register(GOOD), **kwargs)
    beat = timezone.now() - heartbeat_age
    AgreementImport.objects.filter(pk=job.pk).update(
        status="running", started_at=beat, heartbeat_at=beat, agreements_written=written
    )
    return AgreementImport.objects.get(pk=job.pk)


def test_the_sweep_fails_a_job_whose_worker_died_once_and_leaves_a_live_one(personas) -> None:
    dead = claimed_job(personas, heartbeat_age=timedelta(hours=1), written=3)
    alive = claimed_job(personas, heartbeat_age=timedelta(seconds=30), written=1)
    assert import_sweep() == {"failed": [dead.pk], "requeued": []}
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None
    assert dead.error.startswith("The worker stopped while importing (no sign of life since ")
    assert "3 agreements were written before it stopped" in dead.error
    assert "import the same file again to write the rest" in dead.error
    assert AgreementImport.objects.get(pk=alive.pk).status == "running"
    assert import_sweep() == {"failed": [], "requeued": []}  # twice: nothing more happens


def test_a_dead_all_or_nothing_job_says_nothing_was_written(personas) -> None:
    dead = claimed_job(personas, heartbeat_age=timedelta(hours=1), written=0, stop_on_error=True)
    import_sweep(as_of=timezone.now().isoformat())
    dead.refresh_from_db()
    assert "nothing was written (this import writes all or nothing)" in dead.error


def test_reading_the_status_of_a_dead_job_fails_it_and_the_page_stops_polling(
    personas, api
) -> None:
    dead = claimed_job(personas, heartbeat_age=timedelta(hours=1), written=0)
    job = api(personas.admin).get(f"/api/v1/agreement-imports/{dead.pk}/").json()
    assert job["status"] == "failed" and "nothing was written" in job["error"]
    page_job = claimed_job(personas, heartbeat_age=timedelta(hours=1), written=0)
    client = Client()
    client.force_login(personas.admin)
    html = client.get(f"/agreements/imports/{page_job.pk}/").content.decode()
    assert "The worker stopped while importing" in html and "hx-trigger" not in html


def test_a_live_job_is_followed_by_the_page(personas) -> None:
    live = claimed_job(personas, heartbeat_age=timedelta(seconds=5), written=4)
    client = Client()
    client.force_login(personas.admin)
    html = client.get(f"/agreements/imports/{live.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in html and "4 agreements written so far" in html


def test_the_sweep_sends_a_queued_job_whose_message_was_lost_again(
    personas, django_capture_on_commit_callbacks
) -> None:
    lost = queued_job(personas, register(GOOD), dry_run=True)
    AgreementImport.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert import_sweep() == {"failed": [], "requeued": [lost.pk]}
    assert AgreementImport.objects.get(pk=lost.pk).status == "done"


def test_the_import_task_has_its_own_time_limits_and_the_sweep_is_scheduled() -> None:
    from agreements.tasks import run_agreement_import
    from config.celery import app

    assert (run_agreement_import.soft_time_limit, run_agreement_import.time_limit) == (600, 660)
    assert app.conf.task_soft_time_limit == 300 and app.conf.task_time_limit == 360
    sweep = app.conf.beat_schedule["agreement-import-sweep"]
    assert sweep["task"] == "agreements.tasks.import_sweep"


def test_the_hostile_files_module_builds_what_it_says(tmp_path: Path) -> None:
    import zipfile

    bomb = hostile_files.zip_bomb_xlsx(tmp_path / "b.xlsx", size=8 * 1024 * 1024)
    with zipfile.ZipFile(bomb) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 8 * 1024 * 1024 > 100 * sheet.compress_size
    assert len(hostile_files.huge_dimension_xlsx()) < 2048


def test_a_file_of_exactly_the_maximum_rows_is_read(settings) -> None:
    from agreements.services.imports import read_rows

    settings.ACCORD_IMPORT_MAX_ROWS = 300
    rows = [{**GOOD, "reference": f"R-{n}"} for n in range(300)]
    assert len(read_rows(content=register(*rows), filename="r.csv")) == 300
    assert len(read_rows(content=xlsx(*rows), filename="r.xlsx")) == 300
    with pytest.raises(ImportFileError, match=r"the limits? (is|are) 300 rows"):
        read_rows(content=xlsx(*rows, GOOD), filename="r.xlsx")
