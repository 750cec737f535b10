"""A heat-map cell reaches the items behind it in the PDF too (a table of the cells, each an
absolute link to that partner and area), and the CSV reached from a cell holds that cell's
rows, not the whole section."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

from django.urls import reverse

from tests.checklists import test_gap_report_pages as pages

_client, _pdf_text = pages._client, pages._pdf_text
editions = pages.editions  # the same known portfolio: two editions, Colombia and Panama


def _urls(content: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "links.pdf"
    path.write_bytes(content)
    listed = subprocess.run(
        ["pdfinfo", "-url", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return [line.split()[-1] for line in listed.splitlines()[1:] if line.strip()]


def test_each_heat_map_cell_in_the_pdf_links_to_its_partner_and_area(
    personas,
    editions,
    tmp_path,
    settings,
) -> None:
    settings.ACCORD_BASE_URL = "https://accord.example"
    _, report = editions
    response = _client(personas.manager).get(reverse("gap-report-pdf", args=[report.pk]))
    assert response.status_code == 200
    section = reverse("gap-report-section", args=[report.pk, "interoperability"])
    colombia = f"https://accord.example{section}?partner={personas.colombia.pk}&area=communications"
    panama = f"https://accord.example{section}?partner={personas.panama.pk}&area=logistics"
    urls = _urls(response.content, tmp_path)
    assert colombia in urls and panama in urls, urls
    text = _pdf_text(response.content, tmp_path)
    assert "The items behind each cell" in text and "1 open" in text


def test_a_liaison_officers_pdf_links_only_their_partners_cells(
    personas,
    editions,
    tmp_path,
) -> None:
    _, report = editions
    response = _client(personas.lo).get(reverse("gap-report-pdf", args=[report.pk]))
    urls = _urls(response.content, tmp_path)
    assert any(f"partner={personas.colombia.pk}&" in url for url in urls)
    assert not any(f"partner={personas.panama.pk}&" in url for url in urls)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_csv_of_a_heat_map_cell_holds_that_partner_and_area_only(
    personas,
    editions,
) -> None:
    _, report = editions
    client = _client(personas.manager)
    section = reverse("gap-report-section", args=[report.pk, "interoperability"])
    page = client.get(section, {"partner": personas.colombia.pk, "area": "communications"})
    html = page.content.decode()
    link = (
        f"{reverse('gap-report-csv', args=[report.pk])}?section=interoperability"
        f"&amp;partner={personas.colombia.pk}&amp;area=communications"
    )
    assert link in html and "Download these rows as CSV" in html
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert (
        f"interoperability-partner-{personas.colombia.pk}-communications"
        in response["Content-Disposition"]
    )
    rows = _csv(response)
    body = " ".join(" ".join(row) for row in rows)
    assert "COM-1" in body and "LOG-2" not in body and "Panama" not in body
    whole = client.get(section).content.decode()
    assert "Download the section as CSV" in whole


def test_a_bad_cell_filter_on_the_csv_is_refused_naming_the_field(
    personas,
    editions,
) -> None:
    _, report = editions
    url = reverse("gap-report-csv", args=[report.pk])
    client = _client(personas.manager)
    for bad, field in [({"area": "astrology"}, b"area:"), ({"partner": "x"}, b"partner:")]:
        refused = client.get(url, {"section": "interoperability", **bad})
        assert refused.status_code == 400
        assert refused.content.startswith(field), refused.content


def test_a_liaison_officer_filtering_the_csv_by_another_partner_gets_no_rows(
    personas,
    editions,
) -> None:
    _, report = editions
    response = _client(personas.lo).get(
        reverse("gap-report-csv", args=[report.pk]),
        {"section": "interoperability", "partner": personas.panama.pk},
    )
    assert response.status_code == 200
    assert _csv(response)[1:] == []
