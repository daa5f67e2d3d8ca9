"""Seeded, deterministic synthetic sample data for the parks.

ILLUSTRATIVE, NOT OFFICIAL BOUNDARIES: park outlines, streets, parcels, factory buildings,
leases, projects and the context layers are invented around each park's approximate centre.
Enterprise and project names follow the city report where it gives them; every holding,
lease and figure attached to them is fictional.

Construction happens in EPSG:4545 (CGCS2000 / 3-degree Gauss-Kruger CM 108E, planar metres)
on a 0.5 m grid: every vertex of a park outline, street, block cut and building footprint is
a multiple of 0.5 m and every slanted edge runs at 45 degrees, so each intersection shapely
computes is exactly representable in binary floating point. That is what lets neighbouring
parcels share edges exactly and lie *exactly* within their park (``within``, not "within up
to a rounding error"). Geometry is transformed to the requested SRID only at the very end.

The same seed always gives the same sample. Each park draws from its own random stream
(seeded by ``(seed, park index)``), so adding a park does not change the others.
"""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString, Polygon

from gis.crs import CGCS2000_GK_CM108, lonlat_to_xy, transform
from gis.geometry import as_multipolygon
from parks.units import M2_PER_MU
from parks.vocabulary import ParcelStatus, ProjectStatus, SupplyMode

STORAGE_SRID = CGCS2000_GK_CM108
DEFAULT_SEED = 2026

#: Every construction coordinate is a multiple of this (metres); 0.5 is exact in binary.
GRID_M = 0.5
MAIN_ROAD_WIDTH_M = 40.0
SECONDARY_ROAD_WIDTH_M = 24.0
#: Distance between main streets in the committed sample; secondary streets split the gaps.
MAIN_STREET_SPACING_M = 850.0
SECONDARY_PER_MAIN = 2.6
#: Parcels smaller than this, or thinner than ``MIN_PARCEL_WIDTH_M``, are dropped as slivers.
MIN_PARCEL_M2 = 500.0
MIN_PARCEL_WIDTH_M = 10.0
#: Narrowest strip a block is cut into (committed sample; shrinks with the parcels).
MIN_STRIP_M = 45.0
MAX_PIECES_PER_BLOCK = 8
#: Least distance between two parks' boundaries.
PARK_GAP_M = 400.0
#: Supply dates, lease dates and milestones are on or before this day.
SAMPLE_AS_OF = date(2026, 10, 31)
#: A park's area grows as ``scale ** PARK_GROWTH_EXPONENT`` when more parcels are asked
#: for; parcels shrink by the rest of the scale.
PARK_GROWTH_EXPONENT = 0.7

INDUSTRIAL = "0601"
STORAGE = "0604"
UTILITY = "0809"
UTILITY_KINDS = ("power", "water", "gas", "sewage")
MIN_BUILDINGS_PER_PARK = 24
BUILDING_INSET_M = 12.0
HOLDING_STATUSES = frozenset(
    {
        ParcelStatus.SUPPLIED,
        ParcelStatus.UNDER_CONSTRUCTION,
        ParcelStatus.OPERATING,
        ParcelStatus.IDLE,
    }
)


# --------------------------------------------------------------------------------------
# The parks, as data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectSpec:
    """A key project (重点项目) to place in a park: it gets *n_parcels* industrial parcels."""

    name: str
    investor: str
    industry_chain: str
    investment_yi: float
    status: ProjectStatus
    n_parcels: int = 1


@dataclass(frozen=True)
class ParkSpec:
    """One park as data: names, approximate centre (WGS84), default size and name pools.

    *width_m* × *height_m* is the bounding box of the committed sample's outline (corners
    and notches are cut from it); *target_parcels* is how many parcels it aims for.
    """

    code: str
    prefix: str
    name_zh: str
    name_en: str
    short_zh: str
    centre_lon: float
    centre_lat: float
    width_m: float
    height_m: float
    target_parcels: int
    industries: tuple[str, ...]
    enterprises: tuple[str, ...]
    tenants: tuple[str, ...]
    projects: tuple[ProjectSpec, ...]
    river_name: str = "渭河"
    research_share: float = 0.04
    #: What the park must keep (its row of the ``targets`` layer): reserve + ready land
    #: in 亩 and vacant standard-factory floor in m²; 0 is no minimum.
    min_reserve_mu: float = 0.0
    min_vacant_floor_m2: float = 0.0


#: The parks, as data: package data beside this module, so an installed package finds it.
PARKS_FILE = "parks.toml"
_FLOAT_FIELDS = (
    "centre_lon",
    "centre_lat",
    "width_m",
    "height_m",
    "research_share",
    "min_reserve_mu",
    "min_vacant_floor_m2",
)


def load_park_specs(text: str | None = None) -> tuple[ParkSpec, ...]:
    """The parks of *text* (TOML: a ``[[park]]`` table per park, each with its
    ``[[park.project]]`` tables; default: the package's ``parks.toml``), in file order."""
    if text is None:
        text = resources.files(__package__).joinpath(PARKS_FILE).read_text(encoding="utf-8")
    specs = []
    for table in tomllib.loads(text)["park"]:
        park = dict(table)
        projects = tuple(
            ProjectSpec(
                name=p["name"],
                investor=p["investor"],
                industry_chain=p["industry_chain"],
                investment_yi=float(p["investment_yi"]),
                status=ProjectStatus(p["status"]),
                n_parcels=int(p.get("parcels", 1)),
            )
            for p in park.pop("project", [])
        )
        for key in ("industries", "enterprises", "tenants"):
            park[key] = tuple(park[key])
        for key in _FLOAT_FIELDS:
            if key in park:
                park[key] = float(park[key])
        specs.append(ParkSpec(**park, projects=projects))
    return tuple(specs)


PARK_SPECS: tuple[ParkSpec, ...] = load_park_specs()

#: Land-use mix of each planning zone: (GB/T 21010-2017 codes, probabilities).
ZONE_LAND_USES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "industrial": (("0601", "0604", "0809", "0810"), (0.93, 0.04, 0.02, 0.01)),
    "urban": (("0701", "0501", "0505"), (0.5, 0.25, 0.25)),
    "green": (("0810", "0809"), (0.9, 0.1)),
    "storage": (("0604", "0601"), (0.7, 0.3)),
    "research": (("0804", "0601"), (0.8, 0.2)),
}

#: Holders of non-industrial land; ``{short}`` is the park's short name.
LAND_USE_HOLDERS: dict[str, tuple[str, ...]] = {
    "0501": ("宝鸡{short}商业发展有限公司", "陕西{short}商务服务有限公司"),
    "0505": ("宝鸡{short}金融商务中心有限公司", "陕西{short}商务服务有限公司"),
    "0701": ("宝鸡{short}置业有限公司", "宝鸡{short}城市建设投资有限公司"),
    "0604": ("宝鸡{short}现代物流有限公司", "陕西{short}仓储服务有限公司"),
    "0804": ("宝鸡{short}产业技术研究院", "宝鸡{short}科技创新服务中心"),
    "0809": ("国网宝鸡供电公司", "宝鸡市水务集团有限公司", "宝鸡市燃气有限责任公司"),
    "0810": ("宝鸡{short}园区管理委员会",),
}
PLATFORM_COMPANY = "宝鸡{short}园区开发建设有限公司"

#: Supply modes per land use: (modes, probabilities).
LAND_USE_SUPPLY_MODES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "0601": ((SupplyMode.GRANT, SupplyMode.LEASE, SupplyMode.ALLOCATE), (0.85, 0.1, 0.05)),
    "0604": ((SupplyMode.GRANT, SupplyMode.LEASE), (0.8, 0.2)),
    "0804": ((SupplyMode.GRANT, SupplyMode.ALLOCATE), (0.5, 0.5)),
    "0809": ((SupplyMode.ALLOCATE,), (1.0,)),
    "0810": ((SupplyMode.ALLOCATE,), (1.0,)),
}
DEFAULT_SUPPLY_MODES = ((SupplyMode.GRANT,), (1.0,))

#: Years in which land now at each status was supplied.
SUPPLY_YEARS: dict[str, tuple[int, int]] = {
    ParcelStatus.OPERATING: (2019, 2023),
    ParcelStatus.IDLE: (2019, 2022),
    ParcelStatus.UNDER_CONSTRUCTION: (2022, 2025),
    ParcelStatus.SUPPLIED: (2024, 2026),
}

#: The parcel status a project's land is put at, by project status.
PROJECT_PARCEL_STATUS: dict[str, str] = {
    ProjectStatus.PLANNED: ParcelStatus.READY,
    ProjectStatus.SIGNED: ParcelStatus.SUPPLIED,
    ProjectStatus.UNDER_CONSTRUCTION: ParcelStatus.UNDER_CONSTRUCTION,
    ProjectStatus.OPERATING: ParcelStatus.OPERATING,
    ProjectStatus.SUSPENDED: ParcelStatus.IDLE,
}

UTILITY_NAMES: dict[str, tuple[str, str]] = {  # kind: (station name, line name)
    "power": ("{short}110kV变电站", "{short}110kV输电线路"),
    "water": ("{short}给水加压泵站", "{short}DN600给水主管"),
    "gas": ("{short}天然气调压站", "{short}中压燃气管道"),
    "sewage": ("{short}污水处理厂", "{short}DN800污水干管"),
}
UTILITY_LINE_OFFSET_M: dict[str, float] = {
    "power": 14.0,
    "water": -8.0,
    "gas": 8.0,
    "sewage": -14.0,
}


# --------------------------------------------------------------------------------------
# The sample
# --------------------------------------------------------------------------------------


@dataclass
class Sample:
    """The sample's layers. Spatial layers are GeoDataFrames in one CRS (EPSG:``srid``);
    ``leases``, ``projects``, ``targets``, the land-supervision tables (made by
    :func:`service.sample.supervision.generate_supervision`) and the key projects' rhythm
    tables (the last nine, made by :func:`service.sample.project_rhythm.generate_rhythm`)
    are plain DataFrames (the database derives a project's site from its parcels); the
    last two groups are empty when a file has none. Field order is the GeoPackage's
    layer order."""

    parks: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    leases: pd.DataFrame
    projects: pd.DataFrame
    roads: gpd.GeoDataFrame
    rail: gpd.GeoDataFrame
    river: gpd.GeoDataFrame
    flood_zone: gpd.GeoDataFrame
    utilities: gpd.GeoDataFrame
    eco_redline: gpd.GeoDataFrame
    targets: pd.DataFrame
    enterprises: pd.DataFrame = field(default_factory=pd.DataFrame)
    supply_contracts: pd.DataFrame = field(default_factory=pd.DataFrame)
    site_progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    idle_delays: pd.DataFrame = field(default_factory=pd.DataFrame)
    approval_batches: pd.DataFrame = field(default_factory=pd.DataFrame)
    approval_batch_parcels: pd.DataFrame = field(default_factory=pd.DataFrame)
    enterprise_figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_officials: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_assignments: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_plan_investment: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_plan_milestones: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_plan_progress: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_reports: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_milestones_reached: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_visits: pd.DataFrame = field(default_factory=pd.DataFrame)
    project_problems: pd.DataFrame = field(default_factory=pd.DataFrame)

    def layers(self) -> dict[str, pd.DataFrame]:
        """Layer name -> frame, in GeoPackage order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def srid(self) -> int:
        """EPSG code of the spatial layers."""
        return int(self.parks.crs.to_epsg())


LAYER_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Sample))
#: The land-supervision tables (service/sample/supervision.py makes them).
SUPERVISION_LAYER_NAMES: tuple[str, ...] = (
    "enterprises",
    "supply_contracts",
    "site_progress",
    "idle_delays",
    "approval_batches",
    "approval_batch_parcels",
    "enterprise_figures",
)
#: The key projects' rhythm tables: officials, plans, reports, visits, problems
#: (service/sample/project_rhythm.py makes them).
RHYTHM_LAYER_NAMES: tuple[str, ...] = (
    "project_officials",
    "project_assignments",
    "project_plan_investment",
    "project_plan_milestones",
    "project_plan_progress",
    "project_reports",
    "project_milestones_reached",
    "project_visits",
    "project_problems",
)
#: Record tables a file may lack (it then reads with them empty; an empty one is not written).
OPTIONAL_LAYER_NAMES: frozenset[str] = frozenset({*SUPERVISION_LAYER_NAMES, *RHYTHM_LAYER_NAMES})
TABLE_LAYERS: frozenset[str] = frozenset(
    {"leases", "projects", "targets", *SUPERVISION_LAYER_NAMES, *RHYTHM_LAYER_NAMES}
)


def generate(
    *,
    seed: int = DEFAULT_SEED,
    total_parcels: int | None = None,
    srid: int = STORAGE_SRID,
    progress: Callable[[int, int], None] | None = None,
) -> Sample:
    """Make the synthetic sample for every park in :data:`PARK_SPECS`.

    With ``total_parcels=None`` it is the committed sample (each park's ``target_parcels``,
    150–400 per park). Otherwise about *total_parcels* parcels (within a few per cent) are
    spread over the parks in proportion to their targets: parks grow (never into each
    other) and parcels shrink. *total_parcels* must be at least 100 per park.

    Geometry is built in EPSG:4545 and returned in EPSG:*srid*; only in EPSG:4545 are
    coordinates exactly on the 0.5 m construction grid. *progress* is called as
    ``progress(steps_done, steps_total)`` after each step; the last call has
    ``steps_done == steps_total``. The same arguments always give the same sample.
    """
    specs = PARK_SPECS
    targets, scale = _parcel_targets(specs, total_parcels)
    bands = _x_bands(np.array([_centre_xy(s)[0] for s in specs]), gap_m=PARK_GAP_M)
    steps_total = 4 * len(specs) + 3
    steps = itertools.count(1)

    def step() -> None:
        done = next(steps)
        if progress is not None:
            progress(done, steps_total)

    frames: dict[str, list[pd.DataFrame]] = {
        name: [] for name in LAYER_NAMES if name not in OPTIONAL_LAYER_NAMES
    }
    for index, spec in enumerate(specs):
        rng = np.random.default_rng([seed, index])
        for name, frame in _generate_park(
            spec, rng=rng, n_parcels=targets[index], scale=scale, band=bands[index], step=step
        ).items():
            frames[name].append(frame)
    sample = _assemble(frames, srid=srid)
    step()
    from service.sample.supervision import generate_supervision  # it builds on this module

    sample = replace(sample, **generate_supervision(sample, seed=seed))
    step()
    from service.sample.project_rhythm import generate_rhythm  # it builds on this module

    sample = replace(sample, **generate_rhythm(sample, seed=seed))
    step()
    return sample


def write(sample: Sample, path: Path) -> None:
    """Write *sample* to one GeoPackage at *path* (replacing the file), one layer per
    field of :class:`Sample` (a supervision or rhythm table without columns is left out);
    ``leases``, ``projects``, ``targets``, the supervision and the rhythm tables are
    attribute tables without geometry. The file's timestamps are fixed, so the same
    sample gives the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{SAMPLE_AS_OF.isoformat()}T00:00:00Z"})
    try:
        for name, frame in sample.layers().items():
            if name in OPTIONAL_LAYER_NAMES and len(frame.columns) == 0:
                continue
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", promote_to_multi=False)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def read(path: Path) -> Sample:
    """Read a GeoPackage written by :func:`write` back into a :class:`Sample` (geometry in
    the file's CRS; nulls come back as missing values). A file from before the
    land-supervision or the rhythm tables reads with those tables empty."""
    present = {str(name) for name, _ in pyogrio.list_layers(path)}
    layers = {}
    for name in LAYER_NAMES:
        if name in OPTIONAL_LAYER_NAMES and name not in present:
            continue
        if name in TABLE_LAYERS:
            layers[name] = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
        else:
            layers[name] = pyogrio.read_dataframe(path, layer=name)
    return Sample(**layers)


# --------------------------------------------------------------------------------------
# Scale and placement of the parks
# --------------------------------------------------------------------------------------


def _parcel_targets(specs: tuple[ParkSpec, ...], total: int | None) -> tuple[list[int], float]:
    """Parcels to aim for per park, and the scale against the committed sample."""
    base = [s.target_parcels for s in specs]
    if total is None:
        return base, 1.0
    if total < 100 * len(specs):
        raise ValueError(f"total_parcels must be at least {100 * len(specs)}, not {total}")
    scale = total / sum(base)
    targets = [round(b * scale) for b in base]
    targets[-1] += total - sum(targets)
    return targets, scale


def _linear_factor(scale: float) -> float:
    """How much lengths inside a park (street spacing, strip width) shrink at *scale*:
    parcels' areas take the part of the scale the park's growth does not."""
    return scale ** (-(1 - PARK_GROWTH_EXPONENT) / 2)


def _centre_xy(spec: ParkSpec) -> tuple[float, float]:
    """The park's centre in EPSG:4545, snapped to the grid."""
    x, y = lonlat_to_xy(spec.centre_lon, spec.centre_lat, STORAGE_SRID)
    return float(_snap(x)), float(_snap(y))


def _x_bands(centres_x: np.ndarray, *, gap_m: float) -> list[tuple[float, float]]:
    """Disjoint east-west bands, one per park: each reaches half-way (less half the gap)
    to its neighbours' centres. A park kept inside its band can't overlap another."""
    order = np.argsort(centres_x, kind="stable")
    xs = centres_x[order]
    mids = (xs[:-1] + xs[1:]) / 2
    lo = np.r_[-np.inf, mids + gap_m / 2]
    hi = np.r_[mids - gap_m / 2, np.inf]
    bands: list[tuple[float, float]] = [(0.0, 0.0)] * len(xs)
    for rank, index in enumerate(order):
        bands[index] = (float(lo[rank]), float(hi[rank]))
    return bands


def _park_rect(
    spec: ParkSpec, *, scale: float, band: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The bounding box (x0, y0, x1, y1) of the park's outline in EPSG:4545: the spec's
    size, grown by ``scale ** PARK_GROWTH_EXPONENT`` in area, as square as the band allows
    and as close to the spec's centre as it allows."""
    cx, cy = _centre_xy(spec)
    growth = scale**PARK_GROWTH_EXPONENT
    area = spec.width_m * spec.height_m * growth
    width = min(spec.width_m * math.sqrt(growth), band[1] - band[0])
    height = area / width
    x0 = min(max(cx - width / 2, band[0]), band[1] - width)
    x0, y0 = float(_snap(x0)), float(_snap(cy - height / 2))
    return x0, y0, x0 + float(_snap(width)), y0 + float(_snap(height))


# --------------------------------------------------------------------------------------
# One park
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Streets:
    """Streets crossing one axis: centreline coordinate, width and class (metres)."""

    position: np.ndarray
    width: np.ndarray
    is_main: np.ndarray


@dataclass(frozen=True)
class _Layout:
    """A park's outline, its eco red line and the land left for parcels, with the street
    grid and the blocks it makes (all EPSG:4545)."""

    rect: tuple[float, float, float, float]
    outline: Polygon
    eco: Polygon
    land: shapely.Geometry
    x_streets: _Streets
    y_streets: _Streets
    blocks: pd.DataFrame  # geometry, inside, fx, fy


def _generate_park(
    spec: ParkSpec,
    *,
    rng: np.random.Generator,
    n_parcels: int,
    scale: float,
    band: tuple[float, float],
    step: Callable[[], None],
) -> dict[str, pd.DataFrame]:
    """Every layer's rows for one park (geometry in EPSG:4545)."""
    layout = _layout(spec, rng=rng, scale=scale, band=band)
    parcels = _cut_parcels(layout, rng=rng, n_parcels=n_parcels, scale=scale)
    step()
    town = int(rng.integers(3))  # the side of the park facing town: west, east or north
    parcels = _assign_land_use(parcels, layout, town=town, spec=spec, rng=rng)
    parcels = _assign_status(parcels, town=town, rng=rng)
    parcels, projects = _place_projects(parcels, spec=spec, rng=rng)
    parcels = _ensure_every_status(parcels, rng=rng)
    step()
    buildings = _place_buildings(parcels, spec=spec, rng=rng)
    parcels = _assign_holders(parcels, buildings, projects, spec=spec, rng=rng)
    leases = _make_leases(buildings, spec=spec, rng=rng)
    projects = _project_rows(projects, parcels, spec=spec, rng=rng)
    step()
    context = _context_layers(layout, parcels, spec=spec, rng=rng, band=band)
    step()
    parcel_codes = _codes(spec.prefix, "", len(parcels), width=4)
    parcels = parcels.assign(parcel_code=parcel_codes, park=spec.code)
    buildings = buildings.assign(parcel_code=parcel_codes[buildings["parcel"].to_numpy()])
    projects["parcel_codes"] = [
        ",".join(parcel_codes[list(ix)]) for ix in projects.pop("parcel_indices")
    ]
    park = pd.DataFrame(
        {
            "code": [spec.code],
            "name_zh": [spec.name_zh],
            "name_en": [spec.name_en],
            "geometry": [as_multipolygon(layout.outline)],
        }
    )
    return {
        "parks": park,
        "parcels": parcels[
            [
                "parcel_code",
                "park",
                "land_use_code",
                "status",
                "holder",
                "supply_mode",
                "supplied_on",
                "geometry",
            ]
        ],
        "buildings": buildings[
            [
                "building_code",
                "park",
                "parcel_code",
                "name",
                "storeys",
                "floor_area_m2",
                "geometry",
            ]
        ],
        "leases": leases,
        "projects": projects,
        **context,
        "targets": _target_rows(spec),
    }


def _target_rows(spec: ParkSpec) -> pd.DataFrame:
    """The park's row of the ``targets`` table (0 where it has no minimum)."""
    return pd.DataFrame(
        {
            "park": [spec.code],
            "min_reserve_mu": [spec.min_reserve_mu],
            "min_vacant_floor_m2": [spec.min_vacant_floor_m2],
        }
    )


def _layout(
    spec: ParkSpec, *, rng: np.random.Generator, scale: float, band: tuple[float, float]
) -> _Layout:
    """The park's outline, eco red line, street grid and blocks."""
    rect = _park_rect(spec, scale=scale, band=band)
    outline = _park_outline(rect, rng=rng)
    eco = _eco_redline_polygon(outline, rect, rng=rng)
    land = shapely.difference(outline, eco)
    shapely.prepare(land)
    spacing = MAIN_STREET_SPACING_M * _linear_factor(scale)
    x_streets = _streets(rect[0], rect[2], main_spacing=spacing, rng=rng)
    y_streets = _streets(rect[1], rect[3], main_spacing=spacing, rng=rng)
    blocks = _blocks(rect, x_streets, y_streets, land)
    return _Layout(rect, outline, eco, land, x_streets, y_streets, blocks)


def _park_outline(rect: tuple[float, float, float, float], *, rng: np.random.Generator) -> Polygon:
    """A slightly irregular outline inside *rect*: corners cut at 45 degrees and one or two
    rectangular notches in the sides. Vertices on the grid."""
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    m = min(w, h)
    cuts = [
        float(_snap(rng.uniform(0.04, 0.2) * m)) if rng.random() < 0.8 else 0.0 for _ in range(4)
    ]
    outline = _chamfered_box(rect, cuts)
    notches = []
    for side in rng.choice(4, size=2, replace=False):
        depth = float(_snap(rng.uniform(0.04, 0.1) * m))
        along = w if side in (0, 2) else h
        length = float(_snap(rng.uniform(0.12, 0.25) * along))
        start = float(_snap(rng.uniform(0.3, 0.7 - length / along) * along))
        if side == 0:  # south
            notches.append(shapely.box(x0 + start, y0 - 1, x0 + start + length, y0 + depth))
        elif side == 1:  # east
            notches.append(shapely.box(x1 - depth, y0 + start, x1 + 1, y0 + start + length))
        elif side == 2:  # north
            notches.append(shapely.box(x0 + start, y1 - depth, x0 + start + length, y1 + 1))
        else:  # west
            notches.append(shapely.box(x0 - 1, y0 + start, x0 + depth, y0 + start + length))
    return _largest_polygon(shapely.difference(outline, shapely.union_all(notches)))


def _chamfered_box(bounds: tuple[float, float, float, float], cuts: list[float]) -> Polygon:
    """The box *bounds* with its corners (SW, SE, NE, NW) cut at 45 degrees by *cuts*."""
    x0, y0, x1, y1 = bounds
    sw, se, ne, nw = cuts
    ring = [
        (x0 + sw, y0),
        (x1 - se, y0),
        (x1, y0 + se),
        (x1, y1 - ne),
        (x1 - ne, y1),
        (x0 + nw, y1),
        (x0, y1 - nw),
        (x0, y0 + sw),
    ]
    deduped = [p for p, q in zip(ring, ring[1:] + ring[:1], strict=True) if p != q]
    return Polygon(deduped)


def _eco_redline_polygon(
    outline: Polygon, rect: tuple[float, float, float, float], *, rng: np.random.Generator
) -> Polygon:
    """A protected gully (生态保护红线) at the middle of one side, inside the outline: a
    chamfered box centred on the side, clipped to the outline (empty when the box falls
    wholly outside it, e.g. in a notch). Parcels are kept out of it."""
    x0, y0, x1, y1 = rect
    m = min(x1 - x0, y1 - y0)
    r = float(_snap(min(max(0.07 * m, 100.0), 450.0)))
    rx, ry = r * float(_snap(rng.uniform(1.0, 1.8))), r
    side = int(rng.integers(4))
    t = rng.uniform(0.35, 0.65)
    if side in (0, 2):
        cx, cy = x0 + t * (x1 - x0), (y0 if side == 0 else y1)
    else:
        cx, cy = (x1 if side == 1 else x0), y0 + t * (y1 - y0)
        rx, ry = ry, rx
    cx, cy = float(_snap(cx)), float(_snap(cy))
    c = float(_snap(0.4 * min(rx, ry)))
    box = _chamfered_box((cx - rx, cy - ry, cx + rx, cy + ry), [c, c, c, c])
    return _largest_polygon(shapely.intersection(box, outline))


def _streets(lo: float, hi: float, *, main_spacing: float, rng: np.random.Generator) -> _Streets:
    """Streets crossing the span [lo, hi] of one axis: main streets about *main_spacing*
    apart, each gap split by secondary streets. Positions on the grid."""
    mains = []
    t = lo + main_spacing * rng.uniform(0.45, 0.85)
    while t < hi - 0.4 * main_spacing:
        mains.append(t)
        t += main_spacing * rng.uniform(0.85, 1.15)
    secondary_spacing = main_spacing / SECONDARY_PER_MAIN
    position: list[float] = []
    is_main: list[bool] = []
    for i, (a, b) in enumerate(itertools.pairwise([lo, *mains, hi])):
        if i > 0:
            position.append(a)
            is_main.append(True)
        n = max(1, round((b - a) / secondary_spacing))
        jitter = rng.uniform(-0.15, 0.15, n - 1)
        position.extend(a + (b - a) * (np.arange(1, n) + jitter) / n)
        is_main.extend([False] * (n - 1))
    main = np.array(is_main, dtype=bool)
    return _Streets(
        position=_snap(np.array(position, dtype=float)),
        width=np.where(main, MAIN_ROAD_WIDTH_M, SECONDARY_ROAD_WIDTH_M),
        is_main=main,
    )


def _intervals(lo: float, hi: float, streets: _Streets) -> tuple[np.ndarray, np.ndarray]:
    """The spans between streets (kerb to kerb) along one axis."""
    half = streets.width / 2
    return np.r_[lo, streets.position + half], np.r_[streets.position - half, hi]


def _blocks(
    rect: tuple[float, float, float, float], xs: _Streets, ys: _Streets, land
) -> pd.DataFrame:
    """Blocks between the streets, clipped to *land*; parts that clipping separates become
    blocks of their own and slivers are dropped. Row order: north to south, west to east."""
    x_lo, x_hi = _intervals(rect[0], rect[2], xs)
    y_lo, y_hi = _intervals(rect[1], rect[3], ys)
    row, col = np.meshgrid(np.arange(len(y_lo))[::-1], np.arange(len(x_lo)), indexing="ij")
    row, col = row.ravel(), col.ravel()
    rects = shapely.box(x_lo[col], y_lo[row], x_hi[col], y_hi[row])
    inside = shapely.covers(land, rects)
    clipped = shapely.intersection(rects[~inside], land)
    parts, source = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= MIN_PARCEL_M2)
    geometry = np.concatenate([rects[inside], parts[keep]])
    origin = np.concatenate([np.flatnonzero(inside), np.flatnonzero(~inside)[source[keep]]])
    order = np.argsort(origin, kind="stable")
    geometry, origin = geometry[order], origin[order]
    centre = shapely.get_coordinates(shapely.centroid(geometry))
    return pd.DataFrame(
        {
            "geometry": geometry,
            "inside": np.isin(origin, np.flatnonzero(inside)),
            "fx": (centre[:, 0] - rect[0]) / (rect[2] - rect[0]),
            "fy": (centre[:, 1] - rect[1]) / (rect[3] - rect[1]),
        }
    )


def _cut_parcels(
    layout: _Layout, *, rng: np.random.Generator, n_parcels: int, scale: float
) -> pd.DataFrame:
    """Cut every block into parcels: strips across its long side, the strips of busier
    blocks halved across. About *n_parcels* in all, more where the noise says so.

    Returns one row per parcel: geometry (EPSG:4545 Polygon), block index, area_m2."""
    blocks = layout.blocks
    geom = blocks["geometry"].to_numpy()
    bounds = shapely.bounds(geom)
    width, height = bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]
    horizontal = width >= height
    long_side, short_side = np.maximum(width, height), np.minimum(width, height)
    min_strip = max(MIN_STRIP_M * _linear_factor(scale), 2 * MIN_PARCEL_WIDTH_M)
    along = np.maximum(1, np.floor(long_side / min_strip)).astype(int)
    across = np.where(short_side >= 2 * min_strip, 2, 1)
    caps = np.minimum(MAX_PIECES_PER_BLOCK, along * across)
    weights = shapely.area(geom) * rng.lognormal(0.0, 0.55, len(geom))
    k = _allocate(weights, total=n_parcels, caps=caps)

    halves = (across == 2) & ((k >= 4) | (k > along))
    n_strips = np.where(halves, -(-k // 2), k)
    n_single = np.where(halves, 2 * n_strips - k, n_strips)

    strip_block = np.repeat(np.arange(len(geom)), n_strips)
    local = _index_in_group(n_strips)
    end_frac = _end_fractions(rng.uniform(0.6, 1.4, len(strip_block)), n_strips)
    u_lo = np.where(horizontal, bounds[:, 0], bounds[:, 1])[strip_block]
    u_hi = np.where(horizontal, bounds[:, 2], bounds[:, 3])[strip_block]
    v_lo = np.where(horizontal, bounds[:, 1], bounds[:, 0])[strip_block]
    v_hi = np.where(horizontal, bounds[:, 3], bounds[:, 2])[strip_block]
    last = local == np.repeat(n_strips, n_strips) - 1
    u_end = np.where(last, u_hi, _snap(u_lo + end_frac * (u_hi - u_lo)))
    u_start = np.where(local == 0, u_lo, np.r_[np.nan, u_end[:-1]])

    split = local >= np.repeat(n_single, n_strips)
    v_cut = _snap(v_lo + rng.uniform(0.35, 0.65, len(strip_block)) * (v_hi - v_lo))
    pieces = np.where(split, 2, 1)
    strip = np.repeat(np.arange(len(strip_block)), pieces)
    second = np.r_[False, strip[1:] == strip[:-1]]
    p_v_lo = np.where(split[strip] & second, v_cut[strip], v_lo[strip])
    p_v_hi = np.where(split[strip] & ~second, v_cut[strip], v_hi[strip])
    p_u_lo, p_u_hi = u_start[strip], u_end[strip]
    hz = horizontal[strip_block[strip]]
    boxes = shapely.box(
        np.where(hz, p_u_lo, p_v_lo),
        np.where(hz, p_v_lo, p_u_lo),
        np.where(hz, p_u_hi, p_v_hi),
        np.where(hz, p_v_hi, p_u_hi),
    )
    block = strip_block[strip]
    inside = blocks["inside"].to_numpy()[block]
    pieces_geom = boxes.copy()
    pieces_geom[~inside] = shapely.intersection(boxes[~inside], geom[block[~inside]])
    parts, source = shapely.get_parts(pieces_geom, return_index=True)
    area = shapely.area(parts)
    thickness = 2 * area / np.maximum(shapely.length(parts), 1e-9)
    keep = (
        (shapely.get_type_id(parts) == 3)
        & (area >= MIN_PARCEL_M2)
        & (thickness >= MIN_PARCEL_WIDTH_M)
    )
    return pd.DataFrame(
        {"geometry": parts[keep], "block": block[source[keep]], "area_m2": area[keep]}
    )


def _allocate(weights: np.ndarray, *, total: int, caps: np.ndarray) -> np.ndarray:
    """Integers in [1, caps] proportional to *weights* and summing to *total* when the
    caps allow (largest remainder)."""
    ideal = total * weights / weights.sum()
    k = np.clip(np.floor(ideal), 1, caps).astype(int)
    while (diff := total - int(k.sum())) != 0:
        remainder = ideal - k
        if diff > 0:
            room = k < caps
            order = np.argsort(np.where(room, -remainder, np.inf), kind="stable")
            chosen = order[: min(diff, int(room.sum()))]
            k[chosen] += 1
        else:
            room = k > 1
            order = np.argsort(np.where(room, remainder, np.inf), kind="stable")
            chosen = order[: min(-diff, int(room.sum()))]
            k[chosen] -= 1
        if len(chosen) == 0:
            break
    return k


# --------------------------------------------------------------------------------------
# Land use, status and projects
# --------------------------------------------------------------------------------------


def _assign_land_use(
    parcels: pd.DataFrame,
    layout: _Layout,
    *,
    town: int,
    spec: ParkSpec,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Zone the blocks (homes and shops on the *town* side: 0 west, 1 east, 2 north;
    green along the river in the south, storage by the rail in the north, research near
    the core, industry elsewhere) and draw each parcel's GB/T 21010 class from its zone's
    mix; at least one utility parcel per utility kind."""
    blocks = layout.blocks
    fx, fy = blocks["fx"].to_numpy(), blocks["fy"].to_numpy()
    to_town = (fx, 1 - fx, 1 - fy)[town]
    draw, draw2 = rng.random(len(blocks)), rng.random(len(blocks))
    zone = np.full(len(blocks), "industrial", dtype=object)
    zone[(to_town < 0.14) & (draw < 0.7)] = "urban"
    free = zone == "industrial"
    zone[free & (fy < 0.1) & (draw < 0.5)] = "green"
    zone[free & (fy > 0.88) & (draw < 0.35)] = "storage"
    zone[(zone == "industrial") & (to_town < 0.5) & (draw2 < spec.research_share * 2)] = "research"

    parcel_zone = zone[parcels["block"].to_numpy()]
    codes = np.empty(len(parcels), dtype=object)
    for name, (choices, probs) in ZONE_LAND_USES.items():
        mask = parcel_zone == name
        codes[mask] = rng.choice(choices, size=int(mask.sum()), p=probs)
    small_industrial = np.flatnonzero(
        (codes == INDUSTRIAL) & (parcels["area_m2"] < parcels["area_m2"].median())
    )
    missing = len(UTILITY_KINDS) - int((codes == UTILITY).sum())
    if missing > 0:
        codes[rng.choice(small_industrial, size=missing, replace=False)] = UTILITY
    return parcels.assign(land_use_code=codes)


def _frontier(parcels: pd.DataFrame, town: int, rng: np.random.Generator) -> np.ndarray:
    """0 at the developed (town) side of the park, 1 at the far side, with a random tilt."""
    xy = shapely.get_coordinates(shapely.centroid(parcels["geometry"].to_numpy()))
    angle = (math.pi, 0.0, -math.pi / 2)[town] + rng.uniform(-0.5, 0.5)  # away from town
    d = xy[:, 0] * math.cos(angle) + xy[:, 1] * math.sin(angle)
    return (d - d.min()) / max(d.max() - d.min(), 1.0)


def _assign_status(parcels: pd.DataFrame, *, town: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw each parcel's status: industrial land far from town is mostly reserve or ready
    (so planners find plenty), the rest mostly operating; other land mostly operating."""
    t = _frontier(parcels, town, rng)
    industrial = parcels["land_use_code"].to_numpy() == INDUSTRIAL
    available = rng.random(len(parcels)) < np.where(industrial, 0.12 + 0.6 * t**1.2, 0.14)
    reserve = rng.random(len(parcels)) < 0.3 + 0.5 * t
    developed = rng.choice(
        [
            ParcelStatus.OPERATING,
            ParcelStatus.UNDER_CONSTRUCTION,
            ParcelStatus.SUPPLIED,
            ParcelStatus.IDLE,
        ],
        size=len(parcels),
        p=[0.57, 0.16, 0.18, 0.09],
    )
    status = np.where(
        available, np.where(reserve, ParcelStatus.RESERVE, ParcelStatus.READY), developed
    ).astype(object)
    return parcels.assign(status=status)


def _place_projects(
    parcels: pd.DataFrame, *, spec: ParkSpec, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give each of the park's projects 1–3 industrial parcels of one block (a seed parcel
    whose status fits the project's, plus its nearest neighbours) and set their status
    to fit. Returns the parcels and one row per project with its parcel indices."""
    status = parcels["status"].to_numpy().copy()
    used = np.zeros(len(parcels), dtype=bool)
    industrial = parcels["land_use_code"].to_numpy() == INDUSTRIAL
    big_enough = parcels["area_m2"].to_numpy() >= min(15 * M2_PER_MU, parcels["area_m2"].median())
    block = parcels["block"].to_numpy()
    centre = shapely.get_coordinates(shapely.centroid(parcels["geometry"].to_numpy()))
    rows = []
    for project in spec.projects:
        wanted = PROJECT_PARCEL_STATUS[project.status]
        free = industrial & big_enough & ~used
        matching = np.flatnonzero(free & (status == wanted))
        pool = matching if len(matching) else np.flatnonzero(free)
        seed = int(rng.choice(pool))
        mates = np.flatnonzero(free & (block == block[seed]))
        mates = mates[mates != seed]
        distance = np.hypot(*(centre[mates] - centre[seed]).T)
        chosen = [seed, *mates[np.argsort(distance, kind="stable")][: project.n_parcels - 1]]
        used[chosen] = True
        status[chosen] = wanted
        rows.append({"spec": project, "parcel_indices": tuple(sorted(int(i) for i in chosen))})
    return parcels.assign(status=status, in_project=used), pd.DataFrame(rows)


def _ensure_every_status(parcels: pd.DataFrame, *, rng: np.random.Generator) -> pd.DataFrame:
    """Make sure every parcel status occurs in the park, taking industrial parcels that
    are not project land from statuses that have more than one."""
    status = parcels["status"].to_numpy().copy()
    industrial = parcels["land_use_code"].to_numpy() == INDUSTRIAL
    eligible = industrial & ~parcels["in_project"].to_numpy()
    for wanted in ParcelStatus:
        if (status == wanted).any():
            continue
        counts = pd.Series(status).value_counts()
        plentiful = np.isin(status, counts[counts > 1].index.to_numpy())
        status[int(rng.choice(np.flatnonzero(eligible & plentiful)))] = wanted
    return parcels.assign(status=status)


def _assign_holders(
    parcels: pd.DataFrame,
    buildings: pd.DataFrame,
    projects: pd.DataFrame,
    *,
    spec: ParkSpec,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Holder, supply mode and supply date of each parcel from its status and land use.
    Reserve and ready land has none; project land is held by the investor and granted;
    the land under standard factory buildings by the park's development company."""
    n = len(parcels)
    use = parcels["land_use_code"].to_numpy()
    status = parcels["status"].to_numpy()
    holding = np.isin(status, list(HOLDING_STATUSES))
    holder = np.empty(n, dtype=object)
    weights = 1.0 / np.arange(1, len(spec.enterprises) + 1) ** 0.8
    industrial = use == INDUSTRIAL
    holder[industrial] = rng.choice(
        spec.enterprises, size=int(industrial.sum()), p=weights / weights.sum()
    )
    for code, names in LAND_USE_HOLDERS.items():
        mask = use == code
        pool = [name.format(short=spec.short_zh) for name in names]
        holder[mask] = rng.choice(pool, size=int(mask.sum()))
    supply_mode = np.empty(n, dtype=object)
    for code in np.unique(use):
        modes, probs = LAND_USE_SUPPLY_MODES.get(code, DEFAULT_SUPPLY_MODES)
        mask = use == code
        supply_mode[mask] = [str(m) for m in rng.choice(modes, size=int(mask.sum()), p=probs)]
    supplied_on = _supply_dates(status, rng=rng)

    holder[buildings["parcel"].unique()] = PLATFORM_COMPANY.format(short=spec.short_zh)
    for project, indices in zip(projects["spec"], projects["parcel_indices"], strict=True):
        ix = list(indices)
        holder[ix] = project.investor
        supply_mode[ix] = SupplyMode.GRANT.value
        supplied_on[ix] = supplied_on[ix[0]]
    holder[~holding] = None
    supply_mode[~holding] = None
    supplied_on[~holding] = None
    return parcels.assign(holder=holder, supply_mode=supply_mode, supplied_on=supplied_on)


def _supply_dates(status: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
    """An ISO date for every parcel holding land, in the years :data:`SUPPLY_YEARS` gives
    its status (never after :data:`SAMPLE_AS_OF`); None for the rest."""
    out = np.full(len(status), None, dtype=object)
    for wanted, (first, last) in SUPPLY_YEARS.items():
        mask = status == wanted
        lo = date(first, 1, 1)
        hi = min(date(last, 12, 31), SAMPLE_AS_OF)
        out[mask] = _random_dates(lo, hi, int(mask.sum()), rng=rng)
    return out


def _random_dates(lo: date, hi: date, n: int, *, rng: np.random.Generator) -> list[str]:
    """*n* ISO dates drawn uniformly from [lo, hi]."""
    offsets = rng.integers(0, (hi - lo).days + 1, size=n)
    return [(lo + timedelta(days=int(d))).isoformat() for d in offsets]


def _project_rows(
    projects: pd.DataFrame, parcels: pd.DataFrame, *, spec: ParkSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """The projects table (parcel indices still to be turned into codes)."""
    supplied_on = parcels["supplied_on"].to_numpy()
    rows = []
    for number, (project, indices) in enumerate(
        zip(projects["spec"], projects["parcel_indices"], strict=True), start=1
    ):
        land_date = supplied_on[indices[0]]
        land_date = None if pd.isna(land_date) else str(land_date)
        rows.append(
            {
                "project_code": f"{spec.prefix}-P{number:02d}",
                "name": project.name,
                "park": spec.code,
                "investor": project.investor,
                "industry_chain": project.industry_chain,
                "investment_yi": float(project.investment_yi),
                "status": str(project.status),
                "milestones": json.dumps(
                    _milestones(project.status, land_date, rng=rng), ensure_ascii=False
                ),
                "parcel_indices": indices,
            }
        )
    return pd.DataFrame(rows)


def _milestones(
    status: ProjectStatus, land_date: str | None, *, rng: np.random.Generator
) -> list[dict[str, str]]:
    """The milestones a project at *status* has passed, in date order, around the day its
    land was supplied; none after :data:`SAMPLE_AS_OF`."""

    def days(lo: int, hi: int) -> timedelta:
        return timedelta(days=int(rng.integers(lo, hi)))

    if status == ProjectStatus.PLANNED or land_date is None:
        listed = SAMPLE_AS_OF - days(60, 400)
        return [{"date": listed.isoformat(), "name": "项目谋划入库"}]
    supplied = date.fromisoformat(land_date)
    events = [(supplied - days(30, 150), "签约"), (supplied, "供地")]
    if status in (
        ProjectStatus.UNDER_CONSTRUCTION,
        ProjectStatus.OPERATING,
        ProjectStatus.SUSPENDED,
    ):
        events.append((supplied + days(60, 200), "开工"))
    if status == ProjectStatus.OPERATING:
        events.append((events[-1][0] + days(240, 500), "主体封顶"))
        events.append((events[-1][0] + days(90, 240), "竣工投产"))
    if status == ProjectStatus.SUSPENDED:
        events.append((events[-1][0] + days(150, 400), "停缓建"))
    events = [(min(d, SAMPLE_AS_OF), name) for d, name in events]
    return [{"date": d.isoformat(), "name": name} for d, name in events]


# --------------------------------------------------------------------------------------
# Standard factory buildings and their leases
# --------------------------------------------------------------------------------------


def _place_buildings(
    parcels: pd.DataFrame, *, spec: ParkSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """Standard factory buildings (标准化厂房) in rows on rectangular industrial parcels
    that are operating or supplied and not project land, inset from the parcel's edges,
    until the park has ``max(24, parcels / 10)`` of them (or runs out of room).

    Returns one row per building: building_code, park, name, storeys, floor_area_m2,
    geometry (EPSG:4545 Polygon), parcel (index into *parcels*)."""
    geom = parcels["geometry"].to_numpy()
    bounds = shapely.bounds(geom)
    width, height = bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]
    rectangular = np.abs(parcels["area_m2"].to_numpy() - width * height) < 0.01
    eligible = (
        rectangular
        & (parcels["land_use_code"].to_numpy() == INDUSTRIAL)
        & np.isin(parcels["status"], [ParcelStatus.OPERATING, ParcelStatus.SUPPLIED])
        & ~parcels["in_project"].to_numpy()
    )
    horizontal = width >= height
    inner_long = np.maximum(width, height) - 2 * BUILDING_INSET_M
    inner_short = np.minimum(width, height) - 2 * BUILDING_INSET_M
    length = rng.choice(np.arange(36.0, 97.0, 6.0), size=len(parcels))
    depth = rng.choice(np.arange(18.0, 31.0, 3.0), size=len(parcels))
    gap_long, gap_short = 12.0, 18.0
    cols = np.clip((inner_long + gap_long) // (length + gap_long), 0, 3).astype(int)
    rows = np.clip((inner_short + gap_short) // (depth + gap_short), 0, 2).astype(int)
    count = np.where(eligible, cols * rows, 0)

    target = max(MIN_BUILDINGS_PER_PARK, len(parcels) // 10)
    order = rng.permutation(np.flatnonzero(count > 0))
    take = order[: int(np.searchsorted(np.cumsum(count[order]), target)) + 1]
    take = np.sort(take)
    n = count[take]
    parcel = np.repeat(take, n)
    local = _index_in_group(n)
    col, row = local % cols[parcel], local // cols[parcel]
    used_long = cols * length + (cols - 1) * gap_long
    used_short = rows * depth + (rows - 1) * gap_short
    off_long = _snap((inner_long - used_long) / 2)[parcel] + BUILDING_INSET_M
    off_short = _snap((inner_short - used_short) / 2)[parcel] + BUILDING_INSET_M
    u0 = off_long + col * (length[parcel] + gap_long)
    v0 = off_short + row * (depth[parcel] + gap_short)
    u1, v1 = u0 + length[parcel], v0 + depth[parcel]
    hz = horizontal[parcel]
    bx, by = bounds[parcel, 0], bounds[parcel, 1]
    footprint = shapely.box(
        bx + np.where(hz, u0, v0),
        by + np.where(hz, v0, u0),
        bx + np.where(hz, u1, v1),
        by + np.where(hz, v1, u1),
    )
    storeys = rng.choice(np.arange(1, 7), size=len(parcel), p=[0.05, 0.15, 0.3, 0.25, 0.15, 0.1])
    floor_area = np.round(length[parcel] * depth[parcel] * storeys, 2)
    number = np.arange(1, len(parcel) + 1)
    return pd.DataFrame(
        {
            "building_code": _codes(spec.prefix, "B", len(parcel), width=3),
            "park": spec.code,
            "name": [f"{spec.short_zh}标准化厂房{i}号楼" for i in number],
            "storeys": storeys.astype(int),
            "floor_area_m2": floor_area,
            "geometry": footprint,
            "parcel": parcel,
        }
    )


def _make_leases(
    buildings: pd.DataFrame, *, spec: ParkSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """Leases of floor area to tenants. Each building is wholly let, partly let or wholly
    vacant (every kind occurs when the park has three buildings or more); a partly let
    building has its ground floor partly let and its other floors full, partial or empty.
    A floor's leases never add up to more than the floor (amounts floored to 0.01 m²).
    Every lease is current at :data:`SAMPLE_AS_OF`; some are open-ended."""
    n_b = len(buildings)
    kind = rng.choice(np.array(["full", "partly", "vacant"]), size=n_b, p=[0.35, 0.45, 0.2])
    if n_b >= 3:
        for wanted in ("full", "partly", "vacant"):
            if not (kind == wanted).any():
                counts = pd.Series(kind).value_counts()
                donors = np.flatnonzero(np.isin(kind, counts[counts > 1].index.to_numpy()))
                kind[int(rng.choice(donors))] = wanted
    storeys = buildings["storeys"].to_numpy()
    floor_building = np.repeat(np.arange(n_b), storeys)
    floor = _index_in_group(storeys) + 1
    floor_kind = rng.choice(
        np.array(["full", "partial", "empty"]), size=len(floor), p=[0.3, 0.4, 0.3]
    )
    b_kind = kind[floor_building]
    floor_kind = np.where(b_kind == "full", "full", floor_kind)
    floor_kind = np.where(b_kind == "vacant", "empty", floor_kind)
    floor_kind = np.where((b_kind == "partly") & (floor == 1), "partial", floor_kind)
    floor_cm = np.floor(
        buildings["floor_area_m2"].to_numpy()[floor_building] * 100 / storeys[floor_building]
    ).astype(np.int64)
    let_cm = np.where(
        floor_kind == "full",
        floor_cm,
        np.floor(floor_cm * rng.uniform(0.3, 0.8, len(floor))).astype(np.int64),
    )
    let_cm = np.where(floor_kind == "empty", 0, let_cm)
    tenants_per_floor = np.where(let_cm > 0, rng.integers(1, 4, len(floor)), 0)

    lease_floor = np.repeat(np.arange(len(floor)), tenants_per_floor)
    shares = _end_fractions(rng.uniform(0.5, 1.5, len(lease_floor)), tenants_per_floor)
    end_cm = np.floor(let_cm[lease_floor] * shares).astype(np.int64)
    last = np.r_[lease_floor[1:] != lease_floor[:-1], True]
    end_cm = np.where(last, let_cm[lease_floor], end_cm)
    start_cm = np.where(np.r_[True, last[:-1]], 0, np.r_[0, end_cm[:-1]])
    keep = end_cm > start_cm
    lease_floor, leased_m2 = lease_floor[keep], (end_cm - start_cm)[keep] / 100.0

    starts = _random_dates(
        SAMPLE_AS_OF - timedelta(days=1000),
        SAMPLE_AS_OF - timedelta(days=30),
        len(lease_floor),
        rng=rng,
    )
    term = rng.choice([3, 5, 0], size=len(lease_floor), p=[0.55, 0.3, 0.15])
    ends = [
        None if years == 0 else _add_years(date.fromisoformat(s), int(years)).isoformat()
        for s, years in zip(starts, term, strict=True)
    ]
    leases = pd.DataFrame(
        {
            "lease_id": _codes(spec.prefix, "L", len(lease_floor), width=5),
            "building_code": buildings["building_code"].to_numpy()[floor_building[lease_floor]],
            "tenant": rng.choice(spec.tenants, size=len(lease_floor)),
            "floor": floor[lease_floor].astype(int),
            "leased_m2": leased_m2,
            "start_date": starts,
            "end_date": ends,
        }
    )
    return leases


def _add_years(day: date, years: int) -> date:
    """*day* plus *years* years, less one day (a lease's last day)."""
    try:
        later = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        later = day.replace(year=day.year + years, day=28)
    return later - timedelta(days=1)


# --------------------------------------------------------------------------------------
# Context layers
# --------------------------------------------------------------------------------------


def _context_layers(
    layout: _Layout,
    parcels: pd.DataFrame,
    *,
    spec: ParkSpec,
    rng: np.random.Generator,
    band: tuple[float, float],
) -> dict[str, pd.DataFrame]:
    """roads, rail, river, flood_zone, utilities and eco_redline rows for one park."""
    x0, y0, x1, y1 = layout.rect
    reach_lo, reach_hi = max(band[0], x0 - 1500.0), min(band[1], x1 + 1500.0)
    roads = _road_rows(layout, spec=spec)
    river = _river_line(reach_lo, reach_hi, y0 - 380.0, rng=rng)
    flood = shapely.set_precision(river.buffer(rng.uniform(280.0, 320.0), quad_segs=4), 0.01)
    eco_name = f"{spec.short_zh}{rng.choice(['塬坡', '沟道', '湿地'])}生态保护红线"
    # A gully that misses the notched outline leaves the park without a red line: no row
    # then (an empty geometry is not a feature). The name is drawn all the same, so the
    # random stream, and everything drawn after it, stays the same.
    eco = [] if layout.eco.is_empty else [layout.eco]
    return {
        "roads": roads,
        "rail": pd.DataFrame(
            {
                "name": [f"{spec.short_zh}铁路专用线"],
                "park": spec.code,
                "geometry": [_rail_line(reach_lo, reach_hi, y1 + 90.0, rng=rng)],
            }
        ),
        "river": pd.DataFrame({"name": [spec.river_name], "park": spec.code, "geometry": [river]}),
        "flood_zone": pd.DataFrame(
            {
                "name": [f"{spec.river_name}百年一遇洪水淹没区"],
                "park": spec.code,
                "geometry": [flood],
            }
        ),
        "utilities": _utility_rows(parcels, roads, spec=spec),
        "eco_redline": pd.DataFrame(
            {"name": [eco_name] * len(eco), "park": spec.code, "geometry": eco}
        ),
    }


def _road_rows(layout: _Layout, *, spec: ParkSpec) -> pd.DataFrame:
    """Street centrelines clipped to the park's land: 经N路 run north-south (numbered west
    to east), 纬N路 east-west (numbered south to north)."""
    x0, y0, x1, y1 = layout.rect
    xs, ys = layout.x_streets, layout.y_streets
    lines = np.concatenate(
        [
            shapely.linestrings(
                np.stack(
                    [
                        np.column_stack([xs.position, np.full(len(xs.position), y0)]),
                        np.column_stack([xs.position, np.full(len(xs.position), y1)]),
                    ],
                    axis=1,
                )
            ),
            shapely.linestrings(
                np.stack(
                    [
                        np.column_stack([np.full(len(ys.position), x0), ys.position]),
                        np.column_stack([np.full(len(ys.position), x1), ys.position]),
                    ],
                    axis=1,
                )
            ),
        ]
    )
    names = np.array(
        [f"经{_cn_number(i)}路" for i in range(1, len(xs.position) + 1)]
        + [f"纬{_cn_number(i)}路" for i in range(1, len(ys.position) + 1)],
        dtype=object,
    )
    is_main = np.concatenate([xs.is_main, ys.is_main])
    parts, source = shapely.get_parts(shapely.intersection(lines, layout.land), return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 20.0)
    return pd.DataFrame(
        {
            "name": names[source[keep]],
            "road_class": np.where(is_main[source[keep]], "main", "secondary"),
            "park": spec.code,
            "geometry": parts[keep],
        }
    )


def _rail_line(x_lo: float, x_hi: float, y: float, *, rng: np.random.Generator) -> LineString:
    """A rail spur running east-west just outside the park's northern edge."""
    x = np.linspace(x_lo, x_hi, 24)
    phase = rng.uniform(0, 2 * math.pi)
    wobble = 25.0 * np.sin(phase + 2 * math.pi * (x - x_lo) / max(x_hi - x_lo, 1.0))
    return shapely.set_precision(LineString(np.column_stack([x, y + wobble])), 0.01)


def _river_line(x_lo: float, x_hi: float, y: float, *, rng: np.random.Generator) -> LineString:
    """A meandering river running east-west south of the park."""
    x = np.arange(x_lo, x_hi + 1.0, 50.0)
    amplitude, wavelength = rng.uniform(120.0, 180.0), rng.uniform(1800.0, 2600.0)
    phase = rng.uniform(0, 2 * math.pi)
    meander = amplitude * np.sin(phase + 2 * math.pi * (x - x_lo) / wavelength)
    return shapely.set_precision(LineString(np.column_stack([x, y - meander])), 0.01)


def _utility_rows(parcels: pd.DataFrame, roads: pd.DataFrame, *, spec: ParkSpec) -> pd.DataFrame:
    """A station (Point) on a utility parcel and a main line (LineString) beside the
    longest main road, for each utility kind."""
    sites = parcels["geometry"].to_numpy()[parcels["land_use_code"].to_numpy() == UTILITY]
    points = shapely.point_on_surface(sites[: len(UTILITY_KINDS)])
    mains = roads[roads["road_class"] == "main"]
    candidates = mains if len(mains) else roads
    spine = candidates["geometry"].to_numpy()[
        int(np.argmax(shapely.length(candidates["geometry"])))
    ]
    rows = []
    for kind, point in zip(UTILITY_KINDS, points, strict=True):
        station, line = (n.format(short=spec.short_zh) for n in UTILITY_NAMES[kind])
        offset = shapely.offset_curve(spine, UTILITY_LINE_OFFSET_M[kind])
        rows.append({"kind": kind, "name": station, "park": spec.code, "geometry": point})
        rows.append(
            {
                "kind": kind,
                "name": line,
                "park": spec.code,
                "geometry": shapely.set_precision(offset, 0.01),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Assembly and small helpers
# --------------------------------------------------------------------------------------


def _assemble(frames: dict[str, list[pd.DataFrame]], *, srid: int) -> Sample:
    """Concatenate the parks' rows into layers, in EPSG:*srid*."""
    layers = {}
    for name, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True)
        if name in TABLE_LAYERS:
            layers[name] = frame
            continue
        geometry = transform(frame.pop("geometry").to_numpy(), STORAGE_SRID, srid)
        layers[name] = gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{srid}")
    return Sample(**layers)


def _index_in_group(sizes: np.ndarray) -> np.ndarray:
    """For items laid out group after group (``sizes[i]`` items in group i): each item's
    position in its group, from 0."""
    starts = np.cumsum(sizes) - sizes
    return np.arange(int(np.sum(sizes))) - np.repeat(starts, sizes)


def _end_fractions(weights: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For items laid out group after group (``sizes[i]`` items in group i, empty groups
    allowed): the share of its group's total weight up to and including each item."""
    if len(weights) == 0:
        return np.zeros(0)
    counts = sizes[sizes > 0]
    starts = np.cumsum(counts) - counts
    running = np.cumsum(weights)
    before_group = np.repeat((running - weights)[starts], counts)
    group_total = np.repeat(np.add.reduceat(weights, starts), counts)
    return (running - before_group) / group_total


def _snap(values):
    """Round to the construction grid (:data:`GRID_M`); exact in binary floating point."""
    return np.round(np.asarray(values, dtype=float) / GRID_M) * GRID_M


def _largest_polygon(geom) -> Polygon:
    """The largest polygon part of *geom*."""
    parts = shapely.get_parts(geom)
    parts = parts[shapely.get_type_id(parts) == 3]
    return parts[int(np.argmax(shapely.area(parts)))]


def _codes(prefix: str, kind: str, n: int, *, width: int) -> np.ndarray:
    """``PREFIX-KIND0001``-style codes numbered from 1, at least *width* digits."""
    digits = max(width, len(str(n)))
    return np.array([f"{prefix}-{kind}{i:0{digits}d}" for i in range(1, n + 1)], dtype=object)


_CN_DIGITS = "零一二三四五六七八九"


def _cn_number(n: int) -> str:
    """1–99 in Chinese numerals (一, 十二, 二十); Arabic digits beyond."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)
