"""The request id of the request being served, for everything that runs on its behalf.

Set by the request-context guard (``service.api.guards.request_context``) before anything
else of the request runs; read by the log formatter (``service.observability.logging``)
so every line written while serving a request names it. A route's synchronous code runs
in a worker thread with a copy of the request's context, so it sees the id too. ``None``
outside a request (start-up, the CLI).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

#: The id of the request being served (None: no request).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

#: An incoming ``X-Request-ID`` is kept when it looks like this (a proxy's or a client's
#: id); anything else — too long, spaces, quotes, newlines — is replaced, so a log line
#: or a header can't be forged through it.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_for(incoming: str | None) -> str:
    """*incoming* when it is an acceptable request id, else a new one (uuid4, hex)."""
    if incoming is not None and REQUEST_ID_PATTERN.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex
