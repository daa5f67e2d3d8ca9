"""Paging through a collection: features come ordered by the collection's key (its id,
and for parcels the version too), and the ``next``/``prev`` links carry a keyset cursor —
the key of the last (first) feature of the page, opaque to the client — rather than an
offset. A page then costs the same however deep it is, and features added or ended while
a client pages can't shift the pages it has not read yet: no feature comes twice or is
skipped. A client may still ask for ``offset`` itself; its links are then offsets too.

* ``after=<cursor>``: the features whose key is greater than the cursor's;
* ``before=<cursor>``: the last ``limit`` features whose key is less than the cursor's.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from service.ogc.errors import BadOgcParameter

Direction = Literal["after", "before"]

#: The longest cursor read (a key of a few codes and numbers is far shorter).
MAX_CURSOR_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: after or before the feature with this *key*."""

    direction: Direction
    key: tuple[Any, ...]


def encode(key: Sequence[Any]) -> str:
    """The opaque text of a cursor at *key*."""
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(token: str, *, direction: Direction, types: Sequence[str]) -> Cursor:
    """The cursor *token* writes, its values checked against the key's JSON *types*
    (``string``/``integer``); 400 naming *direction* when it is not one this service
    wrote."""
    if len(token) > MAX_CURSOR_CHARS:
        raise BadOgcParameter(direction, "not a cursor of this service (too long)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadOgcParameter(direction, "not a cursor of this service") from None
    if not isinstance(values, list) or len(values) != len(types):
        raise BadOgcParameter(direction, "not a cursor of this collection")
    for value, kind in zip(values, types, strict=True):
        ok = (
            isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
            if kind == "integer"
            else isinstance(value, str) and "\x00" not in value
        )
        if not ok:
            raise BadOgcParameter(direction, "not a cursor of this collection")
    return Cursor(direction, tuple(values))
