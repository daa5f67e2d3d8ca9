"""What an import found and would do (a dry run) or did (applied): the one structure the
API's body, the CLI's summary and the reports (HTML, xlsx, GeoJSON) are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from parks.imports.diff import ImportDiff
from parks.imports.problems import ImportProblem, count_by_kind


@dataclass
class SourceFacts:
    """How the file was read: its name, layer and driver, the encoding of its text (and how
    that was decided: ``cpg``, ``given``, ``utf-8``, ``gb18030 (fallback)``, ``format``), its
    CRS (and whether it came from the ``file`` or was ``given``), how parks were assigned
    (``option``, ``field``, ``boundary``) and how its fields were mapped (target → source)."""

    name: str
    layer: str
    driver: str
    features: int
    encoding: str | None
    encoding_source: str
    crs: str
    crs_source: str
    park_source: str
    mapping: dict[str, str]
    untranslated_land_use: dict[str, int] = field(default_factory=dict)


@dataclass
class RuleEffect:
    """The import's effect on manufacturing land (m²), as the rule judges it: the city's
    and each park's total before and after, whether the rule would refuse it, the shortfall
    and the parcels that caused it, and each park's targets before and after."""

    delta_m2: float
    total_before_m2: float
    total_after_m2: float
    parks_before_m2: dict[str, float]
    parks_after_m2: dict[str, float]
    would_refuse: bool
    shortfall_m2: float
    refusal: dict[str, Any] | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportOutcome:
    """One import: stored as a dry run (``status`` ``dry_run``), later ``applied`` (with its
    change set) — or ``refused`` when the rule refused the apply."""

    id: int | None
    created_at: datetime | None
    actor: str
    source: SourceFacts
    options: dict[str, Any]
    problems: list[ImportProblem]
    skipped_rows: list[int]
    diff: ImportDiff
    rule: RuleEffect | None
    status: str = "dry_run"
    change_set_id: int | None = None

    @property
    def blocking(self) -> int:
        return sum(1 for p in self.problems if p.blocking)

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if not p.blocking)

    def summary_body(self) -> dict[str, Any]:
        """The API's body: ``{"id", "status", "summary", "problems": {"blocking",
        "warnings", "by_kind"}, "diff": {"new", "changed", "unchanged", "missing"},
        "rule": {"delta_m2", "would_refuse", "shortfall_m2"}, "change_set_id"}``."""
        src = self.source
        rule = self.rule
        return {
            "id": self.id,
            "status": self.status,
            "summary": {
                "file": src.name,
                "layer": src.layer,
                "driver": src.driver,
                "features": src.features,
                "encoding": src.encoding,
                "encoding_source": src.encoding_source,
                "crs": src.crs,
                "crs_source": src.crs_source,
                "park_source": src.park_source,
                "mapping": src.mapping,
                "untranslated_land_use": src.untranslated_land_use,
                "skipped_rows": self.skipped_rows,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "actor": self.actor,
            },
            "problems": {
                "blocking": self.blocking,
                "warnings": self.warnings,
                "by_kind": count_by_kind(self.problems),
            },
            "diff": self.diff.counts(),
            "rule": None
            if rule is None
            else {
                "delta_m2": round(rule.delta_m2, 4),
                "would_refuse": rule.would_refuse,
                "shortfall_m2": round(rule.shortfall_m2, 4),
                "total_before_m2": round(rule.total_before_m2, 4),
                "total_after_m2": round(rule.total_after_m2, 4),
                "parks_delta_m2": {
                    park: round(rule.parks_after_m2.get(park, 0.0) - before, 4)
                    for park, before in sorted(rule.parks_before_m2.items())
                },
            },
            "change_set_id": self.change_set_id,
        }
