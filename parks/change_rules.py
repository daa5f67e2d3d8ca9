"""The rules each operation of a change set keeps, as plain functions.

They take plain values — a parcel's attributes (:class:`ParcelState`), codes, and the
areas and groups the caller measured (``gis.geometry``) — and either return what the
operation makes of the parcels or raise :class:`~parks.errors.InvalidOperation` saying
what is wrong, naming the parcels. Nothing here reads the database or measures geometry:
the service looks things up and measures, asks these, and writes. The rule about the
city's manufacturing land as a whole is :mod:`parks.rule`; how small a parcel may be,
:func:`parks.limits.area_problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from parks.errors import InvalidOperation
from parks.units import AREA_TOLERANCE_M2
from parks.vocabulary import AVAILABLE_STATUSES, ParcelStatus


@dataclass(frozen=True, slots=True)
class ParcelState:
    """What one version of a parcel says, its geometry aside."""

    parcel_code: str
    park: str
    land_use_code: str
    status: str
    holder: str | None = None
    supply_mode: str | None = None
    supplied_on: date | None = None


# --- codes and placement -----------------------------------------------------------------


def check_new_code(code: str, *, standing: bool, used_before: bool) -> None:
    """A new parcel may take *code* only when no parcel stands under it (*standing*) and
    none ever did nor came from or went into one under it (*used_before*): codes are not
    reused, so a code's history is one parcel's."""
    if standing:
        raise InvalidOperation(f"parcel {code} already exists")
    if used_before:
        raise InvalidOperation(f"parcel code {code} was used before; codes are not reused")


def check_placement(
    code: str,
    *,
    park: str,
    in_park: bool,
    outside_m2: float,
    overlaps_m2: Mapping[str, float],
    tolerance_m2: float = AREA_TOLERANCE_M2,
) -> None:
    """Parcel *code* may stand in *park*: some of it inside the park (*in_park*), no more
    than *tolerance_m2* outside it (*outside_m2*), and sharing no more than *tolerance_m2*
    with any standing parcel (*overlaps_m2*: parcel code -> shared area)."""
    if not in_park:
        raise InvalidOperation(f"parcel {code} lies entirely outside park {park}")
    if outside_m2 > tolerance_m2:
        raise InvalidOperation(f"parcel {code} lies {outside_m2:,.2f} m² outside park {park}")
    overlapping = [(other, m2) for other, m2 in overlaps_m2.items() if m2 > tolerance_m2]
    if overlapping:
        named = ", ".join(f"{other} ({m2:,.2f} m²)" for other, m2 in overlapping)
        raise InvalidOperation(f"parcel {code} overlaps existing parcel {named}")


# --- attributes ----------------------------------------------------------------------------


def rezoned(parcel: ParcelState, land_use_code: str) -> ParcelState:
    """*parcel* in class *land_use_code*; refused when it is in that class already (a
    change set records changes, and a rezone that changes nothing is a mistake)."""
    if parcel.land_use_code == land_use_code:
        raise InvalidOperation(f"parcel {parcel.parcel_code} is already {land_use_code}")
    return replace(parcel, land_use_code=land_use_code)


def with_status(parcel: ParcelState, status: str) -> ParcelState:
    """*parcel* with *status*; refused when it has that status already."""
    if parcel.status == status:
        raise InvalidOperation(f"parcel {parcel.parcel_code} is already {status}")
    return replace(parcel, status=status)


def supplied(parcel: ParcelState, *, holder: str, mode: str, on: date) -> ParcelState:
    """*parcel* supplied to *holder* by *mode* on the day *on*. Only land the city still
    holds — reserve or ready — can be supplied; land supplied, built on, operating or
    idle has a holder already, and supplying it again would hide that."""
    if parcel.status not in AVAILABLE_STATUSES:
        to = f" to {parcel.holder}" if parcel.holder else ""
        raise InvalidOperation(
            f"parcel {parcel.parcel_code} is {parcel.status}{to}; only reserve or ready land "
            "can be supplied"
        )
    return replace(
        parcel, status=ParcelStatus.SUPPLIED.value, holder=holder, supply_mode=mode, supplied_on=on
    )


# --- split -------------------------------------------------------------------------------------


def check_split_parts(
    parcel_code: str,
    part_codes: Sequence[str],
    *,
    overlaps_m2: Mapping[tuple[int, int], float],
    uncovered_m2: float,
    beyond_m2: float,
    tolerance_m2: float = AREA_TOLERANCE_M2,
) -> None:
    """The parts *part_codes* may replace parcel *parcel_code*: no two share more than
    *tolerance_m2* (*overlaps_m2*: ``(i, j)`` -> shared area), and together they differ
    from the parcel by no more than *tolerance_m2* — *uncovered_m2* of it no part covers,
    *beyond_m2* of theirs lies outside it. Land is neither lost nor made by a split."""
    for (i, j), shared in sorted(overlaps_m2.items()):
        if shared > tolerance_m2:
            raise InvalidOperation(
                f"parts {part_codes[i]} and {part_codes[j]} overlap by {shared:,.2f} m²"
            )
    mismatch = uncovered_m2 + beyond_m2
    if mismatch > tolerance_m2:
        raise InvalidOperation(
            f"the parts do not cover parcel {parcel_code}: they differ from it by "
            f"{mismatch:,.2f} m² ({uncovered_m2:,.2f} m² of it left uncovered, "
            f"{beyond_m2:,.2f} m² beyond it; allowed {tolerance_m2} m²)"
        )


def split_part(
    parent: ParcelState, *, parcel_code: str, land_use_code: str | None = None
) -> ParcelState:
    """Part *parcel_code* of *parent*: the parent's class unless it is given one, and the
    parent's status, holder and supply."""
    return replace(
        parent,
        parcel_code=parcel_code,
        land_use_code=land_use_code or parent.land_use_code,
    )


# --- merge -------------------------------------------------------------------------------------


def merged(
    parcels: Sequence[ParcelState], *, parcel_code: str, land_use_code: str | None = None
) -> ParcelState:
    """*parcels* joined into parcel *parcel_code*. They must lie in one park and have one
    status; their class is kept when they share one, else *land_use_code* must say it
    (given, it wins). Holder, supply mode and supply date are each kept when the parcels
    agree on it, else left empty."""
    codes = [p.parcel_code for p in parcels]
    parks = {p.park for p in parcels}
    if len(parks) > 1:
        raise InvalidOperation(
            f"parcels {', '.join(codes)} lie in different parks ({', '.join(sorted(parks))})"
        )
    classes = {p.land_use_code for p in parcels}
    if land_use_code is None and len(classes) > 1:
        raise InvalidOperation(
            f"the parcels have different classes ({', '.join(sorted(classes))}); "
            "give land_use_code for the merged parcel"
        )
    statuses = {p.status for p in parcels}
    if len(statuses) > 1:
        raise InvalidOperation(
            f"the parcels have different statuses ({', '.join(sorted(statuses))}); "
            "set one status first"
        )
    return ParcelState(
        parcel_code=parcel_code,
        park=parks.pop(),
        land_use_code=land_use_code or classes.pop(),
        status=statuses.pop(),
        holder=_agreed(p.holder for p in parcels),
        supply_mode=_agreed(p.supply_mode for p in parcels),
        supplied_on=_agreed(p.supplied_on for p in parcels),
    )


def check_merge_touching(codes: Sequence[str], groups: Sequence[Sequence[int]]) -> None:
    """Parcels *codes* may be merged only when they make one group of touching parcels:
    *groups* are their indexes grouped by touch (``gis.geometry.connected_groups`` within
    ``parks.units.TOUCH_TOLERANCE_M``). A merge joins neighbours, not parcels across the
    park."""
    joined = next((set(g) for g in groups if 0 in g), {0})
    apart = [code for n, code in enumerate(codes) if n not in joined]
    if apart:
        raise InvalidOperation(
            f"parcels {', '.join(apart)} do not touch {codes[0]} or the parcels joined to it; "
            "only touching parcels can be merged"
        )


def _agreed(values):
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
