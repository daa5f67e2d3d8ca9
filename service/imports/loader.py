"""Loading a park data set (a GeoPackage with the layers ``data/README.md`` describes).

A load is one transaction. New parcels are registered as one change set of kind
``register`` (so a parcel's history starts at its load, and the rule and ledger see it);
parcels already present and identical are skipped, so a second run changes nothing and
says so; parcels present with other attributes are reported and left alone (changing
them is a change set's job). Parks, buildings, leases, projects and context layers are
added where missing. Land supervision's records (enterprises, supply contracts, progress,
government delays, approval batches, yearly figures; ``service.supervision.loading``) are
written as standing versions in the same change set — or, when the load registers no
parcel, in one of kind ``supervision`` opened only if a record is new or differs. Key
projects' rhythm records (officials and assignments, plans, monthly reports, milestones
reached, visits, problems; ``service.projects.loading``) follow the projects the same way,
in the load's change set (the register or the supervision one), else in one of kind
``projects`` opened only if a record is new or differs. Any problem with the new data
aborts the whole load.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, text

from gis.files import list_layers, read_layer
from parks.errors import ParksError
from parks.limits import InputLimits, setting_name
from parks.units import AREA_TOLERANCE_M2
from parks.vocabulary import ParcelStatus, ProjectStatus, SupplyMode
from service.changes.session import open_change_set, precheck, sync_policy
from service.db.sqlfiles import sql, statements
from service.projects import loading as rhythm_loading
from service.supervision import loading as supervision_loading

CORE_LAYERS = (
    "parks",
    "parcels",
    "buildings",
    "leases",
    "projects",
    "targets",
    *supervision_loading.LAYERS,
    *rhythm_loading.LAYERS,
)

#: Titles of the context layers the sample carries; any other layer in a file is loaded
#: as a context layer too, titled by its name (layers are data, not code).
CONTEXT_LAYER_TITLES: dict[str, tuple[str, str]] = {
    "roads": ("道路", "Roads"),
    "rail": ("铁路", "Rail"),
    "river": ("河流", "Rivers"),
    "flood_zone": ("洪涝风险区", "Flood zones"),
    "utilities": ("市政设施", "Utilities"),
    "eco_redline": ("生态保护红线", "Ecological red line"),
}

Progress = Callable[[str, int, int], None]


class LoadError(ParksError):
    """The data set cannot be loaded; nothing of it was stored."""

    code = "load_failed"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n  ".join(problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"nothing was loaded; {len(problems)} problem(s):\n  {shown}{more}")


@dataclass
class LoadReport:
    """What a load did."""

    source: str
    parks_added: int = 0
    parcels_added: int = 0
    parcels_unchanged: int = 0
    parcels_differing: list[str] = field(default_factory=list)
    parks_differing: list[str] = field(default_factory=list)
    buildings_added: int = 0
    leases_added: int = 0
    projects_added: int = 0
    context_features_added: int = 0
    targets_added: int = 0
    #: supervision layer -> versions the load made (new records, or ones replacing a
    #: standing version that differed) and, of those, the replacements
    supervision_added: dict[str, int] = field(default_factory=dict)
    supervision_replaced: dict[str, int] = field(default_factory=dict)
    #: rhythm layer -> versions the load made and, of those, the replacements
    rhythm_added: dict[str, int] = field(default_factory=dict)
    rhythm_replaced: dict[str, int] = field(default_factory=dict)
    change_set_id: int | None = None
    ledger_seq: int | None = None

    @property
    def changed_anything(self) -> bool:
        return any(
            (
                self.parks_added,
                self.parcels_added,
                self.buildings_added,
                self.leases_added,
                self.projects_added,
                self.context_features_added,
                self.targets_added,
                sum(self.supervision_added.values()),
                sum(self.rhythm_added.values()),
            )
        )

    def lines(self) -> list[str]:
        """A human summary."""
        if not self.changed_anything:
            out = [
                f"nothing to load from {self.source}: all {self.parcels_unchanged} parcels "
                "and everything else are already present and identical"
            ]
        else:
            out = [
                f"loaded {self.source}: {self.parks_added} parks, {self.parcels_added} parcels "
                f"(change set {self.change_set_id}, ledger row {self.ledger_seq}), "
                f"{self.buildings_added} factory buildings, {self.leases_added} leases, "
                f"{self.projects_added} projects, {self.context_features_added} context features"
                + (f", targets of {self.targets_added} parks" if self.targets_added else ""),
            ]
            if any(self.supervision_added.values()):
                made = ", ".join(
                    f"{n} {supervision_loading.NOUNS[layer]}"
                    for layer, n in self.supervision_added.items()
                    if n
                )
                replaced = sum(self.supervision_replaced.values())
                out.append(
                    f"supervision records: {made}"
                    + (f" ({replaced} of them replace records that differed)" if replaced else "")
                )
            if any(self.rhythm_added.values()):
                made = ", ".join(
                    f"{n} {rhythm_loading.NOUNS[layer]}"
                    for layer, n in self.rhythm_added.items()
                    if n
                )
                replaced = sum(self.rhythm_replaced.values())
                out.append(
                    f"key-project records: {made}"
                    + (f" ({replaced} of them replace records that differed)" if replaced else "")
                )
            if self.parcels_unchanged:
                out.append(f"{self.parcels_unchanged} parcels were already present and identical")
        if self.parks_differing:
            out.append(
                f"parks {', '.join(self.parks_differing)} exist with another name or boundary "
                "and were left alone"
            )
        if self.parcels_differing:
            out.append(
                f"{len(self.parcels_differing)} parcels exist with other attributes or shape and "
                "were left alone (record such changes as change sets): "
                + ", ".join(self.parcels_differing[:20])
                + (" …" if len(self.parcels_differing) > 20 else "")
            )
        return out


#: The tables a load writes (or appends to), analyzed once it has committed. Not
#: ``change_set`` and ``ledger``, which a load leaves with a row or two: statistics of a
#: table that small have the plans kept for it (the foreign-key checks' of every version
#: written, PL/pgSQL's) scan it whole, and they keep doing so as it grows a row a change
#: set, until autovacuum analyzes it again; without statistics the planner assumes it is
#: larger and looks rows up by index.
ANALYZED_AFTER_LOAD = (
    "parcel_version",
    "park",
    "factory_building",
    "lease",
    "project",
    "project_parcel",
    "context_feature",
    "totals_effect",
    *(table for table, _ in supervision_loading.LAYERS.values()),
    "idle_clock_basis",  # kept by the database as site_progress is written
    *(table for table, _ in rhythm_loading.LAYERS.values()),
)


def load_dataset(
    engine: Engine,
    path: Path,
    *,
    storage_srid: int,
    actor: str | None = None,
    progress: Progress | None = None,
    min_parcel_area_m2: float = InputLimits.min_parcel_area_m2,
) -> LoadReport:
    """Load the GeoPackage at *path* (any CRS; stored in *storage_srid*) in one transaction.

    New parcels are placed by the change sets' rule: inside their park (some of each in the
    park, no more than ``AREA_TOLERANCE_M2`` outside) and at least *min_parcel_area_m2*."""
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.gpkg"))
        if len(candidates) != 1:
            raise LoadError([f"{path}: expected exactly one .gpkg file, found {len(candidates)}"])
        path = candidates[0]
    if not path.exists():
        raise LoadError([f"{path}: no such file"])
    step = progress or (lambda _stage, _done, _total: None)
    layers = list_layers(path)
    missing = [name for name in ("parks", "parcels") if name not in layers]
    if missing:
        raise LoadError([f"{path}: missing layer(s) {', '.join(missing)}"])
    frames = {name: read_layer(path, name, to_epsg=storage_srid) for name in layers}
    report = LoadReport(source=str(path))
    actor = actor or f"parks load ({getpass.getuser()})"

    with engine.begin() as conn:
        # The commit trigger judges the load by the policy row's tolerance: make it the one
        # the placement checks here use (the service does the same when it starts). A
        # change of it is a change set of its own, committed before the load's.
        sync_policy(conn, actor=actor)
    with engine.begin() as conn:
        report.parks_added = _load_parks(conn, frames["parks"], storage_srid, report)
        _load_parcels(
            conn, frames["parcels"], storage_srid, report, actor, step, min_parcel_area_m2
        )
        if "buildings" in frames:
            report.buildings_added = _load_buildings(conn, frames["buildings"], storage_srid)
        if "leases" in frames:
            report.leases_added = _load_leases(conn, frames["leases"])
        if "projects" in frames:
            report.projects_added = _load_projects(conn, frames["projects"])
        supervision = supervision_loading.supervision_layers(frames)
        if supervision:
            _load_supervision(conn, supervision, report, actor)
        rhythm = rhythm_loading.rhythm_layers(frames)
        if rhythm:
            _load_rhythm(conn, rhythm, report, actor)
        if "targets" in frames:
            report.targets_added = _load_targets(conn, frames["targets"], report)
        for name, frame in frames.items():
            if name not in CORE_LAYERS:
                report.context_features_added += _load_context_layer(
                    conn, name, frame, storage_srid
                )
    if report.change_set_id is not None:
        with engine.begin() as conn:
            # Fresh statistics, so the first change sets after a big load get good plans
            # (committed: statistics gathered in a transaction that rolls back are lost):
            # of what the load wrote and of the record every later commit looks things up in.
            for table in ANALYZED_AFTER_LOAD:
                conn.execute(text("SELECT refresh_planner_statistics(:t)"), {"t": table})
            report.ledger_seq = conn.execute(
                text("SELECT seq FROM ledger WHERE change_set_id = :id"),
                {"id": report.change_set_id},
            ).scalar()
    return report


def _wkb(geoms) -> list[bytes | None]:
    return list(shapely.to_wkb(geoms))


def _clean(value):
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _load_parks(conn: Connection, frame, srid: int, report: LoadReport) -> int:
    """Add the parks not yet known; report (and leave alone) known ones that differ."""
    added = 0
    for row in frame.itertuples(index=False):
        params = {
            "code": row.code,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "wkb": shapely.to_wkb(row.geometry),
            "srid": srid,
        }
        result = conn.execute(
            text(
                "INSERT INTO park (code, name_zh, name_en, boundary) "
                "VALUES (:code, :name_zh, :name_en, ST_Multi(ST_GeomFromWKB(:wkb, :srid))) "
                "ON CONFLICT (code) DO NOTHING"
            ),
            params,
        )
        added += result.rowcount
        if result.rowcount == 0:
            differs = conn.execute(
                text(
                    "SELECT name_zh <> :name_zh OR name_en <> :name_en OR NOT ST_OrderingEquals("
                    "boundary, ST_Multi(ST_GeomFromWKB(:wkb, :srid))) FROM park WHERE code = :code"
                ),
                params,
            ).scalar()
            if differs:
                report.parks_differing.append(row.code)
    return added


def _load_parcels(
    conn, frame, srid: int, report: LoadReport, actor: str, step, min_area_m2: float
) -> None:
    raw = conn.connection.driver_connection
    for statement in statements(sql("service.sql", "load_stage.sql")):
        raw.execute(statement)
    total = len(frame)
    columns = ("parcel_code", "park", "land_use_code", "status", "holder", "supply_mode")
    values = {c: frame[c].tolist() if c in frame else [None] * total for c in columns}
    supplied = frame["supplied_on"].tolist() if "supplied_on" in frame else [None] * total
    wkbs = _wkb(frame.geometry.values)
    with raw.cursor() as cur:
        copy_sql = (
            "COPY stage_raw (row_no, parcel_code, park, land_use_code, status, holder, "
            "supply_mode, supplied_on, wkb) FROM STDIN"
        )
        with cur.copy(copy_sql) as copy:
            for i in range(total):
                copy.write_row(
                    (
                        i + 1,
                        *(_clean(values[c][i]) for c in columns),
                        _clean(supplied[i]),
                        wkbs[i],
                    )
                )
                if i % 5000 == 0:
                    step("staging parcels", i, total)
    step("staging parcels", total, total)
    params = {"srid": srid}
    for statement in statements(sql("service.sql", "load_parcels_classify.sql")):
        conn.execute(text(statement), params if ":srid" in statement else {})
    counts = dict(
        conn.execute(text("SELECT verdict, count(*) FROM stage_parcel GROUP BY verdict")).all()
    )
    report.parcels_unchanged = counts.get("unchanged", 0)
    report.parcels_differing = list(
        conn.execute(
            text("SELECT parcel_code FROM stage_parcel WHERE verdict = 'differs' ORDER BY row_no")
        ).scalars()
    )
    problems = [
        f"{code}: was retired; parcel codes are not reused"
        for code in conn.execute(
            text("SELECT parcel_code FROM stage_parcel WHERE verdict = 'retired' ORDER BY row_no")
        ).scalars()
    ]
    step("checking parcels", 0, 1)
    problems += [
        f"row {row.row_no} ({row.parcel_code}): {row.problem}"
        for row in conn.execute(
            text(sql("service.sql", "load_parcels_problems.sql")),
            {
                "statuses": [s.value for s in ParcelStatus],
                "supply_modes": [m.value for m in SupplyMode],
                "tolerance": AREA_TOLERANCE_M2,
                "min_area_m2": min_area_m2,
                "min_area_setting": setting_name("min_parcel_area_m2"),
            },
        )
    ]
    step("checking parcels", 1, 1)
    if problems:
        raise LoadError(problems)
    fresh = counts.get("new", 0)
    if not fresh:
        return
    change_set = open_change_set(
        conn,
        kind="register",
        reason=f"load of {Path(report.source).name}",
        actor=actor,
        operations=[{"op": "load", "source": report.source, "parcels": fresh}],
    )
    step("registering parcels", 0, fresh)
    conn.execute(
        text(sql("service.sql", "load_parcels_insert.sql")),
        {"valid_from": change_set.at, "change_set_id": change_set.id},
    )
    step("registering parcels", fresh, fresh)
    refusal = precheck(conn)
    if refusal is not None:  # a load only adds land, but the rule is the rule
        raise refusal
    report.parcels_added = fresh
    report.change_set_id = change_set.id


def _known(conn: Connection, query: str) -> set[str]:
    return set(conn.execute(text(query)).scalars())


def _refuse_unknown(frame, known: set[str], *, key: str, describe) -> None:
    """Raise :class:`LoadError` naming every row of *frame* whose *key* is not *known*."""
    unknown = [describe(r) for r in frame.itertuples(index=False) if getattr(r, key) not in known]
    if unknown:
        raise LoadError(unknown)


def _load_buildings(conn: Connection, frame, srid: int) -> int:
    _refuse_unknown(
        frame,
        _known(conn, "SELECT code FROM park"),
        key="park",
        describe=lambda r: f"building {r.building_code}: unknown park {r.park!r}",
    )
    rows = [
        {
            "building_code": r.building_code,
            "park": r.park,
            "parcel_code": r.parcel_code,
            "name": _clean(getattr(r, "name", None)),
            "storeys": int(r.storeys),
            "floor_area_m2": float(r.floor_area_m2),
            "wkb": shapely.to_wkb(r.geometry),
            "srid": srid,
        }
        for r in frame.itertuples(index=False)
    ]
    if not rows:
        return 0
    bad = conn.execute(
        text(
            "SELECT b.building_code, b.parcel_code FROM json_to_recordset(CAST(:rows AS json)) "
            "AS b(building_code text, parcel_code text, wkb_hex text) "
            "LEFT JOIN parcel_version v ON v.parcel_code = b.parcel_code AND v.valid_to IS NULL "
            "WHERE v.version_id IS NULL OR ST_Area(ST_Difference(ST_SetSRID(ST_GeomFromWKB("
            "decode(b.wkb_hex, 'hex')), :srid), v.geom)) > :tolerance"
        ),
        {
            "rows": json.dumps(
                [
                    {
                        "building_code": r["building_code"],
                        "parcel_code": r["parcel_code"],
                        "wkb_hex": r["wkb"].hex(),
                    }
                    for r in rows
                ]
            ),
            "srid": srid,
            "tolerance": AREA_TOLERANCE_M2,
        },
    ).all()
    if bad:
        raise LoadError(
            [f"building {b.building_code}: not on its parcel {b.parcel_code}" for b in bad]
        )
    result = conn.execute(
        text(
            "INSERT INTO factory_building (building_code, park, parcel_code, name, storeys, "
            "floor_area_m2, footprint) VALUES (:building_code, :park, :parcel_code, :name, "
            ":storeys, :floor_area_m2, ST_Multi(ST_GeomFromWKB(:wkb, :srid))) "
            "ON CONFLICT (building_code) DO NOTHING"
        ),
        rows,
    )
    return result.rowcount


def _load_leases(conn: Connection, frame) -> int:
    _refuse_unknown(
        frame,
        _known(conn, "SELECT building_code FROM factory_building"),
        key="building_code",
        describe=lambda r: f"lease {r.lease_id}: unknown building {r.building_code!r}",
    )
    rows = [
        {
            "lease_id": str(r.lease_id),
            "building_code": r.building_code,
            "tenant": r.tenant,
            "floor": int(r.floor),
            "leased_m2": float(r.leased_m2),
            "start_date": _clean(r.start_date),
            "end_date": _clean(getattr(r, "end_date", None)),
        }
        for r in frame.itertuples(index=False)
    ]
    if not rows:
        return 0
    result = conn.execute(
        text(
            "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, start_date, "
            "end_date) VALUES (:lease_id, :building_code, :tenant, :floor, :leased_m2, "
            "CAST(:start_date AS date), CAST(:end_date AS date)) "
            "ON CONFLICT (lease_id) DO NOTHING"
        ),
        rows,
    )
    problems = list(
        conn.execute(
            text(sql("service.sql", "load_lease_problems.sql")), {"tolerance": AREA_TOLERANCE_M2}
        ).scalars()
    )
    if problems:
        raise LoadError(problems)
    return result.rowcount


def _load_projects(conn: Connection, frame) -> int:
    parks = _known(conn, "SELECT code FROM park")
    statuses = {s.value for s in ProjectStatus}
    problems = [
        f"project {r.project_code}: unknown park {r.park!r}"
        for r in frame.itertuples(index=False)
        if r.park not in parks
    ] + [
        f"project {r.project_code}: unknown status {r.status!r}; one of {', '.join(statuses)}"
        for r in frame.itertuples(index=False)
        if r.status not in statuses
    ]
    if problems:
        raise LoadError(problems)
    added = 0
    for r in frame.itertuples(index=False):
        milestones = _clean(getattr(r, "milestones", None)) or "[]"
        result = conn.execute(
            text(
                "INSERT INTO project (project_code, name, park, investor, industry_chain, "
                "investment_yi, status, milestones) VALUES (:project_code, :name, :park, "
                ":investor, :industry_chain, :investment_yi, :status, "
                "CAST(:milestones AS jsonb)) ON CONFLICT (project_code) DO NOTHING"
            ),
            {
                "project_code": r.project_code,
                "name": r.name,
                "park": r.park,
                "investor": _clean(getattr(r, "investor", None)),
                "industry_chain": _clean(getattr(r, "industry_chain", None)),
                "investment_yi": _clean(getattr(r, "investment_yi", None)),
                "status": r.status,
                "milestones": milestones if isinstance(milestones, str) else json.dumps(milestones),
            },
        )
        added += result.rowcount
        codes = [c.strip() for c in str(_clean(r.parcel_codes) or "").split(",") if c.strip()]
        for code in codes:
            conn.execute(
                text(
                    "INSERT INTO project_parcel (project_code, parcel_code) VALUES (:p, :c) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"p": r.project_code, "c": code},
            )
    return added


def _load_supervision(conn: Connection, layers: dict, report: LoadReport, actor: str) -> None:
    """Write the supervision layers' records as standing versions (:func:`_write_records`,
    a new change set of kind ``supervision``). A bad record aborts the load."""
    records, problems = supervision_loading.supervision_records(layers)
    if problems:
        raise LoadError(problems)
    problems = supervision_loading.supervision_problems(conn, records)
    if problems:
        raise LoadError(problems)
    report.supervision_added, report.supervision_replaced = _write_records(
        conn, records, layers=supervision_loading.LAYERS, kind="supervision", report=report,
        actor=actor,
    )  # fmt: skip


def _load_rhythm(conn: Connection, layers: dict, report: LoadReport, actor: str) -> None:
    """Write the key-project rhythm layers' records as standing versions, after the
    projects (:func:`_write_records`, a new change set of kind ``projects``). A bad record,
    or one of a project or official that does not exist, aborts the load."""
    records, problems = rhythm_loading.rhythm_records(layers)
    if problems:
        raise LoadError(problems)
    problems = rhythm_loading.rhythm_problems(conn, records)
    if problems:
        raise LoadError(problems)
    report.rhythm_added, report.rhythm_replaced = _write_records(
        conn, records, layers=rhythm_loading.LAYERS, kind="projects", report=report, actor=actor
    )


def _write_records(
    conn: Connection, records: dict, *, layers: dict, kind: str, report: LoadReport, actor: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Write checked *records* (layer → records; *layers*: layer → (table, fields)) as
    standing versions in this transaction's change set (the load's register or an earlier
    record layers' one), else — only when some record is new or differs — in a new one of
    *kind*. Per layer, the versions made and, of those, the ones replacing a standing
    version that differed."""
    change_set_id = conn.execute(
        text("SELECT id FROM change_set WHERE txid = txid_current() ORDER BY id LIMIT 1")
    ).scalar()
    if change_set_id is None:
        pending = supervision_loading.pending_versions(conn, records, layers=layers)
        if not any(pending.values()):
            return {layer: 0 for layer in records}, {}
        change_set_id = open_change_set(
            conn,
            kind=kind,
            reason=f"load of {Path(report.source).name}",
            actor=actor,
            operations=[{"op": "load", "source": report.source, "records": pending}],
        ).id
    try:
        written = supervision_loading.put_layers(
            conn, change_set_id=change_set_id, records=records, layers=layers
        )
    except supervision_loading.RecordWriteError as exc:
        raise LoadError([str(exc)]) from exc
    report.change_set_id = report.change_set_id or change_set_id
    return (
        {layer: w.made for layer, w in written.items()},
        {layer: w.ended for layer, w in written.items()},
    )


def _load_targets(conn: Connection, frame, report: LoadReport) -> int:
    """Each park's targets (minimum reserve land in 亩, vacant factory floor in m²), where
    the park has none yet: targets set since (PUT /api/targets, parks targets set) stay.
    Set through the database's ``admin_add_target``: recorded in the load's change set, or
    in one of kind ``target`` when the load registers no parcel."""
    parks = set(conn.execute(text("SELECT code FROM park")).scalars())
    rows, problems = [], []
    for record in frame.to_dict("records"):
        park = record.get("park")
        if park not in parks:
            problems.append(f"targets: unknown park {park!r}")
        row = {"park": park}
        for name in ("min_reserve_mu", "min_vacant_floor_m2"):
            value = _clean(record.get(name))  # an empty field is no minimum: 0
            try:
                row[name] = float(value) if value is not None else 0.0
            except (TypeError, ValueError):
                row[name] = float("nan")
            if not row[name] >= 0:  # NaN too
                problems.append(f"targets of {park}: {name} must be a number ≥ 0, not {value!r}")
        rows.append(row)
    if problems:
        raise LoadError(problems)
    if not rows:
        return 0
    added = 0
    for row in rows:
        change_set_id = conn.execute(
            text(
                "SELECT admin_add_target(:park, :min_reserve_mu, :min_vacant_floor_m2, "
                "'parks load', :reason)"
            ),
            {**row, "reason": f"first targets of park {row['park']}, from {report.source}"},
        ).scalar_one()
        if change_set_id is not None:
            added += 1
            report.change_set_id = report.change_set_id or change_set_id
    return added


def _load_context_layer(conn: Connection, name: str, frame, srid: int) -> int:
    if not hasattr(frame, "geometry"):
        return 0
    exists = conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM context_feature WHERE layer = :n)"), {"n": name}
    ).scalar()
    if exists:
        return 0
    title_zh, title_en = CONTEXT_LAYER_TITLES.get(name, (name, name))
    conn.execute(
        text(
            "INSERT INTO context_layer (name, title_zh, title_en) VALUES (:n, :zh, :en) "
            "ON CONFLICT (name) DO NOTHING"
        ),
        {"n": name, "zh": title_zh, "en": title_en},
    )
    reserved = {"park", "name", frame.geometry.name}
    kind_column = next((c for c in ("road_class", "kind") if c in frame), None)
    rows = []
    for record in frame.to_dict("records"):
        geom = record[frame.geometry.name]
        if geom is None or geom.is_empty:
            continue
        extra = {
            k: _clean(v) for k, v in record.items() if k not in reserved and _clean(v) is not None
        }
        rows.append(
            {
                "layer": name,
                "park": _clean(record.get("park")),
                "name": _clean(record.get("name")),
                "kind": _clean(record.get(kind_column)) if kind_column else None,
                "properties": json.dumps(extra, ensure_ascii=False, default=str),
                "wkb": shapely.to_wkb(geom),
                "srid": srid,
            }
        )
    if rows:
        conn.execute(
            text(
                "INSERT INTO context_feature (layer, park, name, kind, properties, geom) "
                "VALUES (:layer, :park, :name, :kind, CAST(:properties AS jsonb), "
                "ST_GeomFromWKB(:wkb, :srid))"
            ),
            rows,
        )
    return len(rows)
