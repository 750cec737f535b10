"""A done edition's full-view files, made once: the briefing PDF and the XLSX exactly as the
download views render them for a reader who sees every row (a manager, a legal advisor, an
administrator), rendered by a task after the edition is done and stored with it.

A done edition never changes, so the full view's files never change either, except through
the settings they print: the report marking (PDF and XLSX) and the base URL of the PDF's
heat-map links. A stored file records both and is served only while they are the current
ones; otherwise the download renders live, as it does for a liaison officer (whose files hold
only their partners' rows and are never stored) and while the task has not run or failed.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth.models import User

from checklists.gap_reports.models import GapReport, GapReportFile
from config.roles import AnyUser, reads_everything

logger = logging.getLogger(__name__)

Kind = GapReportFile.Kind


def full_view_reader() -> User:
    """A reader who sees every row, for rendering: an unsaved administrator (no groups to
    read), so the views' rendering functions take the full view's path."""
    reader = User(username="accord-full-view", is_active=True, is_staff=True)
    reader._accord_roles = frozenset()  # type: ignore[attr-defined]  # see config.roles
    return reader


def render_full_view(report: GapReport, kind: str) -> bytes:
    """The file's bytes as the download view renders them for a full-view reader."""
    from checklists.gap_reports.views import briefing_pdf, workbook_bytes

    if kind == Kind.PDF:
        return briefing_pdf(report, full_view_reader())
    return workbook_bytes(report, full_view_reader())


def _current_settings() -> dict[str, str]:
    return {"marking": settings.ACCORD_REPORT_MARKING, "base_url": settings.ACCORD_BASE_URL or ""}


def gap_report_file_store(*, report: GapReport, kind: str) -> GapReportFile | None:
    """Render and store one full-view file of a done edition; None if it could not be made.

    Idempotent: a file already stored with the current settings is kept and returned (a
    repeated task renders nothing); two workers racing store one (the unique constraint,
    conflicts ignored). A failed render is logged and stores nothing, so the download keeps
    rendering live: a broken file is never served."""
    if report.status != GapReport.Status.DONE:
        return None
    made_with = _current_settings()
    existing = GapReportFile.objects.filter(report=report, kind=kind).first()
    if existing is not None and (existing.marking, existing.base_url) == tuple(made_with.values()):
        return existing
    started = time.perf_counter()
    try:
        content = render_full_view(report, kind)
    except Exception:
        # Logged with its traceback; the live rendering stays in place.
        logger.exception("Gap report %s: the full-view %s could not be made.", report.pk, kind)
        return None
    render_ms = round((time.perf_counter() - started) * 1000)
    if existing is not None:
        # Made with other settings: replaced by the file the current settings make.
        GapReportFile.objects.filter(pk=existing.pk).delete()
    GapReportFile.objects.bulk_create(
        [
            GapReportFile(
                report=report,
                kind=kind,
                content=content,
                size=len(content),
                render_ms=render_ms,
                **made_with,
            )
        ],
        ignore_conflicts=True,
    )
    logger.info(
        "Gap report %s: full-view %s stored (%d bytes, %d ms).",
        report.pk,
        kind,
        len(content),
        render_ms,
    )
    return GapReportFile.objects.filter(report=report, kind=kind).first()


def stored_file(report: GapReport, user: AnyUser, kind: str) -> GapReportFile | None:
    """The stored full-view file for this reader, or None: for a reader who sees every row
    only, and only if made with the current settings."""
    if report.status != GapReport.Status.DONE or not reads_everything(user):
        return None
    return GapReportFile.objects.filter(report=report, kind=kind, **_current_settings()).first()
