"""JSON or HTML: the ``f`` parameter decides, else the ``Accept`` header (a browser's
``text/html`` gets the page, anything else — no header, ``*/*``, ``application/json`` —
gets JSON); and the exact media types each answer is sent with."""

from __future__ import annotations

from typing import Literal

from service.ogc.errors import BadOgcParameter

Format = Literal["json", "html"]

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"

#: ``f`` values and the format each means (``geojson`` as tipg and pygeoapi spell it).
_F = {"json": "json", "geojson": "json", "html": "html"}


def negotiate(f: str | None, accept: str | None) -> Format:
    """The format asked for by ``f`` (400 naming it when unknown) or, without it, by the
    Accept header."""
    if f is not None:
        found = _F.get(f.strip().lower())
        if found is None:
            raise BadOgcParameter("f", f"{f!r}: use json or html")
        return found  # type: ignore[return-value]
    html_q, json_q = _quality(accept or "", HTML), _quality(accept or "", "json")
    return "html" if html_q > 0 and html_q > json_q else "json"


def _quality(accept: str, wanted: str) -> float:
    """The q the Accept header gives *wanted* (``text/html``, or ``json``: any JSON type),
    0 when it doesn't name it (``*/*`` counts for JSON only: JSON is the default)."""
    best = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if wanted == HTML:
            matches = media == HTML
        else:
            matches = media in ("*/*", "application/*") or media.endswith(("/json", "+json"))
            if media == "*/*":
                q -= 0.0001  # a named type outranks the wildcard at the same q
        if matches:
            best = max(best, q)
    return best
