"""Helpers of the audit tests.

The expected answers are computed here on their own: a plain-Python model of the city's
land, started from the sample GeoPackage (read with pyogrio, areas by shapely in EPSG:4545)
and changed by the same operations the tests submit — so "what stood at moment t" is known
without asking the service. Tampering goes through raw psycopg with the table's triggers
disabled, as a superuser (or the tables' owner) could.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import shapely
from support_changes import geojson
from support_reads import manufacturing_codes, parcels
from support_roles import owner_url

#: Agreement required between the service's areas and ours (m²).
TOL_M2 = 0.01
MANUFACTURING = frozenset(manufacturing_codes())

GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "park": ("park",),
    "land_use": ("land_use_code",),
    "status": ("status",),
    "park,land_use": ("park", "land_use_code"),
}


# --- the independent land model -------------------------------------------------------------


@dataclass
class Parcel:
    code: str
    park: str
    land_use_code: str
    status: str
    geom: Any  # shapely, EPSG:4545

    @property
    def area_m2(self) -> float:
        return float(shapely.area(self.geom))

    @property
    def manufacturing_m2(self) -> float:
        return self.area_m2 if self.land_use_code in MANUFACTURING else 0.0


@dataclass
class LandModel:
    """The parcels standing at one moment, as the tests believe them to be."""

    parcels: dict[str, Parcel] = field(default_factory=dict)

    @classmethod
    def from_sample(cls) -> LandModel:
        frame = parcels()
        model = cls()
        for row in frame.itertuples(index=False):
            model.parcels[row.parcel_code] = Parcel(
                row.parcel_code, row.park, row.land_use_code, row.status, row.geometry
            )
        return model

    def snapshot(self) -> LandModel:
        return LandModel(copy.copy({k: copy.copy(v) for k, v in self.parcels.items()}))

    # operations, the way the design describes them
    def rezone(self, code: str, land_use_code: str) -> None:
        self.parcels[code].land_use_code = land_use_code

    def set_status(self, code: str, status: str) -> None:
        self.parcels[code].status = status

    def retire(self, code: str) -> None:
        del self.parcels[code]

    def register(self, code: str, park: str, land_use_code: str, status: str, geom) -> None:
        assert code not in self.parcels
        self.parcels[code] = Parcel(code, park, land_use_code, status, geom)

    def split(self, code: str, parts: list[tuple[str, Any]]) -> None:
        parent = self.parcels.pop(code)
        for part_code, geom in parts:
            self.parcels[part_code] = Parcel(
                part_code, parent.park, parent.land_use_code, parent.status, geom
            )

    def merge(self, codes: list[str], code: str, land_use_code: str) -> None:
        inputs = [self.parcels.pop(c) for c in codes]
        geom = shapely.union_all([p.geom for p in inputs])
        self.parcels[code] = Parcel(code, inputs[0].park, land_use_code, inputs[0].status, geom)

    # answers
    def manufacturing(self) -> tuple[float, dict[str, float]]:
        by_park: dict[str, float] = defaultdict(float)
        for p in self.parcels.values():
            by_park[p.park] += p.manufacturing_m2
        return sum(by_park.values()), dict(by_park)

    def totals(self, group_by: str) -> dict[tuple, dict[str, float]]:
        """{group key tuple: {"parcels", "area_m2", "manufacturing_m2"}}."""
        fields_ = GROUP_FIELDS[group_by]
        out: dict[tuple, dict[str, float]] = defaultdict(
            lambda: {"parcels": 0, "area_m2": 0.0, "manufacturing_m2": 0.0}
        )
        for p in self.parcels.values():
            key = tuple(getattr(p, f) for f in fields_)
            out[key]["parcels"] += 1
            out[key]["area_m2"] += p.area_m2
            out[key]["manufacturing_m2"] += p.manufacturing_m2
        return dict(out)

    def city(self) -> dict[str, float]:
        return {
            "parcels": len(self.parcels),
            "area_m2": sum(p.area_m2 for p in self.parcels.values()),
            "manufacturing_m2": sum(p.manufacturing_m2 for p in self.parcels.values()),
        }


EMPTY = LandModel()


def totals_mismatches(body: dict[str, Any], model: LandModel, group_by: str) -> list[str]:
    """Every way the API's totals body disagrees with *model* (empty: it agrees)."""
    problems = []
    expected = model.totals(group_by)
    fields_ = GROUP_FIELDS[group_by]
    found = {tuple(r[f] for f in fields_): r for r in body["rows"]}
    if set(found) != set(expected):
        problems.append(
            f"groups differ: missing {sorted(set(expected) - set(found))}, "
            f"extra {sorted(set(found) - set(expected))}"
        )
    for key, want in expected.items():
        got = found.get(key)
        if got is None:
            continue
        if got["parcels"] != want["parcels"]:
            problems.append(f"{key}: parcels {got['parcels']} != {want['parcels']}")
        for name in ("area_m2", "manufacturing_m2"):
            if abs(got[name] - want[name]) > TOL_M2:
                problems.append(f"{key}: {name} {got[name]} != {want[name]:.4f}")
        if abs(got["area_mu"] - want["area_m2"] * 15 / 10000) > TOL_M2:
            problems.append(f"{key}: area_mu {got['area_mu']}")
        if abs(got["area_ha"] - want["area_m2"] / 10000) > TOL_M2:
            problems.append(f"{key}: area_ha {got['area_ha']}")
    city = model.city()
    if body["city"]["parcels"] != city["parcels"]:
        problems.append(f"city parcels {body['city']['parcels']} != {city['parcels']}")
    for name in ("area_m2", "manufacturing_m2"):
        if abs(body["city"][name] - city[name]) > TOL_M2:
            problems.append(f"city {name} {body['city'][name]} != {city[name]:.4f}")
    if abs(body["city"]["manufacturing_mu"] - city["manufacturing_m2"] * 15 / 10000) > TOL_M2:
        problems.append(f"city manufacturing_mu {body['city']['manufacturing_mu']}")
    return problems


# --- the dated scenario ------------------------------------------------------------------------


@dataclass
class Step:
    """One moment of the scenario: what stood then, per the model."""

    label: str
    at: datetime
    model: LandModel
    change_set_id: int | None = None
    ledger_seq: int | None = None


@dataclass
class Refused:
    label: str
    status: int
    body: dict[str, Any]
    document_no: str
    codes: list[str]
    expected_shortfall_m2: float | None = None


@dataclass
class Scenario:
    steps: list[Step] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    picks: dict[str, Any] = field(default_factory=dict)

    def step(self, label: str) -> Step:
        return next(s for s in self.steps if s.label == label)

    @property
    def committed(self) -> list[Step]:
        return [s for s in self.steps if s.change_set_id is not None]


# --- problems of a verification body -----------------------------------------------------------


def problems_where(body: dict[str, Any], **where: Any) -> list[dict[str, Any]]:
    """The problems of a verify body whose fields equal *where*."""
    return [p for p in body["problems"] if all(p.get(k) == v for k, v in where.items())]


def checks(body: dict[str, Any]) -> set[str]:
    return {p["check"] for p in body["problems"]}


# --- raw SQL, behind the application's back ----------------------------------------------------


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def tamper(url: str, table: str, *statements: str, params: Iterable[tuple] | None = None) -> None:
    """Run *statements* on *table* with its user triggers disabled (as the owner or a
    superuser could: connected as the owner), then enable them again — in one transaction."""
    params = list(params or [()] * len(statements))
    with psycopg.connect(psycopg_url(owner_url(url))) as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement, args in zip(statements, params, strict=True):
            conn.execute(statement, args)
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        conn.commit()


def query(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(psycopg_url(url)) as conn:
        return conn.execute(sql, args).fetchall()


# --- the scenario, through the HTTP API -------------------------------------------------------


def pick(url: str, where: str, *, order: str = "area_m2 DESC") -> tuple[str, float]:
    """(code, area) of the first current parcel matching *where* (SQL), in *order*."""
    rows = query(
        url,
        "SELECT parcel_code, area_m2 FROM parcel_version WHERE valid_to IS NULL "
        f"AND ({where}) ORDER BY {order}, parcel_code LIMIT 1",
    )
    assert rows, f"no current parcel where {where}"
    return rows[0][0], float(rows[0][1])


def land_fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and content hash of every table a change set writes."""
    out = {}
    for table in ("parcel_version", "change_set", "ledger", "parcel_lineage"):
        out[table] = tuple(
            query(
                url,
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '' ORDER BY t::text)), '') "
                f"FROM {table} t",
            )[0]
        )
    return out


def run_scenario(client, headers: dict[str, str], url: str) -> Scenario:
    """The dated scenario: split, rezone with compensation, a refusal, retire with
    compensation (and a new parcel), an invalid change set, a merge that gains land, a
    refusal carrying a new parcel, a status change. A moment is recorded after each step
    together with what the model says stood then."""
    from datetime import UTC

    from support_changes import change_set, split_in_two

    model = LandModel.from_sample()
    sc = Scenario()

    def now() -> datetime:
        return datetime.now(UTC)

    def record(label: str, response=None) -> None:
        cs = seq = None
        if response is not None:
            assert response.status_code == 201, response.text
            cs, seq = response.json()["id"], response.json()["ledger_seq"]
        sc.steps.append(Step(label, now(), model.snapshot(), cs, seq))

    def exact(code: str):
        """The parcel's stored geometry in EPSG:4545 (read with our own SQL), checked
        against the model's. (GET /api/parcels/{code}?crs=EPSG:4545 would be the client's
        way; see test_exact_parcel_coordinates_are_served_in_the_storage_crs.)"""
        (wkb,) = query(
            url,
            "SELECT ST_AsBinary(geom) FROM parcel_version WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (code,),
        )[0]
        geom = shapely.from_wkb(bytes(wkb))
        assert shapely.area(shapely.symmetric_difference(geom, model.parcels[code].geom)) < 1e-6
        return geom

    def post(body):
        return client.post("/api/change-sets", json=body, headers=headers)

    def refuse(label, body, status, codes=(), shortfall=None):
        before = land_fingerprint(url)
        response = post(body)
        assert response.status_code == status, response.text
        assert land_fingerprint(url) == before, f"{label}: refused change set left land data"
        sc.refused.append(
            Refused(label, status, response.json(), body["document_no"], list(codes), shortfall)
        )
        record(label)

    record("loaded")

    # 1. split a big industrial parcel in two (moves nothing, keeps lineage)
    a, _ = pick(url, "land_use_code = '0601' AND park = 'caijiapo'")
    west, east = split_in_two(exact(a))
    parts = [(f"{a}-A", west), (f"{a}-B", east)]
    sc.picks["split"] = {"parent": a, "parts": [c for c, _ in parts]}
    response = post(
        change_set(
            "split",
            {
                "op": "split",
                "parcel_code": a,
                "crs": "EPSG:4545",
                "parts": [{"parcel_code": c, "geometry": geojson(g)} for c, g in parts],
            },
            document_no="宝政土批〔2026〕1号",
        )
    )
    model.split(a, parts)
    record("split", response)

    # 2. rezone industrial land away, compensated by rezoning storage land to industry
    c, c_area = pick(url, "land_use_code = '0604' AND park = 'jiangtan'")
    b, _ = pick(url, f"land_use_code = '0601' AND park = 'gaoxin' AND area_m2 < {0.8 * c_area}")
    sc.picks["rezone"] = {"lost": b, "gained": c}
    response = post(
        change_set(
            "rezone",
            {"op": "rezone", "parcel_code": b, "land_use_code": "0701"},
            {"op": "rezone", "parcel_code": c, "land_use_code": "0601"},
            document_no="宝政土批〔2026〕2号",
        )
    )
    model.rezone(b, "0701")
    model.rezone(c, "0601")
    record("rezone", response)

    # 3. refused: the compensation is too small
    d, d_area = pick(url, "land_use_code = '0601' AND park = 'fengxiang'")
    d2, d2_area = pick(url, "land_use_code = '0701' AND park = 'fengxiang'", order="area_m2")
    refuse(
        "refused-rezone",
        change_set(
            "rezone",
            {"op": "rezone", "parcel_code": d, "land_use_code": "0701"},
            {"op": "rezone", "parcel_code": d2, "land_use_code": "0601"},
            document_no="宝政土批〔2026〕3号",
        ),
        409,
        shortfall=d_area - d2_area,
    )
    sc.picks["refused_rezone"] = {"lost": d, "gained": d2}

    # 4. retire industrial land, compensated by a new industrial parcel on retired land
    h, h_area = pick(url, "land_use_code <> '0601' AND park = 'caijiapo'")
    e, _ = pick(
        url,
        f"land_use_code = '0601' AND park = 'caijiapo' AND area_m2 < {0.9 * h_area} "
        f"AND NOT starts_with(parcel_code, '{a}')",
    )
    h_geom = exact(h)
    sc.picks["retire"] = {"retired": [e, h], "registered": "CJP-N001"}
    response = post(
        change_set(
            "retire",
            {"op": "retire", "parcel_code": e},
            {"op": "retire", "parcel_code": h},
            {
                "op": "register",
                "parcel_code": "CJP-N001",
                "park": "caijiapo",
                "land_use_code": "0601",
                "status": "reserve",
                "crs": "EPSG:4545",
                "geometry": geojson(h_geom),
            },
            document_no="宝政土批〔2026〕4号",
        )
    )
    model.retire(e)
    model.retire(h)
    model.register("CJP-N001", "caijiapo", "0601", "reserve", h_geom)
    record("retire", response)

    # 5. invalid: an unknown parcel (logged with the refusals, nothing stored)
    refuse(
        "invalid",
        change_set(
            "rezone",
            {"op": "rezone", "parcel_code": "NOPE-0001", "land_use_code": "0601"},
            document_no="宝政土批〔2026〕5号",
        ),
        422,
    )

    # 6. merge an industrial parcel with a touching storage parcel, as industrial land
    rows = query(
        url,
        "SELECT a.parcel_code, b.parcel_code FROM parcel_version a JOIN parcel_version b "
        "ON a.park = b.park AND a.parcel_code <> b.parcel_code AND a.status = b.status "
        "WHERE a.valid_to IS NULL AND b.valid_to IS NULL AND a.park = 'gaoxin' "
        "AND a.land_use_code = '0601' AND b.land_use_code = '0604' "
        "AND ST_Length(ST_Intersection(a.geom, b.geom)) > 1 "
        "ORDER BY a.parcel_code, b.parcel_code LIMIT 1",
    )
    assert rows, "no touching 0601/0604 pair in gaoxin"
    m_in = [rows[0][0], rows[0][1]]
    sc.picks["merge"] = {"inputs": m_in, "result": "GX-M001"}
    response = post(
        change_set(
            "merge",
            {
                "op": "merge",
                "parcel_codes": m_in,
                "parcel_code": "GX-M001",
                "land_use_code": "0601",
            },
            document_no="宝政土批〔2026〕6号",
        )
    )
    model.merge(m_in, "GX-M001", "0601")
    record("merge", response)

    # 7. refused: retiring industrial land to register a residential parcel in its place
    f, f_area = pick(url, "land_use_code = '0601' AND park = 'jiangtan'", order="area_m2")
    f_geom = exact(f)
    refuse(
        "refused-retire",
        change_set(
            "retire",
            {"op": "retire", "parcel_code": f},
            {
                "op": "register",
                "parcel_code": "JT-R001",
                "park": "jiangtan",
                "land_use_code": "0701",
                "status": "reserve",
                "crs": "EPSG:4545",
                "geometry": geojson(f_geom),
            },
            document_no="宝政土批〔2026〕7号",
        ),
        409,
        codes=["JT-R001"],
        shortfall=f_area,
    )
    sc.picks["refused_retire"] = {"retired": f, "registered": "JT-R001"}

    # 8. a status change: a ledger row that moves nothing
    response = post(
        change_set(
            "set_status",
            {"op": "set_status", "parcel_code": "CJP-N001", "status": "ready"},
            document_no="宝政土批〔2026〕8号",
        )
    )
    model.set_status("CJP-N001", "ready")
    record("status", response)
    return sc


# --- a short history, for the tampering tests ---------------------------------------------------


@dataclass
class History:
    """Ledger rows 1..4 on a copy of the sample: 1 the load, 2 a gain (storage rezoned to
    industry), 3 a compensated rezone, 4 a status change (moves nothing)."""

    gained: str
    lost: str
    compensation: str
    status_changed: str
    seq_gain: int = 2
    seq_rezone: int = 3
    seq_status: int = 4


def make_history(url: str) -> History:
    """Commit the three change sets of :class:`History` through the application."""
    from sqlalchemy import create_engine, pool
    from support_changes import change_set, rezone_op

    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    gained, _ = pick(url, "land_use_code = '0604' AND park = 'gaoxin'")
    compensation, comp_area = pick(url, "land_use_code = '0604' AND park = 'caijiapo'")
    lost, _ = pick(url, f"land_use_code = '0601' AND park = 'jiangtan' AND area_m2 < {comp_area}")
    status_changed, _ = pick(url, "status = 'reserve' AND park = 'fengxiang'")
    bodies = [
        change_set("rezone", rezone_op(gained, "0601"), document_no="审计测试〔2026〕1号"),
        change_set(
            "rezone",
            rezone_op(lost, "0701"),
            rezone_op(compensation, "0601"),
            document_no="审计测试〔2026〕2号",
        ),
        change_set(
            "set_status",
            {"op": "set_status", "parcel_code": status_changed, "status": "ready"},
            document_no="审计测试〔2026〕3号",
        ),
    ]
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        seqs = [
            apply_change_set(
                engine, ChangeSetRequest.model_validate(b), actor="audit-test", storage_srid=4545
            ).ledger_seq
            for b in bodies
        ]
    finally:
        engine.dispose()
    assert seqs == [2, 3, 4], seqs
    return History(gained, lost, compensation, status_changed)


class Tampering:
    """Raw SQL with a table's triggers disabled, inside one open transaction that is rolled
    back at the end; :meth:`verify` runs the service's verification on that same
    connection, so it sees the tampering as committed data would be seen."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def __call__(self, table: str, *statements: str, params: Iterable[tuple] | None = None):
        params = list(params or [()] * len(statements))
        self.conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement, args in zip(statements, params, strict=True):
            self.conn.exec_driver_sql(statement, args)
        self.conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        return [tuple(r) for r in self.conn.exec_driver_sql(sql, args).all()]

    def verify(self) -> dict[str, Any]:
        from service.audit.verify import verify

        return verify(self.conn).body()


@contextmanager
def tampering(url: str) -> Iterator[Tampering]:
    """A :class:`Tampering` on *url* as its owner (who may disable triggers), rolled back
    afterwards."""
    from sqlalchemy import create_engine, pool

    engine = create_engine(owner_url(url), poolclass=pool.NullPool)
    conn = engine.connect()
    transaction = conn.begin()
    try:
        yield Tampering(conn)
    finally:
        transaction.rollback()
        conn.close()
        engine.dispose()
