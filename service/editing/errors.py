"""Errors of the editor's geometry helpers. Each is an
:class:`~parks.errors.InvalidParameter` (422, naming the parameter) of its own class, so
the API's one table maps it without an entry of its own."""

from __future__ import annotations

from parks.errors import InvalidParameter


class LineDoesNotSplit(InvalidParameter):
    """The drawn line does not cut the parcel into two or more parts (it stops inside
    it, misses it, or only touches its boundary)."""

    def __init__(self, message: str) -> None:
        super().__init__("line", message)


class BadHelperGeometry(InvalidParameter):
    """A geometry given to a helper is not what it takes (wrong type, malformed,
    implausible for its CRS, invalid, or too many vertices); *parameter* names it."""


class SnapMadeInvalid(InvalidParameter):
    """Snapping the drawn boundary onto its neighbours folded it over itself (a tolerance
    wider than the shape's own details): nothing is repaired silently."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "tolerance_m",
            f"snapping onto the neighbours made the geometry invalid ({reason}); "
            "draw it again or use a smaller tolerance",
        )


class UnknownParcel(InvalidParameter):
    """No parcel stands under the code a helper was given."""

    def __init__(self, code: str) -> None:
        super().__init__("parcel_code", f"no standing parcel {code!r}")


class UnknownPark(InvalidParameter):
    """The park a helper was given does not exist."""

    def __init__(self, code: str) -> None:
        super().__init__("park", f"unknown park {code!r}")
