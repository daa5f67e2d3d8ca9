"""Helpers for the change-set, rule, ledger and auth tests.

Everything here computes its answers on its own — shapely areas of geometry read straight
from the database in the storage CRS (EPSG:4545), sums written as our own SQL, the ledger
hash recomputed from its documented canonical text — so the tests compare the service
with an independent account, never with itself.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping
from sqlalchemy import Connection, Engine, create_engine, text

STORAGE_EPSG = 4545
TOLERANCE_M2 = 0.01
M2_PER_MU = 10000.0 / 15.0
GENESIS_HASH = "0" * 64

#: The tables a refused change set must leave exactly as they were.
LAND_TABLES = ("parcel_version", "change_set", "ledger", "parcel_lineage", "project_parcel")
#: And the ones that must hold nothing once every transaction is over.
RULE_SCRATCH_TABLES = ("rule_pending", "rule_txn")


def url_for(database: str) -> str:
    """The URL of *database* on the test server (as tests/conftest.py builds them)."""
    import os

    from sqlalchemy.engine import make_url

    base = os.environ.get("DATABASE_URL", "postgresql+psycopg://parks_app@127.0.0.1:5432/parks")
    return make_url(base).set(database=database).render_as_string(hide_password=False)


@contextmanager
def engine_for(url: str, **kwargs: Any) -> Iterator[Engine]:
    """A small engine of our own on *url* (disposed afterwards)."""
    kwargs.setdefault("pool_size", 2)
    kwargs.setdefault("max_overflow", 2)
    engine = create_engine(url, **kwargs)
    try:
        yield engine
    finally:
        engine.dispose()


# --- geometry ------------------------------------------------------------------------------


def to_crs(geom, src_epsg: int, dst_epsg: int):
    """*geom* transformed x/y-ordered (our own transformer, not the service's)."""
    tr = Transformer.from_crs(f"EPSG:{src_epsg}", f"EPSG:{dst_epsg}", always_xy=True)
    return shapely.transform(geom, lambda xy: _column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _column_stack(xy):
    import numpy as np

    return np.column_stack(xy)


def geojson(geom) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON geometry dict (coordinates kept exact)."""
    return json.loads(json.dumps(mapping(geom)))


def parcel(conn: Connection, code: str) -> dict[str, Any]:
    """The current version of *code* with its geometry in EPSG:4545 (shapely)."""
    row = (
        conn.execute(
            text(
                "SELECT version_id, parcel_code, park, land_use_code, status, holder, "
                "supply_mode, supplied_on, area_m2, valid_from, valid_to, change_set_id, "
                "ended_by_change_set_id, ST_AsBinary(geom) AS wkb "
                "FROM parcel_version WHERE parcel_code = :c AND valid_to IS NULL"
            ),
            {"c": code},
        )
        .mappings()
        .one()
    )
    out = dict(row)
    out["geom"] = shapely.from_wkb(out.pop("wkb"))
    return out


def versions(conn: Connection, code: str) -> list[dict[str, Any]]:
    """Every version of *code*, oldest first."""
    rows = conn.execute(
        text(
            "SELECT version_id, land_use_code, status, holder, supply_mode, area_m2, valid_from, "
            "valid_to, change_set_id, ended_by_change_set_id FROM parcel_version "
            "WHERE parcel_code = :c ORDER BY valid_from, version_id"
        ),
        {"c": code},
    ).mappings()
    return [dict(r) for r in rows]


def find_parcels(conn: Connection, where: str, params: dict | None = None, *, limit: int = 10):
    """Codes of current parcels matching *where* (SQL over ``v``), largest first."""
    return list(
        conn.execute(
            text(
                "SELECT v.parcel_code FROM parcel_version v WHERE v.valid_to IS NULL "
                f"AND ({where}) ORDER BY v.area_m2 DESC, v.parcel_code LIMIT {int(limit)}"
            ),
            params or {},
        ).scalars()
    )


def park_boundary(conn: Connection, park: str):
    wkb = conn.execute(
        text("SELECT ST_AsBinary(boundary) FROM park WHERE code = :p"), {"p": park}
    ).scalar_one()
    return shapely.from_wkb(wkb)


def free_space(conn: Connection, park: str):
    """The part of *park* no current parcel covers (roads and verges), in EPSG:4545."""
    parcels = [
        shapely.from_wkb(r[0])
        for r in conn.execute(
            text("SELECT ST_AsBinary(geom) FROM parcel_version WHERE valid_to IS NULL")
        )
    ]
    return park_boundary(conn, park).difference(shapely.union_all(parcels))


def free_box(conn: Connection, park: str, *, size_m: float = 20.0, avoid=()):
    """A *size_m* square (EPSG:4545) inside *park* that no current parcel (nor anything in
    *avoid*) touches, with a metre of margin."""
    free = free_space(conn, park)
    for geom in avoid:
        free = free.difference(geom.buffer(2.0))
    core = free.buffer(-(size_m / 2 + 1.0))
    assert not core.is_empty, f"no free {size_m} m square left in {park}"
    point = core.representative_point()
    # Whole metres make the square's area exact in any arithmetic.
    x, y = round(point.x), round(point.y)
    square = box(x - size_m / 2, y - size_m / 2, x + size_m / 2, y + size_m / 2)
    if not free.contains(square):  # rounding moved it onto a neighbour: use the exact point
        square = box(
            point.x - size_m / 2, point.y - size_m / 2, point.x + size_m / 2, point.y + size_m / 2
        )
    assert free.contains(square)
    return square


def touching_pair(conn: Connection, where: str = "true") -> tuple[str, str]:
    """Two current parcels of one park that share an edge, matching *where* (over a, b)."""
    row = conn.execute(
        text(
            "SELECT a.parcel_code, b.parcel_code FROM parcel_version a JOIN parcel_version b "
            "ON a.park = b.park AND a.parcel_code < b.parcel_code "
            "WHERE a.valid_to IS NULL AND b.valid_to IS NULL AND ST_Touches(a.geom, b.geom) "
            "AND ST_Length(ST_Intersection(a.geom, b.geom)) > 1 "
            f"AND ({where}) ORDER BY a.parcel_code, b.parcel_code LIMIT 1"
        )
    ).one()
    return row[0], row[1]


def split_in_two(geom, *, at: float = 0.5):
    """*geom* cut by a vertical line at fraction *at* of its width: (west, east)."""
    minx, miny, maxx, maxy = geom.bounds
    x = minx + (maxx - minx) * at
    west = geom.intersection(box(minx - 1, miny - 1, x, maxy + 1))
    east = geom.intersection(box(x, miny - 1, maxx + 1, maxy + 1))
    return west, east


# --- totals, ledger, hash -------------------------------------------------------------------


def manufacturing_totals(conn: Connection) -> tuple[float, dict[str, float]]:
    """The city's and each park's manufacturing land recomputed from current parcels."""
    rows = conn.execute(
        text(
            "SELECT p.code, coalesce(sum(v.area_m2) FILTER (WHERE c.is_manufacturing), 0) "
            "FROM park p LEFT JOIN parcel_version v ON v.park = p.code AND v.valid_to IS NULL "
            "LEFT JOIN land_use_class c ON c.code = v.land_use_code GROUP BY p.code"
        )
    ).all()
    parks = {code: float(total) for code, total in rows}
    return sum(parks.values()), parks


def ledger_rows(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(text("SELECT * FROM ledger ORDER BY seq")).mappings()
    return [dict(r) for r in rows]


def last_ledger(conn: Connection) -> dict[str, Any]:
    return dict(
        conn.execute(text("SELECT * FROM ledger ORDER BY seq DESC LIMIT 1")).mappings().one()
    )


def _float_hex(x: float) -> str:
    return struct.pack(">d", float(x)).hex()


def _parks_text(parks: dict[str, Any] | None) -> str:
    return ",".join(f"{code}:{_float_hex(value)}" for code, value in sorted((parks or {}).items()))


def _epoch_us(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def ledger_hash(row: dict[str, Any]) -> str:
    """The hash of a ledger row, from the canonical text documented in rule.sql for the
    row's ``row_format`` (1 when the row has none): format 2 adds the city and per-park
    high-water marks before the previous hash."""
    fields = [
        str(row["seq"]),
        str(_epoch_us(row["at"])),
        row["actor"] or "",
        "" if row["change_set_id"] is None else str(row["change_set_id"]),
        row["kind"] or "",
        row["document_no"] or "",
        _float_hex(row["delta_city_m2"]),
        _float_hex(row["total_city_m2"]),
        _parks_text(row["delta_parks"]),
        _parks_text(row["total_parks"]),
    ]
    if row.get("row_format", 1) == 2:
        fields += [_float_hex(row["high_water_city_m2"]), _parks_text(row["high_water_parks"])]
    fields.append(row["prev_hash"])
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()


def hash_chain_problems(rows: list[dict[str, Any]]) -> list[str]:
    """Every way the ledger's chain fails to verify (empty: it verifies)."""
    problems = []
    prev = GENESIS_HASH
    for row in rows:
        if row["prev_hash"] != prev:
            problems.append(f"seq {row['seq']}: prev_hash is not the previous row's hash")
        if ledger_hash(row) != row["hash"]:
            problems.append(f"seq {row['seq']}: hash does not match its canonical text")
        prev = row["hash"]
    return problems


def table_fingerprints(conn: Connection, tables=LAND_TABLES) -> dict[str, tuple[int, str]]:
    """Row count and an MD5 of the whole content of each table."""
    out = {}
    for table in tables:
        out[table] = tuple(
            conn.execute(
                text(
                    f"SELECT count(*), coalesce(md5(string_agg(t::text, '' ORDER BY t::text)), '') "
                    f"FROM {table} t"
                )
            ).one()
        )
    return out


def every_table_fingerprint(conn: Connection, *, except_=("refusal",)) -> dict:
    """:func:`table_fingerprints` of every table of the schema but *except_* (and PostGIS's
    own). Sequences are left out: a refused change set may advance one, nothing else."""
    tables = conn.execute(
        text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' "
            "ORDER BY table_name"
        )
    ).scalars()
    return table_fingerprints(conn, [t for t in tables if t not in except_])


def count(conn: Connection, table: str, where: str = "true", params: dict | None = None) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"), params or {}).scalar()


# --- change-set bodies ----------------------------------------------------------------------


def change_set(kind: str, *operations: dict[str, Any], reason: str = "test", document_no=None):
    """A change-set request body."""
    body: dict[str, Any] = {"kind": kind, "reason": reason, "operations": list(operations)}
    if document_no is not None:
        body["document_no"] = document_no
    return body


def register_op(code: str, park: str, geom, *, land_use_code="0601", status="reserve", crs=None):
    op = {
        "op": "register",
        "parcel_code": code,
        "park": park,
        "land_use_code": land_use_code,
        "status": status,
        "geometry": geojson(geom),
    }
    if crs is not None:
        op["crs"] = crs
    return op


def rezone_op(code: str, land_use_code: str) -> dict[str, Any]:
    return {"op": "rezone", "parcel_code": code, "land_use_code": land_use_code}
