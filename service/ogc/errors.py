"""The errors of the OGC API. OGC API – Features answers a bad query parameter with 400
(the rest of this API says 422): :class:`BadOgcParameter` is that 400, in the API's error
body (``{"error": "invalid_parameter", "parameter": ..., "message": ...}``), mapped in
``service/api/errors.py``'s one table. An unknown collection or feature is the API's
:class:`parks.errors.NotFound` (404)."""

from __future__ import annotations

from parks.errors import InvalidParameter


class BadOgcParameter(InvalidParameter):
    """A query parameter of an ``/ogc`` request is malformed, out of range, not one the
    endpoint takes, or given twice; the body names it."""
