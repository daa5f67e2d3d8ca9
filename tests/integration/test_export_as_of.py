"""An export as of a moment shows the parcels as they stood then, from their history.

After the sample is loaded (moment T0) five change sets move land — a rezoning, a split, a
supply, a retirement, a registration. The expected land at each moment is computed here on
its own: the sample GeoPackage (read with pyogrio, areas by shapely in EPSG:4545) changed by
the same operations in plain Python. The exports, written by the service and read back
with pyogrio, must match it: as of T0 the untouched sample, now every change, and between
two change sets exactly the ones before. A change set's moment is the boundary: as of its
time the parcel shows the new state, a microsecond before it the old.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import geopandas as gpd
import pyogrio
import pytest
import shapely
import support_reads as sr
from shapely.geometry import MultiPolygon
from sqlalchemy import create_engine, pool, text
from support_changes import change_set, free_box, geojson, parcel, register_op, split_in_two

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.exports.options import ExportFormat, ExportLayer
from service.exports.requests import checked_request
from service.exports.writing import write_export

pytestmark = pytest.mark.integration

ZONE = "Asia/Shanghai"
#: Areas are written to 4 decimals: half a unit of the last place, and float noise.
AREA_TOL_M2 = 5e-5 + 1e-9
FIELDS = ("park", "land_use_code", "status", "holder", "supply_mode", "supplied_on")


@dataclass
class Land:
    """The parcels standing at one moment, as this test believes them to be."""

    parcels: dict[str, dict]

    @classmethod
    def sample(cls) -> Land:
        frame = sr.parcels()
        rows = {}
        for row in frame.itertuples(index=False):
            rows[row.parcel_code] = {f: _blank(getattr(row, f)) for f in FIELDS} | {
                "geometry": row.geometry
            }
        return cls(rows)

    def copy(self) -> Land:
        return Land(copy.deepcopy(self.parcels))


@dataclass
class History:
    url: str
    t0: datetime
    moments: dict[str, datetime]  # step -> its change set's time
    states: dict[str, Land]  # "t0" and each step -> the land after it
    picks: dict[str, str]


def _blank(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return value


def _apply(engine, body) -> datetime:
    applied = apply_change_set(
        engine, ChangeSetRequest.model_validate(body), actor="export-test", storage_srid=4545
    )
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT committed_at FROM change_set WHERE id = :id"), {"id": applied.id}
        ).scalar_one()


def _pick(conn, where: str) -> str:
    return conn.execute(
        text(
            "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND "
            f"{where} ORDER BY area_m2 DESC, parcel_code LIMIT 1"
        )
    ).scalar_one()


@pytest.fixture(scope="module")
def history(databases, loaded_template) -> History:
    """Five change sets on a fresh copy of the sample, and the land after each."""
    url = sr.database_url(databases.create(template=loaded_template))
    engine = create_engine(url, poolclass=pool.NullPool)
    land = Land.sample()
    states = {"t0": land.copy()}
    moments: dict[str, datetime] = {}
    with engine.connect() as conn:
        t0 = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        rezoned = _pick(conn, "land_use_code = '0604' AND park = 'gaoxin'")
        split = _pick(conn, "land_use_code = '0601' AND park = 'caijiapo'")
        supplied = _pick(conn, "status = 'ready' AND holder IS NULL AND park = 'jiangtan'")
        retired = _pick(conn, "land_use_code = '0701'")
        west, east = split_in_two(parcel(conn, split)["geom"])
        square = free_box(conn, "fengxiang", size_m=20.0)

    moments["rezone"] = _apply(
        engine,
        change_set("rezone", {"op": "rezone", "parcel_code": rezoned, "land_use_code": "0601"}),
    )
    land.parcels[rezoned]["land_use_code"] = "0601"
    states["rezone"] = land.copy()

    parts = [(f"{split}-W", west), (f"{split}-E", east)]
    moments["split"] = _apply(
        engine,
        change_set(
            "split",
            {
                "op": "split",
                "parcel_code": split,
                "crs": "EPSG:4545",
                "parts": [{"parcel_code": c, "geometry": geojson(g)} for c, g in parts],
            },
        ),
    )
    parent = land.parcels.pop(split)
    for code, geom in parts:
        land.parcels[code] = parent | {"geometry": geom}
    states["split"] = land.copy()

    moments["supply"] = _apply(
        engine,
        change_set(
            "supply",
            {"op": "supply", "parcel_code": supplied, "holder": "=测试企业", "mode": "grant"},
        ),
    )
    day = moments["supply"].astimezone(ZoneInfo(ZONE)).date().isoformat()
    land.parcels[supplied] |= {
        "status": "supplied",
        "holder": "=测试企业",
        "supply_mode": "grant",
        "supplied_on": day,
    }
    states["supply"] = land.copy()

    moments["retire"] = _apply(
        engine, change_set("retire", {"op": "retire", "parcel_code": retired})
    )
    del land.parcels[retired]
    states["retire"] = land.copy()

    moments["register"] = _apply(
        engine,
        change_set("register", register_op("FX-NEW-1", "fengxiang", square, crs="EPSG:4545")),
    )
    land.parcels["FX-NEW-1"] = {
        "park": "fengxiang",
        "land_use_code": "0601",
        "status": "reserve",
        "holder": None,
        "supply_mode": None,
        "supplied_on": None,
        "geometry": square,
    }
    states["register"] = land.copy()
    engine.dispose()
    picks = {"rezoned": rezoned, "split": split, "supplied": supplied, "retired": retired}
    return History(url, t0, moments, states, picks)


@pytest.fixture(scope="module")
def engine(history):
    engine = create_engine(history.url, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def _export(engine, path, *, as_of=None, **kw) -> gpd.GeoDataFrame:
    with engine.connect() as conn:
        request = checked_request(
            conn, format=ExportFormat.GPKG, storage_srid=4545, as_of=as_of, **kw
        )
        write_export(conn, request, out=path, zone=ZONE)
    return pyogrio.read_dataframe(path, layer="parcels")


def _same_shape(a, b) -> bool:
    a, b = MultiPolygon(getattr(a, "geoms", [a])), MultiPolygon(getattr(b, "geoms", [b]))
    return shapely.symmetric_difference(a, b).area < 1e-6 and a.hausdorff_distance(b) < 1e-6


def _mismatches(frame: gpd.GeoDataFrame, land: Land) -> list[str]:
    """Every way *frame* differs from *land*."""
    out = []
    codes = list(frame["parcel_code"])
    if codes != sorted(land.parcels):
        missing = sorted(set(land.parcels) - set(codes))
        extra = sorted(set(codes) - set(land.parcels))
        out.append(f"codes: missing {missing[:5]}, extra {extra[:5]}, or out of order")
    for row in frame.itertuples(index=False):
        expected = land.parcels.get(row.parcel_code)
        if expected is None:
            continue
        for name in FIELDS:
            if _blank(getattr(row, name)) != expected[name]:
                out.append(
                    f"{row.parcel_code}.{name}: {getattr(row, name)!r} != {expected[name]!r}"
                )
        area = float(shapely.area(expected["geometry"]))
        if abs(row.area_m2 - area) > AREA_TOL_M2:
            out.append(f"{row.parcel_code}.area_m2: {row.area_m2} != {area}")
        if abs(row.area_mu - area / sr.M2_PER_MU) > AREA_TOL_M2:
            out.append(f"{row.parcel_code}.area_mu: {row.area_mu} != {area / sr.M2_PER_MU}")
        if not _same_shape(row.geometry, expected["geometry"]):
            out.append(f"{row.parcel_code}: geometry differs")
    return out


def test_as_of_the_moment_before_any_change_the_export_is_the_loaded_sample(
    history, engine, tmp_path
):
    frame = _export(engine, tmp_path / "t0.gpkg", as_of=history.t0)
    assert len(frame) == len(sr.parcels())
    assert _mismatches(frame, history.states["t0"]) == []
    assert frame.crs.to_epsg() == 4545


def test_without_as_of_the_export_shows_every_change(history, engine, tmp_path):
    frame = _export(engine, tmp_path / "now.gpkg")
    assert _mismatches(frame, history.states["register"]) == []
    assert history.picks["retired"] not in set(frame["parcel_code"])
    assert {f"{history.picks['split']}-W", f"{history.picks['split']}-E"} <= set(
        frame["parcel_code"]
    )


@pytest.mark.parametrize("step", ["rezone", "split", "supply", "retire"])
def test_between_two_change_sets_the_export_shows_exactly_the_earlier_ones(
    history, engine, tmp_path, step
):
    steps = list(history.moments)
    following = history.moments[steps[steps.index(step) + 1]]
    between = history.moments[step] + (following - history.moments[step]) / 2
    frame = _export(engine, tmp_path / f"{step}.gpkg", as_of=between)
    assert _mismatches(frame, history.states[step]) == []


def test_a_change_sets_moment_shows_its_change_and_a_microsecond_before_does_not(
    history, engine, tmp_path
):
    rezoned = history.picks["rezoned"]
    at = history.moments["rezone"]
    before = _export(engine, tmp_path / "before.gpkg", as_of=at - timedelta(microseconds=1))
    after = _export(engine, tmp_path / "at.gpkg", as_of=at)
    land_use = {
        name: dict(zip(f["parcel_code"], f["land_use_code"], strict=True))
        for name, f in (("before", before), ("at", after))
    }
    assert (land_use["before"][rezoned], land_use["at"][rezoned]) == ("0604", "0601")
    assert _mismatches(before, history.states["t0"]) == []
    assert _mismatches(after, history.states["rezone"]) == []


def test_each_version_says_when_it_began_in_the_citys_zone(history, engine, tmp_path):
    frame = _export(engine, tmp_path / "now.gpkg")
    began = dict(zip(frame["parcel_code"], frame["valid_from"], strict=True))
    zone = ZoneInfo(ZONE)
    assert began[history.picks["rezoned"]] == history.moments["rezone"].astimezone(zone).isoformat()
    assert began["FX-NEW-1"] == history.moments["register"].astimezone(zone).isoformat()
    # the text is a moment an export takes back: as of it, the version stands
    again = _export(
        engine, tmp_path / "again.gpkg", as_of=datetime.fromisoformat(began["FX-NEW-1"])
    )
    assert "FX-NEW-1" in set(again["parcel_code"])


def test_an_as_of_export_of_one_park_holds_only_that_parks_parcels_then(history, engine, tmp_path):
    frame = _export(engine, tmp_path / "cjp.gpkg", as_of=history.t0, park="caijiapo")
    expected = Land(
        {c: p for c, p in history.states["t0"].parcels.items() if p["park"] == "caijiapo"}
    )
    assert _mismatches(frame, expected) == []


def test_manufacturing_land_of_an_as_of_export_is_the_audit_total_then(history, engine, tmp_path):
    from service.audit.queries import totals_as_of

    moment = history.moments["split"] + timedelta(microseconds=1)
    frame = _export(engine, tmp_path / "split.gpkg", as_of=moment)
    manufacturing = set(sr.manufacturing_codes())
    exported = float(frame.loc[frame["land_use_code"].isin(manufacturing), "area_m2"].sum())
    with engine.connect() as conn:
        audited = totals_as_of(conn, as_of=moment, group_by=["park"])["city"]["manufacturing_m2"]
    assert exported == pytest.approx(audited, abs=len(frame) * 5e-5 + 0.01)


@pytest.mark.parametrize("layer", [ExportLayer.BUILDINGS, ExportLayer.PROJECTS, ExportLayer.ALL])
def test_as_of_is_refused_for_layers_that_keep_no_history(history, engine, tmp_path, layer):
    from parks.errors import InvalidParameter

    with pytest.raises(InvalidParameter) as caught:
        _export(engine, tmp_path / "x.gpkg", as_of=history.t0, layer=layer)
    assert caught.value.parameter == "as_of"
    assert not (tmp_path / "x.gpkg").exists()
