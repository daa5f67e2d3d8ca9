"""Import outcomes the report tests build themselves: a small survey update with one
problem of each kind that has a place (and one that has none), a diff with every change
kind, and the rule's effect — plus hostile text where a file's text goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from parks.imports.diff import ChangedParcel, ImportDiff
from parks.imports.problems import ImportProblem, ProblemKind
from service.imports.outcome import ImportOutcome, RuleEffect, SourceFacts

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
SVG = '"><svg onload=alert(3)>'
FORMULA = "=1+1"
HOSTILE = (IMG, SCRIPT, SVG)

#: Places inside the sample's Caijiapo park (lon, lat, EPSG:4326).
CAIJIAPO = (107.590, 34.315)


def _at(i: int) -> tuple[float, float]:
    """A point near Caijiapo's centre, a few tens of metres apart for each *i*."""
    return CAIJIAPO[0] + 0.0004 * (i % 10), CAIJIAPO[1] + 0.0004 * (i // 10)


def problems() -> list[ImportProblem]:
    """Eight problems, six of them blocking, one without a place (a missing field)."""
    lon, lat = _at(0)
    return [
        ImportProblem(
            ProblemKind.INVALID_GEOMETRY,
            "Self-intersection at 36512345.1 3798765.2: redraw the ring",
            row=3, parcel_code="CJP-T003", lon=lon, lat=lat,
        ),
        ImportProblem(
            ProblemKind.DUPLICATE_CODE,
            f"parcel code {IMG} is also on row 7",
            row=5, parcel_code=IMG, lon=_at(1)[0], lat=_at(1)[1], other="row 7",
        ),
        ImportProblem(
            ProblemKind.OVERLAP_IN_FILE,
            "overlaps row 9 by 0.31 m²",
            row=8, parcel_code=FORMULA, lon=_at(2)[0], lat=_at(2)[1],
            measure=0.3125, unit="m2", other=SCRIPT,
        ),
        ImportProblem(
            ProblemKind.OVERLAP_EXISTING,
            f"overlaps standing parcel CJP-0001 by 12.5 m² {SVG}",
            row=10, parcel_code="CJP-T010", lon=_at(3)[0], lat=_at(3)[1],
            measure=12.5, unit="m2", other="CJP-0001",
        ),
        ImportProblem(
            ProblemKind.UNKNOWN_LAND_USE,
            "land use 'XYZ' has no translation: add it to --class-map",
            row=11, parcel_code="CJP-T011", lon=_at(4)[0], lat=_at(4)[1],
        ),
        ImportProblem(
            ProblemKind.MISSING_FIELD,
            "the file has no field for land_use_code: map one with --map SOURCE=land_use_code",
        ),
        ImportProblem(
            ProblemKind.GAP,
            "a 0.5 m wide sliver between rows 12 and 13",
            row=12, parcel_code="CJP-T012", lon=_at(5)[0], lat=_at(5)[1],
            measure=4.75, unit="m2", other="CJP-T013",
        ),
        ImportProblem(
            ProblemKind.AREA_MISMATCH,
            "declared 10,500.00 m², computed 10,000.00 m² (5.0 %)",
            row=14, parcel_code="CJP-T014", lon=_at(6)[0], lat=_at(6)[1],
            measure=-500.0, unit="m2",
        ),
    ]  # fmt: skip


def diff() -> ImportDiff:
    """Two new, three changed (every kind once, one by two kinds), one unchanged, two
    missing."""
    return ImportDiff(
        new=["CJP-T020", SVG],
        changed=[
            ChangedParcel(
                row=21, parcel_code="CJP-0002", kinds=("rezone", "reshape"),
                before={"land_use_code": "0601", "area_m2": 10000.0},
                after={"land_use_code": "0604", "area_m2": 9000.0},
            ),
            ChangedParcel(
                row=22, parcel_code="CJP-0003", kinds=("set_status",),
                before={"status": "reserve"}, after={"status": "ready"},
            ),
            ChangedParcel(
                row=23, parcel_code="CJP-0004", kinds=("supply",),
                before={"holder": None, "status": "ready"},
                after={"holder": IMG, "status": "supplied", "supply_mode": "grant"},
            ),
        ],
        unchanged=["CJP-0005"],
        missing=["CJP-0006", FORMULA],
    )  # fmt: skip


def rule(*, refuse: bool = False) -> RuleEffect:
    """A rezoning that loses 1,000 m² of Caijiapo's manufacturing land, offset (or not,
    with *refuse*) by new industrial land elsewhere."""
    before = {"caijiapo": 500_000.0, "gaoxin": 300_000.0}
    gain = 0.0 if refuse else 1_500.0
    after = {"caijiapo": 499_000.0 + gain, "gaoxin": 300_000.0}
    delta = sum(after.values()) - sum(before.values())
    return RuleEffect(
        delta_m2=delta,
        total_before_m2=sum(before.values()),
        total_after_m2=sum(after.values()),
        parks_before_m2=before,
        parks_after_m2=after,
        would_refuse=refuse,
        shortfall_m2=-delta if refuse else 0.0,
        refusal={
            "scope": "city",
            "high_water_m2": 800_000.0,
            "parcels": ["CJP-0002", IMG],
            "message": "Refused: the loss comes from CJP-0002",
        }
        if refuse
        else None,
        targets=[
            {
                "park": "caijiapo",
                "target_set": True,
                "min_reserve_mu": 100.0,
                "reserve_before_mu": 120.0,
                "reserve_after_mu": 118.5,
                "reserve_delta_mu": -1.5,
                "met_before": True,
                "met_after": True,
            }
        ],
    )


def source(**changes) -> SourceFacts:
    """How a GBK Shapefile with Chinese field names was read."""
    facts = SourceFacts(
        name="调查成果_2026.shp",
        layer="调查成果_2026",
        driver="ESRI Shapefile",
        features=14,
        encoding="gb18030",
        encoding_source="gb18030 (fallback)",
        crs="EPSG:4524",
        crs_source="file",
        park_source="option",
        mapping={"parcel_code": "宗地编号", "land_use_code": "用地性质", "holder": SCRIPT},
        untranslated_land_use={"XYZ": 3, FORMULA: 1},
    )
    return replace(facts, **changes)


def outcome(**changes) -> ImportOutcome:
    """A dry run of that file in Caijiapo with every section filled."""
    base = ImportOutcome(
        id=42,
        created_at=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        actor="surveyor",
        source=source(),
        options={"park": "caijiapo", "dry_run": True, "retire_missing": False},
        problems=problems(),
        skipped_rows=[],
        diff=diff(),
        rule=rule(),
    )
    return replace(base, **changes)


def many_problems(n: int) -> list[ImportProblem]:
    """*n* warnings (tiny parcels), each at its own place."""
    return [
        ImportProblem(
            ProblemKind.TINY,
            f"row {i} is {0.5:.2f} m²",
            row=i,
            parcel_code=f"CJP-M{i:05d}",
            lon=CAIJIAPO[0] + 0.00005 * (i % 100),
            lat=CAIJIAPO[1] + 0.00005 * (i // 100),
            measure=0.5,
            unit="m2",
        )
        for i in range(1, n + 1)
    ]
