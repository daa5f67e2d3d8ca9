"""What can be wrong with an imported file, as data a report can show.

Every problem has a kind, a severity, the feature it is about (1-based row number and
parcel code, when known), a message a GIS technician can act on, a location (a point in
EPSG:4326, lon/lat) and a measure where one applies (an area in m², say). Blocking problems
stop the import (``--skip-invalid`` leaves their features out instead); warnings are
reported and do not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


SEVERITY_NAMES_ZH: dict[str, str] = {Severity.BLOCKING: "阻断", Severity.WARNING: "警告"}


class ProblemKind(StrEnum):
    """The kinds of problem, each with its fixed severity (:data:`SEVERITY`)."""

    INVALID_GEOMETRY = "invalid_geometry"  # with GEOS's reason and where
    EMPTY_GEOMETRY = "empty_geometry"
    DUPLICATE_CODE = "duplicate_code"  # the same parcel code on more than one feature
    UNKNOWN_LAND_USE = "unknown_land_use"  # a value no code, name or class map translates
    MISSING_FIELD = "missing_field"  # a required field is not in the file, or empty
    INVALID_VALUE = "invalid_value"  # a status, supply mode, date or park that means nothing
    OVERLAP_IN_FILE = "overlap_in_file"  # two features of the file overlap (area m²)
    OVERLAP_EXISTING = "overlap_existing"  # a feature overlaps a standing parcel (area m²)
    CRS_OUT_OF_RANGE = "crs_out_of_range"  # coordinates outside the CRS's area of use
    CODE_RETIRED = "code_retired"  # the code belonged to a parcel that was retired
    GAP = "gap"  # an uncovered sliver narrower than 1 m between neighbours (area m²)
    AREA_MISMATCH = "area_mismatch"  # declared vs computed area differ > max(1 m², 0.1 %)
    OUTSIDE_PARK = "outside_park"  # part of the parcel lies outside its park (area m²)
    TINY = "tiny"  # smaller than 1 m²
    PARK_DIFFERS = "park_differs"  # the file puts a standing parcel in another park


SEVERITY: dict[ProblemKind, Severity] = {
    ProblemKind.INVALID_GEOMETRY: Severity.BLOCKING,
    ProblemKind.EMPTY_GEOMETRY: Severity.BLOCKING,
    ProblemKind.DUPLICATE_CODE: Severity.BLOCKING,
    ProblemKind.UNKNOWN_LAND_USE: Severity.BLOCKING,
    ProblemKind.MISSING_FIELD: Severity.BLOCKING,
    ProblemKind.INVALID_VALUE: Severity.BLOCKING,
    ProblemKind.OVERLAP_IN_FILE: Severity.BLOCKING,
    ProblemKind.OVERLAP_EXISTING: Severity.BLOCKING,
    ProblemKind.CRS_OUT_OF_RANGE: Severity.BLOCKING,
    ProblemKind.CODE_RETIRED: Severity.BLOCKING,
    # The database refuses a standing parcel outside its park (beyond 0.01 m²) at commit,
    # whoever writes it: an import must not promise what its apply can't keep.
    ProblemKind.OUTSIDE_PARK: Severity.BLOCKING,
    ProblemKind.GAP: Severity.WARNING,
    ProblemKind.AREA_MISMATCH: Severity.WARNING,
    ProblemKind.TINY: Severity.WARNING,
    ProblemKind.PARK_DIFFERS: Severity.WARNING,
}

#: Chinese names of the kinds, for the workbook and the HTML report.
KIND_NAMES_ZH: dict[ProblemKind, str] = {
    ProblemKind.INVALID_GEOMETRY: "几何无效",
    ProblemKind.EMPTY_GEOMETRY: "几何为空",
    ProblemKind.DUPLICATE_CODE: "宗地编号重复",
    ProblemKind.UNKNOWN_LAND_USE: "用地分类无法识别",
    ProblemKind.MISSING_FIELD: "缺少字段",
    ProblemKind.INVALID_VALUE: "取值无效",
    ProblemKind.OVERLAP_IN_FILE: "文件内重叠",
    ProblemKind.OVERLAP_EXISTING: "与现状宗地重叠",
    ProblemKind.CRS_OUT_OF_RANGE: "坐标超出坐标系范围",
    ProblemKind.CODE_RETIRED: "宗地编号已注销",
    ProblemKind.GAP: "相邻宗地间缝隙",
    ProblemKind.AREA_MISMATCH: "面积不符",
    ProblemKind.OUTSIDE_PARK: "超出园区范围",
    ProblemKind.TINY: "面积过小",
    ProblemKind.PARK_DIFFERS: "所属园区不一致",
}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem of an imported file.

    *row* is the feature's 1-based number in the file (None for a problem of the whole
    file, such as a missing field); *lon*/*lat* a point in EPSG:4326 where it is (None when
    it has no place); *measure* and *unit* a quantity where one applies (``"m2"`` for
    areas); *other* what it collides with (another row's code, a standing parcel's code).
    """

    kind: ProblemKind
    message: str
    row: int | None = None
    parcel_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    measure: float | None = None
    unit: str | None = None
    other: str | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.kind]

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCKING

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, the kind and severity as strings."""
        values = asdict(self)
        values["kind"] = self.kind.value
        values["severity"] = self.severity.value
        return values


def count_by_kind(problems: list[ImportProblem]) -> dict[str, int]:
    """How many problems of each kind (kinds with none left out), in the kinds' order."""
    counts = {kind.value: 0 for kind in ProblemKind}
    for problem in problems:
        counts[problem.kind.value] += 1
    return {kind: n for kind, n in counts.items() if n}
