"""The gap report as a PDF for briefings: an HTML template rendered by WeasyPrint.

Nothing is fetched while rendering: the charts are SVG images in data: URIs (inside the
document), the fonts are the DejaVu family installed on the machine (fontconfig finds them),
and every other URL the document might name is refused, so a PDF never waits on, or leaks
to, the network.
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML, URLFetcher  # type: ignore[import-untyped]  # no type hints


class NoNetwork(URLFetcher):  # type: ignore[misc]  # an untyped base class
    """Refuses every URL but a data: URI (the charts, carried in the document itself):
    WeasyPrint leaves the resource out and renders the rest."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"The briefing PDF fetches nothing; refused {url[:80]}")


def pdf_bytes(html: str) -> bytes:
    document: bytes = HTML(string=html, base_url="about:blank", url_fetcher=NoNetwork()).write_pdf()
    return document
