"""Errors of the domain: one base class, one subclass per condition. The API maps each to
an HTTP status in one table (``service/api/errors.py``); nothing here knows HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ParksError(Exception):
    """Base of every domain error. ``code`` is the machine-readable ``error`` of the body."""

    code = "parks_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body an API client receives."""
        return {"error": self.code, "message": self.message}


class NotFound(ParksError):
    """A thing named in a path or a query doesn't exist."""

    code = "not_found"


class InvalidParameter(ParksError):
    """A query or path parameter is malformed or out of range; the message names it."""

    code = "invalid_parameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "parameter": self.parameter, "message": self.message}


class InvalidOperation(ParksError):
    """One operation of a change set cannot be applied; the message says why, naming the
    parcels. The change set reports it as one of its problems (:class:`InvalidChangeSet`)."""

    code = "invalid_operation"


@dataclass
class Problem:
    """One thing wrong with one operation of a change set (index into ``operations``;
    None when it concerns the change set as a whole)."""

    operation: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "message": self.message}


class InvalidChangeSet(ParksError):
    """A change set with operations that cannot be applied; nothing of it was stored."""

    code = "invalid_change_set"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        summary = "; ".join(
            (f"operation {p.operation}: " if p.operation is not None else "") + p.message
            for p in problems
        )
        super().__init__(f"invalid change set: {summary}")

    def body(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass
class ManufacturingLandWouldDecrease(ParksError):
    """The rule refused a change set: *scope*'s manufacturing land would end below its
    high-water mark by more than the tolerance. Nothing of the change set was stored."""

    scope: str
    total_before_m2: float
    total_after_m2: float
    high_water_m2: float
    shortfall_m2: float
    parcels: list[str] = field(default_factory=list)

    code = "manufacturing_land_would_decrease"

    def __post_init__(self) -> None:
        super().__init__(self.sentence())

    @property
    def shortfall_mu(self) -> float:
        from parks.units import m2_to_mu

        return m2_to_mu(self.shortfall_m2)

    def sentence(self) -> str:
        """One sentence a land official can act on."""
        from parks.units import m2_to_mu

        where = "the city's" if self.scope == "city" else f"park {self.scope}'s"
        culprits = ", ".join(self.parcels) if self.parcels else "no single parcel"
        return (
            f"Refused: this change set would leave {where} manufacturing land at "
            f"{self.total_after_m2:,.2f} m², {self.shortfall_m2:,.2f} m² "
            f"({m2_to_mu(self.shortfall_m2):,.2f} 亩) below its high-water mark of "
            f"{self.high_water_m2:,.2f} m²; the loss comes from {culprits} — add at least "
            f"that much industrial land in the same change set (占补平衡) or drop the loss."
        )

    def body(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "scope": self.scope,
            "total_before_m2": round(self.total_before_m2, 4),
            "total_after_m2": round(self.total_after_m2, 4),
            "high_water_m2": round(self.high_water_m2, 4),
            "shortfall_m2": round(self.shortfall_m2, 4),
            "shortfall_mu": round(self.shortfall_mu, 6),
            "parcels": list(self.parcels),
            "message": self.message,
        }


class ConcurrentChange(ParksError):
    """Another change set changed the same parcel first; the caller may retry."""

    code = "concurrent_change"


class Unauthorized(ParksError):
    """No valid bearer token."""

    code = "unauthorized"


class Forbidden(ParksError):
    """The token's role may not do this."""

    code = "forbidden"


class ParkOutOfScope(Forbidden):
    """A change touches a parcel of (or registers one into) a park outside the parks the
    official may change (a signed-in user's ``parks``; tokens are never limited)."""

    code = "park_out_of_scope"

    def __init__(self, park: str, *, allowed: tuple[str, ...] | list[str] = ()) -> None:
        where = f" (yours: {', '.join(allowed)})" if allowed else ""
        super().__init__(
            f"this change touches park {park}, outside the parks you may change{where}"
        )
        self.park = park

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "park": self.park}


class SelfApproval(Forbidden):
    """An official may not approve (nor reject) their own proposal: a second official must."""

    code = "self_approval"


class ProposalDecided(ParksError):
    """The proposal was approved or rejected already."""

    code = "proposal_decided"

    def __init__(self, proposal_id: int, status: str) -> None:
        super().__init__(f"proposal {proposal_id} is {status} already")
        self.proposal_id = proposal_id
        self.status = status

    def body(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "proposal_id": self.proposal_id,
            "status": self.status,
        }


class ProposalStale(ParksError):
    """Parcels a proposal touches changed since it was proposed (or a code it would create
    is taken): what its dry run showed is no longer what approving it would do."""

    code = "proposal_stale"

    def __init__(self, proposal_id: int, parcels: list[str]) -> None:
        super().__init__(
            f"proposal {proposal_id} is stale: parcels {', '.join(parcels)} changed since it "
            "was proposed; propose it again"
        )
        self.proposal_id = proposal_id
        self.parcels = list(parcels)

    def body(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "proposal_id": self.proposal_id,
            "parcels": self.parcels,
        }


class InvalidRecord(ParksError):
    """A land supervision record (a contract, a progress report, a delay, a batch, a
    setting) or a key project's record (a plan, a report, a visit, a problem, an official)
    cannot be stored as given; ``field`` names what is wrong."""

    code = "invalid_record"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "field": self.field, "message": self.message}


class InvalidFiguresFile(ParksError):
    """An enterprises' figures file cannot be brought in: its problems, each naming the
    row (1-based, as a spreadsheet numbers it) and the column; nothing of it is stored."""

    code = "invalid_figures_file"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0]["message"] if problems else "no rows"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"the figures file cannot be brought in: {first}{more}")
        self.problems = problems

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "problems": self.problems[:100]}
