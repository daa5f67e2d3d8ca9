"""批而未供 and 供而未用: approval batches and their disposal, supplied land not started or under-
built, and contract compliance (履约)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query

from parks.errors import InvalidParameter
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import READ_ERRORS
from service.reads import queries as reads
from service.supervision import compliance as contract_compliance
from service.supervision.batches import batches
from service.supervision.unbuilt import unbuilt

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)

#: The dates supervision answers for.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)


def supervised_park(
    conn: ReadConnDep,
    park: Annotated[str | None, Query(max_length=64, description="park code")] = None,
) -> str | None:
    """The park asked for, when it exists (None: every park); checked on the request's
    read connection."""
    return reads.check_park(conn, park)


async def supervision_day(
    settings: SettingsDep,
    as_of: Annotated[
        date | None, Query(description="the day judged, YYYY-MM-DD (default: today)")
    ] = None,
) -> date:
    """``as_of``: a date 1900-01-01…2200-12-31, default today in ``PARKS_TIMEZONE`` (as
    the idle list's)."""
    if as_of is None:
        return datetime.now(ZoneInfo(settings.timezone)).date()
    if not FIRST_DAY <= as_of <= LAST_DAY:
        raise InvalidParameter("as_of", f"must be a date {FIRST_DAY}…{LAST_DAY}, not {as_of}")
    return as_of


SupervisedParkDep = Annotated[str | None, Depends(supervised_park)]
SupervisionDayDep = Annotated[date, Depends(supervision_day)]


@router.get("/api/supervision/batches")
def get_batches(
    conn: ReadConnDep,
    _reader: ReaderDep,
    park: SupervisedParkDep,
    as_of: SupervisionDayDep,
    at_risk: Annotated[
        bool | None,
        Query(description="true: only batches at risk of lapsing; false: only those not"),
    ] = None,
) -> dict[str, Any]:
    """批而未供: each approval batch (建设用地批次) approved by `as_of` — approved, supplied and
    unsupplied area (m² in EPSG:4545, and 亩), the disposal rate (处置率 = supplied ÷
    approved), its age in days and whether it is at risk (older than `batches.lapse_days`,
    730 by default, with land unsupplied: its approval may lapse). Land counts as
    supplied when its parcel has a supply contract signed on or before `as_of`. With the
    same figures per approval-year cohort (`by_year`), per park (`by_park`) and for the
    city (`totals`); `at_risk` narrows the list of batches only."""
    return batches(conn, as_of=as_of, park=park, at_risk=at_risk)


@router.get("/api/supervision/unbuilt")
def get_unbuilt(
    conn: ReadConnDep, _reader: ReaderDep, park: SupervisedParkDep, as_of: SupervisionDayDep
) -> dict[str, Any]:
    """供而未用 (`unstarted`: supplied land past its agreed start date with no start reported
    by `as_of`, with the days late) and 用而未尽 (`underbuilt`: completed land whose
    measured plot ratio is below the contract's minimum, `short_by` = minimum −
    measured). Areas in m² (EPSG:4545) and 亩."""
    return unbuilt(conn, as_of=as_of, park=park)


@router.get("/api/supervision/compliance")
def get_compliance(
    conn: ReadConnDep,
    _reader: ReaderDep,
    park: SupervisedParkDep,
    as_of: SupervisionDayDep,
    year: Annotated[
        int | None,
        Query(
            ge=contract_compliance.FIRST_YEAR,
            le=contract_compliance.LAST_YEAR,
            description="the year of the tax figures judged (default: the year before as_of)",
        ),
    ] = None,
    only_short: Annotated[
        bool, Query(description="only contracts missing at least one commitment")
    ] = False,
) -> dict[str, Any]:
    """履约: each started supply contract's commitments against what was measured — investment
    intensity (万元/亩), plot ratio (min–max), building coverage (≥ min), office share
    (≤ max) and, where the contract has one, tax per 亩 in `year` — each met or short by
    how much (`short_by`, in its `unit`). `stage` is `completion` once the site was
    accepted, else `progress` (the investment so far is judged against the whole
    commitment; the other measures come at completion and are unmeasured until then).
    `only_short` lists only the contracts missing a commitment; `summary` counts the
    contracts listed."""
    contracts = contract_compliance.compliance(
        conn, park=park, year=year, as_of=as_of, only_short=only_short
    )
    return {
        "as_of": as_of.isoformat(),
        "year": year if year is not None else contract_compliance.default_year(as_of),
        "park": park,
        "only_short": only_short,
        "summary": contract_compliance.summary(contracts),
        "contracts": contracts,
    }
