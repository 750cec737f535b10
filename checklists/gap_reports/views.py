"""Gap report pages: the editions, generating one (with its progress), an edition with its
summary, heat map, changes, trend and detail tables, and its PDF, XLSX and CSV downloads.

Every read goes through the gap report selectors with the reader, so a liaison officer sees
only their partners' rows in the page and in every file, and 404 for an edition they may not
read. The page and the PDF share one context, and the tables come from `tables.py`, which
the XLSX and CSV downloads use too.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from checklists.gap_reports import tables
from checklists.gap_reports.charts import edition_charts, heat_map_table
from checklists.gap_reports.files import stored_file
from checklists.gap_reports.forms import GapReportForm, SubscriptionForm
from checklists.gap_reports.models import GapReport, GapReportFile, GapReportRow
from checklists.gap_reports.selectors import (
    GAP_SECTIONS,
    HEAD_CHANGES,
    HEAD_ROWS,
    HEAD_UNASSESSED,
    Summary,
    can_generate_gap_report,
    can_retry_gap_report,
    gap_report_for_user,
    gap_report_overview,
    gap_report_rows,
    gap_report_summary,
    gap_reports_visible_to,
)
from checklists.gap_reports.subscriptions import (
    gap_report_subscribe,
    gap_report_unsubscribe,
    subscriptions_of,
)
from checklists.models import Area
from checklists.services.gap_reports import gap_report_request, gap_report_retry
from config.exports import (
    XLSX_TYPE,
    Sheet,
    csv_response,
    file_response,
    safe_filename,
    xlsx_bytes,
)
from config.roles import AnyUser, accord_user
from config.views import role_required, run_service, without_blanks

Section = GapReportRow.Section
#: Rows per section on the edition page and in the PDF; the section page and the files
#: hold all of them.
DETAIL_ROWS = HEAD_ROWS
SECTION_PAGE_ROWS = 100


class EditionFilter(forms.Form):
    scope = forms.ChoiceField(choices=GapReport.Scope.choices, required=False)
    status = forms.ChoiceField(choices=GapReport.Status.choices, required=False)


@role_required
def gap_report_list_page(request: HttpRequest) -> HttpResponse:
    editions = gap_reports_visible_to(request.user)
    edition_filter = EditionFilter(without_blanks(request.GET))
    if edition_filter.is_valid():
        chosen = {k: v for k, v in edition_filter.cleaned_data.items() if v}
        editions = editions.filter(**chosen)
    else:
        editions = editions.none()
    page = Paginator(editions, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return _list_page(request, edition_filter, page, query.urlencode())


def _list_page(
    request: HttpRequest,
    edition_filter: EditionFilter,
    page: Any,
    query: str,
    subscription_form: SubscriptionForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "checklists/gap_reports/list.html",
        {
            "filter": edition_filter,
            "page": page,
            "query": query,
            "can_generate": can_generate_gap_report(request.user, scope=GapReport.Scope.PORTFOLIO),
            "subscriptions": list(subscriptions_of(request.user)),
            "subscription_form": subscription_form or SubscriptionForm(user=request.user),
        },
    )


@role_required
@require_POST
def gap_report_subscribe_page(request: HttpRequest) -> HttpResponse:
    """Subscribe to a scope's new editions; a refusal shows on the list page's form."""
    form = SubscriptionForm(request.POST, user=request.user)
    if form.is_valid():
        subscription = run_service(
            request,
            form,
            lambda: gap_report_subscribe(by=accord_user(request), **form.scope_kwargs()),
        )
        if subscription is not None:
            messages.success(
                request,
                f"Subscribed: each new {subscription.scope_label} edition will be e-mailed to you "
                "with its briefing PDF.",
            )
            return redirect("gap-report-list")
    editions = gap_reports_visible_to(request.user)
    page = Paginator(editions, 50).get_page(1)
    return _list_page(request, EditionFilter({}), page, "", form)


@role_required
@require_POST
def gap_report_unsubscribe_page(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(subscriptions_of(request.user), pk=pk)
    label = subscription.scope_label
    gap_report_unsubscribe(by=accord_user(request), subscription=subscription)
    messages.success(request, f"Subscription to the {label} editions ended.")
    return redirect("gap-report-list")


@role_required
@require_http_methods(["GET", "POST"])
def gap_report_create_page(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("partner", "").isdigit():
        initial = {"scope": GapReport.Scope.PARTNER, "partner": request.GET["partner"]}
    form = GapReportForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = run_service(
            request,
            form,
            lambda: gap_report_request(
                by=accord_user(request),
                **form.scope_kwargs(),
                as_of=data["as_of"],
                horizon_days=data["horizon_days"],
            ),
        )
        if report is not None:
            return redirect("gap-report", pk=report.pk)
    return render(request, "checklists/gap_reports/new.html", {"form": form})


def _sections(
    summary: Summary, heads: dict[str, list[GapReportRow]], *, limit: int
) -> list[dict[str, Any]]:
    sections = []
    for section in GAP_SECTIONS:
        entry: dict[str, Any] = {
            "code": str(section),
            "label": tables.section_label(section),
            "count": summary.counts.get(str(section), 0),
        }
        if section == Section.INTEROPERABILITY:
            # Partners with no approved assessment are one line of names, not a table row
            # each: in a large portfolio they would bury the open items.
            unassessed = heads[HEAD_UNASSESSED]
            entry["unassessed"] = [r.data.get("partner_name", "") for r in unassessed[:limit]]
            entry["unassessed_count"] = summary.not_assessed
            entry["items_count"] = entry["count"] - entry["unassessed_count"]
        entry["table"] = tables.table(tables.DETAIL_COLUMNS[section], heads[section][:limit])
        entry["shown"] = len(entry["table"]["rows"])
        entry["more"] = entry["count"] > entry["shown"] + len(entry.get("unassessed", []))
        sections.append(entry)
    return sections


def edition_context(report: GapReport, user: AnyUser, *, pdf: bool = False) -> dict[str, Any]:
    """What the edition page and its PDF show: a fixed number of queries per edition."""
    limit = DETAIL_ROWS
    summary, heads = gap_report_overview(report, user, limit=limit)
    changes = heads[HEAD_CHANGES]
    return {
        "report": report,
        "summary": summary,
        "generated_by": tables.generated_by(report),
        "top": [(row, tables.kind_label(row.kind), tables.gap_title(row)) for row in summary.top],
        "changes": tables.table(tables.COLUMNS[Section.CHANGES], changes),
        "changes_total": sum(summary.changes.values()),
        "change_counts": [(n, tables.change_words(k, n)) for k, n in summary.changes.items()],
        "counts": [(tables.section_label(s), n) for s, n in summary.counts.items()],
        **edition_charts(report, user, links=not pdf),
        "heat_table": (
            heat_map_table(report, user, base_url=settings.ACCORD_BASE_URL or "") if pdf else None
        ),
        "sections": _sections(summary, heads, limit=limit),
        "marking": settings.ACCORD_REPORT_MARKING,
    }


@role_required
def gap_report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = gap_report_for_user(request.user, pk)
    context: dict[str, Any] = {
        "report": report,
        "can_retry": can_retry_gap_report(request.user, report),
        "generated_by": tables.generated_by(report),
    }
    if report.status == GapReport.Status.DONE:
        context.update(edition_context(report, request.user))
    return render(request, "checklists/gap_reports/edition.html", context)


@role_required
def gap_report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the edition page polls; once the edition is done or failed the
    whole page reloads to show it."""
    report = gap_report_for_user(request.user, pk)
    if not report.is_open and request.headers.get("HX-Request") == "true":
        return HttpResponseClientRefresh()
    return render(request, "checklists/gap_reports/_status.html", {"report": report})


@role_required
@require_POST
def gap_report_retry_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = gap_report_for_user(request.user, pk)
    form = forms.Form(data={})
    form.is_valid()  # an empty form, bound so the refusal can be added to it
    retried = run_service(
        request, form, lambda: gap_report_retry(report=report, by=accord_user(request))
    )
    if retried is None:
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("gap-report", pk=pk)
    messages.success(request, "Generating the edition again.")
    return redirect("gap-report", pk=retried.pk)


class SectionFilter(forms.Form):
    partner = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    area = forms.ChoiceField(choices=Area.choices, required=False)


def _section_or_404(section: str) -> str:
    if section not in {*GAP_SECTIONS, Section.CHANGES}:
        raise Http404("No such section.")
    return section


@role_required
def gap_report_section_page(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """Every row of one section; a heat-map cell opens the open items of one partner and area."""
    report = _done_edition(request, pk)
    section = _section_or_404(section)
    section_filter = SectionFilter(without_blanks(request.GET))
    rows = gap_report_rows(report, request.user, section=section)
    partner_name = ""
    if section_filter.is_valid():
        partner_id = section_filter.cleaned_data["partner"]
        area = section_filter.cleaned_data["area"]
        if partner_id or area:
            rows = gap_report_rows(
                report, request.user, section=section, partner_id=partner_id, area=area or None
            )
    else:
        rows = rows.none()
    if section != Section.CHANGES:
        rows = rows.filter(is_gap=True)
    page = Paginator(rows, SECTION_PAGE_ROWS).get_page(request.GET.get("page"))
    shown = list(page)
    if shown and section_filter.is_valid() and section_filter.cleaned_data["partner"]:
        partner_name = str(shown[0].data.get("partner_name", ""))
    query = request.GET.copy()
    query.pop("page", None)
    area_code = section_filter.cleaned_data.get("area") if section_filter.is_valid() else ""
    # The CSV holds the rows this page shows: the same partner and area.
    csv_query = QueryDict(mutable=True)
    csv_query["section"] = section
    if section_filter.is_valid():
        for name, value in section_filter.cleaned_data.items():
            if value:
                csv_query[name] = str(value)
    return render(
        request,
        "checklists/gap_reports/section.html",
        {
            "report": report,
            "section": section,
            "label": tables.section_label(section),
            "filter": section_filter,
            "partner_name": partner_name,
            "area_label": dict(Area.choices).get(area_code or "", ""),
            "page": page,
            "table": tables.table(tables.DETAIL_COLUMNS[section], shown),
            "query": query.urlencode(),
            "csv_query": csv_query.urlencode(),
            "filtered": len(csv_query) > 1,
        },
    )


def _done_edition(request: HttpRequest, pk: int) -> GapReport:
    report = gap_report_for_user(request.user, pk)
    if report.status != GapReport.Status.DONE:
        raise Http404("This edition has no contents yet.")
    return report


def _filename(report: GapReport, extension: str, part: str = "") -> str:
    scope = report.scope_label.lower()
    name = f"gap-report-{scope}{'-' + part if part else ''}-{report.as_of.isoformat()}"
    return safe_filename(f"{name}.{extension}")


def briefing_filename(report: GapReport) -> str:
    return _filename(report, "pdf")


def briefing_pdf(report: GapReport, user: AnyUser) -> bytes:
    """The briefing PDF as this reader may see it (an LO's holds only their partners' rows);
    rendered on request: a done edition never changes, but its PDF depends on the reader."""
    # WeasyPrint loads its stylesheets and fonts on import: only the PDF door pays for that.
    from checklists.gap_reports.briefing import pdf_bytes

    html = render_to_string(
        "checklists/gap_reports/briefing.html", edition_context(report, user, pdf=True)
    )
    return pdf_bytes(html)


@role_required
def gap_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = _done_edition(request, pk)
    started = time.perf_counter()
    stored = stored_file(report, request.user, GapReportFile.Kind.PDF)
    document = bytes(stored.content) if stored else briefing_pdf(report, request.user)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Length"] = str(len(document))
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_filename(report, "pdf")
    )
    response["Cache-Control"] = "private, no-store"
    response["Server-Timing"] = f"pdf;dur={(time.perf_counter() - started) * 1000:.0f}"
    return response


def workbook_sheets(report: GapReport, user: AnyUser) -> list[Sheet]:
    """The summary, then one sheet per section and the changes: every row this reader may see."""
    summary = gap_report_summary(report, user)
    lines = tables.summary_lines(report, summary, marking=settings.ACCORD_REPORT_MARKING)
    sheets = [Sheet("Summary", tables.SUMMARY_COLUMNS, lines)]
    for section in [*GAP_SECTIONS, Section.CHANGES]:
        sheets.append(
            Sheet(
                tables.section_label(section),
                tables.COLUMNS[section],
                # The columns read the rows' own fields (the partner's name is in the row).
                gap_report_rows(report, user, section=section)
                .select_related(None)
                .iterator(chunk_size=2000),
            )
        )
    return sheets


def workbook_bytes(report: GapReport, user: AnyUser) -> bytes:
    return xlsx_bytes(workbook_sheets(report, user))


@role_required
def gap_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report = _done_edition(request, pk)
    stored = stored_file(report, request.user, GapReportFile.Kind.XLSX)
    workbook = bytes(stored.content) if stored else workbook_bytes(report, request.user)
    return file_response(
        filename=_filename(report, "xlsx"), content=workbook, content_type=XLSX_TYPE
    )


@role_required
def gap_report_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    report = _done_edition(request, pk)
    section = request.GET.get("section", "")
    allowed = [*GAP_SECTIONS, Section.CHANGES]
    if section not in allowed:
        return HttpResponseBadRequest(
            f"section: choose one of {', '.join(allowed)}.", content_type="text/plain"
        )
    # The same filter as the section page it is downloaded from: a heat-map cell's CSV holds
    # that partner's items in that area, not the whole section.
    section_filter = SectionFilter(without_blanks(request.GET))
    if not section_filter.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}"
            for name, errors in section_filter.errors.items()
        )
        return HttpResponseBadRequest(problems, content_type="text/plain")
    partner_id = section_filter.cleaned_data["partner"]
    area = section_filter.cleaned_data["area"] or None
    part = "-".join(
        str(bit) for bit in (section, partner_id and f"partner-{partner_id}", area) if bit
    )
    rows = gap_report_rows(
        report, request.user, section=section, partner_id=partner_id, area=area
    ).iterator(chunk_size=2000)
    return csv_response(
        filename=_filename(report, "csv", part), columns=tables.COLUMNS[section], rows=rows
    )
