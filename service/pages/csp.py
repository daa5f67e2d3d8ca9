"""The Content-Security-Policy of the service's pages and the per-request script nonce.

Every response carries the policy (:func:`policy_for`): only this site's scripts run —
files under ``/static`` and inline ``<script>`` elements that carry the request's nonce
(``nonce="..."``); no inline event handler (``onclick=``), ``javascript:`` URL or
``eval`` runs. Styles may be inline (``'unsafe-inline'``): Leaflet positions every map
pane, tile and marker with ``style`` attributes, and the pages' templates keep their
style sheets in the page. Images may come from ``data:`` and ``blob:`` URLs (Leaflet's
and the plugins' icons, the vector tiles' canvases) and, when a basemap is configured,
from its tile servers; nothing else leaves the site.

The security-headers guard (``service.api.guards.security_headers``) makes a fresh nonce
for each request (:func:`new_nonce`) and keeps it in ``request.state.csp_nonce``
(:data:`NONCE_KEY`) before any route runs; a page takes it with :data:`CspNonceDep` and
puts it on its inline scripts. Jinja templates get it as ``csp_nonce`` and write
``<script nonce="{{ csp_nonce }}">``. HTML made by a library (the Folium maps) gets it
with :func:`with_nonce`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

#: Key of the nonce in the request's state (``request.state.csp_nonce``).
NONCE_KEY = "csp_nonce"
#: Random bytes of a nonce (``secrets.token_urlsafe``: 22 URL-safe characters).
NONCE_BYTES = 16
#: Where the nonce goes in :func:`policy_template`'s answer.
NONCE_SLOT = "{nonce}"

# A host-source of a policy: nothing in it may end the directive or the source list.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_SCHEMES = ("http", "https")
# The start of an inline <script> element (no src: a file of this site needs no nonce)
# that names no nonce yet, in any case, with any attributes.
_INLINE_SCRIPT_START = re.compile(r"<script(?=[\s>/])(?![^>]*\s(?:nonce|src)\s*=)", re.IGNORECASE)
_NONCE = re.compile(r"[A-Za-z0-9_-]+")


def new_nonce() -> str:
    """A fresh nonce: 16 random bytes, URL-safe base64 (no character needs escaping in
    an HTML attribute or a header)."""
    return secrets.token_urlsafe(NONCE_BYTES)


def source_of(url: str) -> str | None:
    """The host-source (``https://tiles.example.org:8443``) that allows loading *url* (an
    absolute http(s) URL, or one without a scheme, ``//host/...``); None for a URL on this
    site (a path). Raises ValueError for a URL whose host or scheme could not be put into
    the policy as it is (a character that would end the directive, a ``{placeholder}``)."""
    parts = urlsplit(url)
    if not parts.netloc:
        if parts.scheme:
            raise ValueError(f"{url!r}: not an http(s) URL")
        return None
    if parts.scheme and parts.scheme.lower() not in _SCHEMES:
        raise ValueError(f"{url!r}: not an http(s) URL")
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise ValueError(f"{url!r}: the port is not a number") from None
    if parts.username or parts.password or not _HOST.fullmatch(host):
        raise ValueError(f"{url!r}: the host is not a plain host name")
    where = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme.lower()}://{where}" if parts.scheme else where


def policy_template(img_sources: Iterable[str] = ()) -> str:
    """The policy, with :data:`NONCE_SLOT` where each request's nonce goes; images may
    also come from *img_sources* (host-sources of :func:`source_of`: the basemap's tile
    servers)."""
    extra = [s for s in dict.fromkeys(img_sources) if s]
    directives = [
        "default-src 'self'",
        f"script-src 'self' 'nonce-{NONCE_SLOT}'",
        # Leaflet sets style attributes on every pane, tile and marker.
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *extra]),
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
    return "; ".join(directives)


def policy_for(nonce: str, img_sources: Iterable[str] = ()) -> str:
    """The policy of a response whose pages' inline scripts carry *nonce*."""
    return policy_template(img_sources).replace(NONCE_SLOT, nonce)


def with_nonce(html: str, nonce: str) -> str:
    """*html* with ``nonce="<nonce>"`` on every inline ``<script>`` element (one without
    ``src``: the policy lets this site's files run) that has none.

    Only for HTML this service generated, in which every text from the data is escaped
    (``<`` as ``&lt;`` in markup, ``\\u003c`` in a script's JSON): then every ``<script``
    in it is the service's own. That is what makes it safe to apply to a page made by a
    library (Folium writes its own ``<script>`` elements) or to one made once and kept:
    the page is made without a nonce and each request's nonce is added as it is sent.
    The browser tests of hostile text hold the escaping to it.
    """
    if not _NONCE.fullmatch(nonce):
        raise ValueError("a nonce is URL-safe base64")
    return _INLINE_SCRIPT_START.sub(f'<script nonce="{nonce}"', html)


async def request_nonce(request: Request) -> str:
    """The nonce of *request* (made by the security-headers guard). Without the guard (an
    app assembled without it) a fresh one: the page then carries a nonce no policy names,
    which is harmless. Async: it touches no database, so it needs no thread."""
    state = request.scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:
        nonce = state[NONCE_KEY] = new_nonce()
    return nonce


CspNonceDep = Annotated[str, Depends(request_nonce)]
