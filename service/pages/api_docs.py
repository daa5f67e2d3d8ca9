"""The API's documentation page (``/docs``): Swagger UI from the vendored files, started by
``web/static/docs/swagger-init.js`` — no script inline, nothing from a CDN."""

from __future__ import annotations

from service.pages.templates import templates


def api_docs_html(*, openapi_url: str, title: str) -> str:
    """The page showing the OpenAPI document at *openapi_url*, titled *title*."""
    return templates().get_template("api_docs.html").render(openapi_url=openapi_url, title=title)
