"""Values every request body of the domain accepts the same way: text holding no NUL
character (PostgreSQL's text cannot store one), parsed JSON without one in any string or
key, and parcel codes. Change sets (``parks.operations``) and land supervision's records
(``parks.supervision.records``) both build on them."""

from __future__ import annotations

from itertools import chain
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

NUL = "\x00"
_NUL_MESSAGE = "must not contain a NUL character (\\u0000)"
_SCALARS = frozenset({int, float, bool, type(None)})


def refuse_nul(value: str) -> str:
    """*value*, unless it holds a NUL character."""
    if NUL in value:
        raise PydanticCustomError("nul_character", _NUL_MESSAGE)
    return value


def refuse_nul_in_json(value: Any) -> Any:
    """*value* (parsed JSON), unless a NUL character is in any of its strings, keys
    included. Lists of numbers and lists of lists of numbers (a ring's positions) are
    skipped at C speed, so a large geometry costs little."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                raise PydanticCustomError("nul_character", _NUL_MESSAGE)
        elif isinstance(item, dict):
            if any(NUL in key for key in item if isinstance(key, str)):
                raise PydanticCustomError("nul_character", _NUL_MESSAGE)
            stack.extend(item.values())
        elif isinstance(item, list):
            kinds = set(map(type, item))
            if kinds <= _SCALARS:
                continue
            if kinds == {list} and set(map(type, chain.from_iterable(item))) <= _SCALARS:
                continue
            stack.extend(item)
    return value


Text = Annotated[str, AfterValidator(refuse_nul)]
"""Free text (a name, a reason, a document number): any length the limits allow, no NUL."""

ParcelCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="parcel code, e.g. CJP-0012",
    ),
]
