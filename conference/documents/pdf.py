"""PDF rendering with WeasyPrint: no network, no files beyond the app's own static assets."""

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from conference.observability import metrics

# Documents are rendered against this base; only its /static/ paths resolve, to files on disk.
DOCUMENT_BASE = "https://documents.invalid/"


class RefusedURLError(ValueError):
    """A document asked for something other than the app's own static files."""


class StaticOnlyFetcher(URLFetcher):
    """Serves the app's static folder and refuses every other URL (network, file://, data)."""

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols={"https"}, allow_redirects=False)
        self.root = Path(static_folder).resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" != DOCUMENT_BASE or not parts.path.startswith(
            "/static/"
        ):
            raise RefusedURLError(f"documents may not fetch {parts.scheme}://{parts.netloc}")
        path = (self.root / unquote(parts.path.removeprefix("/static/"))).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURLError("no such static asset")
        mime = "text/css" if path.suffix == ".css" else "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})


def render_pdf(template: str, *, pdf_variant: str | None = None, **context: Any) -> bytes:
    """Render a document template (which receives projections only) to PDF bytes; archives
    ask for `pdf_variant="pdf/a-3b"`."""
    return html_to_pdf(render_template(template, **context), pdf_variant=pdf_variant)


def html_to_pdf(html: str, *, pdf_variant: str | None = None) -> bytes:
    """Render HTML to PDF with the static-only fetcher; counted and timed in the metrics."""
    with metrics.document_render():
        return pdf_from_html(html, str(current_app.static_folder), pdf_variant=pdf_variant)


def pdf_from_html(html: str, static_folder: str, *, pdf_variant: str | None = None) -> bytes:
    """Render HTML to PDF with nothing but WeasyPrint and the static folder: no app, no
    database, so that a process of its own can run it (see cache.py)."""
    fetcher = StaticOnlyFetcher(static_folder)
    document = HTML(string=html, base_url=DOCUMENT_BASE, url_fetcher=fetcher)
    return bytes(document.write_pdf(pdf_variant=pdf_variant))
