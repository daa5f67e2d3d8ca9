"""Writers of land files as ugly as the ones surveyors hand over, for tests (no database).

Every writer takes a GeoDataFrame whose geometry is in EPSG:4545 (CGCS2000 / 3-degree
Gauss-Kruger CM 108E, metres) unless it says otherwise — a frame without a CRS is taken to
be in EPSG:4545 — and the column names it is told. Files are written through GDAL
(pyogrio) or ezdxf as real tools write them; where real files are uglier than GDAL writes
(no .cpg, no .prj, GBK zip member names, a lying zip header), the writer makes them so and
its docstring says how.

``ugly_parcels_4545()`` gives a small frame of realistic parcels inside the sample's
Caijiapo park to write.
"""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import ezdxf
import geopandas as gpd
import pyogrio
import shapely
from shapely import affinity
from shapely.geometry import Polygon

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "parks.gpkg"
STORAGE_EPSG = 4545
ZONE36_EPSG = 4524  # the same projection with the zone number 36 in front of the eastings
#: Field names a Chinese land bureau's Shapefile carries, for the usual target fields.
CHINESE_FIELDS = {
    "parcel_code": "宗地编号",
    "land_use_code": "用地性质",
    "holder": "权利人",
    "declared_area_m2": "面积",
    "status": "状态",
}
#: A Shapefile field name holds at most this many bytes (in the file's encoding).
DBF_NAME_BYTES = 10


def chinese_fields(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """*frame* with the target field names renamed to what a bureau's files call them
    (:data:`CHINESE_FIELDS`)."""
    return frame.rename(columns=CHINESE_FIELDS)


def _in(frame: gpd.GeoDataFrame, epsg: int) -> gpd.GeoDataFrame:
    """*frame* in *epsg* (one without a CRS counts as EPSG:4545)."""
    if frame.crs is None:
        frame = frame.set_crs(epsg=STORAGE_EPSG)
    return frame if frame.crs.to_epsg() == epsg else frame.to_crs(epsg=epsg)


def _new(path: Path) -> Path:
    """*path*, its folder made."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem and p.is_file())


# --- Shapefiles ------------------------------------------------------------------------------


def write_shapefile(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "GBK",
    cpg: bool = False,
    prj: bool = True,
    crs_epsg: int = STORAGE_EPSG,
) -> Path:
    """Write *frame* as a Shapefile at *path* (``.shp``), its geometry in *crs_epsg*, its
    text and field names (Chinese ones too) encoded in *encoding*. As GBK files come from a
    bureau's desktop tools, there is no ``.cpg`` unless *cpg*, and the DBF's language
    driver byte is 0 (no hint at all); *prj* False leaves no ``.prj``.

    Field names longer than the DBF's 10 bytes are cut by GDAL, as by every tool
    (``declared_area_m2`` becomes ``declared_a``). A non-ASCII one raises ValueError
    instead (4 Chinese characters fit in GBK, 3 in UTF-8): GDAL would cut it mid-character.
    """
    path = _new(path)
    for name in frame.columns:
        too_long = len(str(name).encode(encoding)) > DBF_NAME_BYTES
        if name != frame.geometry.name and too_long and not str(name).isascii():
            raise ValueError(f"field name {name!r} is longer than 10 bytes in {encoding}")
    with warnings.catch_warnings():  # GDAL announces every name it cuts
        warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
        pyogrio.write_dataframe(
            _in(frame, crs_epsg), path, driver="ESRI Shapefile", encoding=encoding
        )
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def write_zone_prefixed_shapefile(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "GBK",
    cpg: bool = False,
    prj: bool = True,
) -> Path:
    """:func:`write_shapefile` in EPSG:4524 (CGCS2000 / 3-degree GK zone 36): eastings
    36,4xx,xxx for the Baoji parks, with or without the ``.prj`` that says so."""
    return write_shapefile(frame, path, encoding=encoding, cpg=cpg, prj=prj, crs_epsg=ZONE36_EPSG)


def dbf_field_names_raw(shp: Path) -> list[bytes]:
    """The field names in the ``.dbf`` beside *shp*, as the bytes in the file (for tests
    that prove the encoding on disk): the 11-byte name of each 32-byte field descriptor."""
    data = Path(shp).with_suffix(".dbf").read_bytes()
    header_length = struct.unpack_from("<H", data, 8)[0]
    names = []
    for offset in range(32, header_length - 1, 32):
        if data[offset] == 0x0D:
            break
        names.append(data[offset : offset + 11].split(b"\x00", 1)[0])
    return names


# --- DXF ------------------------------------------------------------------------------------

BLOCK_NAME = "ZDBH"  # 宗地编号: the block a surveyor's drawing inserts with the code attribute
BLOCK_TAG = "ZDDM"


def write_dxf(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    code_column: str,
    as_block_attribute: bool = False,
    dxfversion: str = "R2010",
    encoding: str | None = None,
) -> Path:
    """A 勘测定界 drawing of *frame* (metres, EPSG:4545) made with ezdxf: each polygon
    part's exterior as a closed LWPOLYLINE on CAD layer ``ZD``, and its code (from
    *code_column*) as a TEXT at the part's representative point on layer ``ZDH`` — or, with
    *as_block_attribute*, as an INSERT of block ``ZDBH`` (a small circle and an ATTDEF)
    whose ATTRIB holds the code. Holes are not drawn. Noise as in real drawings: one open
    polyline (a road edge) and one text (a title) outside every polygon.

    *dxfversion* R2007 and later write UTF-8; an older one with *encoding* (``"cp936"``)
    writes GBK bytes while the header still says ANSI_1252, as some CAD tools do.
    """
    path = _new(path)
    frame = _in(frame, STORAGE_EPSG)
    doc = ezdxf.new(dxfversion)
    doc.layers.add("ZD")
    doc.layers.add("ZDH")
    msp = doc.modelspace()
    if as_block_attribute:
        block = doc.blocks.new(BLOCK_NAME)
        block.add_circle((0, 0), radius=0.5)
        block.add_attdef(BLOCK_TAG, (0, 0), dxfattribs={"height": 2.0})
    for code, geom in zip(frame[code_column], frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        for part in getattr(geom, "geoms", [geom]):
            msp.add_lwpolyline(
                list(part.exterior.coords)[:-1], close=True, dxfattribs={"layer": "ZD"}
            )
            at = part.representative_point()
            if as_block_attribute:
                insert = msp.add_blockref(BLOCK_NAME, (at.x, at.y), dxfattribs={"layer": "ZDH"})
                insert.add_auto_attribs({BLOCK_TAG: str(code)})
            else:
                msp.add_text(
                    str(code), dxfattribs={"insert": (at.x, at.y), "height": 2.0, "layer": "ZDH"}
                )
    minx, miny, maxx, maxy = frame.total_bounds
    msp.add_lwpolyline([(minx - 40, miny - 40), (maxx + 40, miny - 45), (maxx + 60, maxy)])
    msp.add_text("勘测定界图", dxfattribs={"insert": (minx, maxy + 60), "height": 5.0})
    doc.saveas(path, encoding=encoding)
    return path


# --- formats GDAL writes ----------------------------------------------------------------------


def write_filegdb(frame: gpd.GeoDataFrame, path: Path, *, layer: str = "parcels") -> Path:
    """*frame* as feature class *layer* of a File Geodatabase, the ``.gdb`` folder *path*
    (GDAL's OpenFileGDB driver), in EPSG:4545."""
    pyogrio.write_dataframe(_in(frame, STORAGE_EPSG), _new(path), driver="OpenFileGDB", layer=layer)
    return Path(path)


def write_geopackage(frame: gpd.GeoDataFrame, path: Path, *, layer: str = "parcels") -> Path:
    """*frame* as layer *layer* of the GeoPackage *path*, in EPSG:4545; call it again with
    another *layer* to add a layer to the same file."""
    pyogrio.write_dataframe(_in(frame, STORAGE_EPSG), _new(path), driver="GPKG", layer=layer)
    return Path(path)


def write_geojson(frame: gpd.GeoDataFrame, path: Path, *, crs_epsg: int = 4326) -> Path:
    """*frame* as GeoJSON in *crs_epsg*: longitude/latitude by default (RFC 7946, no
    ``crs`` member); another CRS gets GDAL's ``crs`` member naming it."""
    pyogrio.write_dataframe(_in(frame, crs_epsg), _new(path), driver="GeoJSON")
    return Path(path)


def write_kml(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """*frame* as KML (always EPSG:4326), the attributes as ExtendedData."""
    pyogrio.write_dataframe(_in(frame, 4326), _new(path), driver="KML")
    return Path(path)


def write_csv_wkt(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "UTF-8",
    geometry_column: str = "WKT",
    crs_epsg: int = STORAGE_EPSG,
) -> Path:
    """*frame* as a CSV with its geometry as WKT in *geometry_column* (coordinates in
    *crs_epsg*, which the file does not record), encoded in *encoding* (``"GB18030"`` as a
    Chinese Excel saves it; ``"utf-8-sig"`` with Excel's BOM)."""
    frame = _in(frame, crs_epsg)
    table = frame.drop(columns=frame.geometry.name)
    table[geometry_column] = shapely.to_wkt(frame.geometry.values, rounding_precision=-1)
    text = table.to_csv(index=False, lineterminator="\r\n")
    _new(path).write_bytes(text.encode(encoding))
    return Path(path)


# --- archives --------------------------------------------------------------------------------


class _RawNameInfo(zipfile.ZipInfo):
    """A member whose name is stored in a given encoding without the UTF-8 flag, as Chinese
    Windows tools (WinRAR, 7-Zip on a GBK system) write it."""

    name_encoding = "gbk"

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.filename.encode(self.name_encoding), self.flag_bits & ~0x800


def zip_paths(
    paths: Iterable[Path],
    zip_path: Path,
    *,
    folder: str | None = None,
    name_encoding: str | None = None,
) -> Path:
    """A zip at *zip_path* holding *paths*: a ``.shp`` brings every file beside it with
    its name (.shx, .dbf, .prj, .cpg), a folder (a ``.gdb``) all it holds under its own
    name. Members go under *folder* when given. *name_encoding* (``"gbk"``) stores member
    names in that encoding without the UTF-8 flag."""
    members: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            members += [
                (f, str(f.relative_to(path.parent).as_posix()))
                for f in sorted(path.rglob("*"))
                if f.is_file()
            ]
        elif path.suffix.lower() == ".shp":
            members += [(p, p.name) for p in _shapefile_parts(path)]
        else:
            members.append((path, path.name))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, name in members:
            name = f"{folder}/{name}" if folder else name
            if name_encoding:
                info = _RawNameInfo(name)
                info.name_encoding = name_encoding
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, file.read_bytes())
            else:
                archive.write(file, name)
    return Path(zip_path)


def write_traversal_zip(path: Path, *, name: str = "../../evil.txt") -> Path:
    """A zip with a harmless member and one named *name* that climbs out of the folder it
    is unpacked into (``../../evil.txt``; ``..\\\\evil.txt`` as Windows tools write it)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "harmless\n")
        archive.writestr(zipfile.ZipInfo(name), "escaped\n")
    return Path(path)


def write_absolute_zip(path: Path, *, name: str = "/tmp/parks-absolute-evil.txt") -> Path:
    """A zip with a harmless member and one with the absolute name *name*."""
    return write_traversal_zip(path, name=name)


def write_symlink_zip(path: Path, *, target: str = "/etc/passwd") -> Path:
    """A zip whose ``parcels.shp`` is a symbolic link (Unix mode in the external
    attributes) to *target*, beside a regular ``parcels.dbf``."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("parcels.dbf", b"\x03" + b"\x00" * 31)
        link = zipfile.ZipInfo("parcels.shp")
        link.create_system = 3  # Unix
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, target)
    return Path(path)


def write_zip_bomb(path: Path, *, expanded_bytes: int = 64 * 1024**2) -> Path:
    """A small zip with one member of *expanded_bytes* zeros (64 MiB: about 64 KB packed,
    a ratio near 1000 — past the default limit of 200; fast to write)."""
    chunk = bytes(1024 * 1024)
    info = zipfile.ZipInfo("parcels.dbf")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w", force_zip64=True) as out:
        left = expanded_bytes
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return Path(path)


def write_many_members_zip(path: Path, *, count: int) -> Path:
    """A zip of *count* tiny members."""
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(count):
            archive.writestr(f"part{number:05d}.txt", "x")
    return Path(path)


def write_lying_zip(path: Path, *, actual_bytes: int = 4 * 1024**2, declared: int = 1000) -> Path:
    """A zip whose one member says (in both its local and its central header) it expands
    to *declared* bytes but holds *actual_bytes* zeros: the headers are patched after
    writing, as a crafted archive would be."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("parcels.dbf", bytes(actual_bytes))
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared)  # uncompressed size
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    Path(path).write_bytes(bytes(data))
    return Path(path)


# --- realistic parcels -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _park(code: str):
    parks = pyogrio.read_dataframe(SAMPLE, layer="parks")
    if parks.crs.to_epsg() != STORAGE_EPSG:
        parks = parks.to_crs(epsg=STORAGE_EPSG)
    return parks.loc[parks["code"] == code].geometry.iloc[0]


def ugly_parcels_4545(park: str = "caijiapo") -> gpd.GeoDataFrame:
    """Six parcels as a surveyor draws them, inside *park* of the sample (Caijiapo: about
    E 460,600–464,000, N 3,797,400–3,800,000 in EPSG:4545): a block of neighbours sharing
    edges exactly, slightly rotated, with irregular vertices (one parcel a pentagon) and
    coordinates to the millimetre, 19-character parcel codes (宗地代码 of Qishan county,
    610323), GB/T 21010 class codes, Chinese holders and declared areas rounded to 0.01 m²
    as a certificate states them. All valid and non-overlapping: the ugliness (bow-ties,
    overlaps, gaps, wrong declared areas) is for each test to add.

    Columns: parcel_code, land_use_code, holder, declared_area_m2, geometry (EPSG:4545).
    """
    boundary = _park(park)
    centre = boundary.centroid
    x0, y0 = round(centre.x - 300.0, 3), round(centre.y - 150.0, 3)
    # a 3 × 2 block of 200 m × 150 m cells with jittered shared corners
    xs = [0.0, 201.374, 398.912, 600.0]
    ys = [0.0, 148.257, 300.0]
    jitter = {(1, 1): (3.218, -2.407), (2, 1): (-4.116, 1.932)}

    def corner(i: int, j: int) -> tuple[float, float]:
        dx, dy = jitter.get((i, j), (0.0, 0.0))
        return (x0 + xs[i] + dx, y0 + ys[j] + dy)

    cells = []
    for j in range(2):
        for i in range(3):
            ring = [corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1)]
            if (i, j) == (0, 0):  # a pentagon: the road corner is cut
                ring = [(ring[0][0] + 12.5, ring[0][1]), *ring[1:], (ring[0][0], ring[0][1] + 9.75)]
            cells.append(Polygon(ring))
    rotated = [affinity.rotate(cell, 7.5, origin=(x0, y0)) for cell in cells]
    rotated = [shapely.set_precision(cell, 0.001) for cell in rotated]
    if not all(boundary.contains(cell) for cell in rotated):
        raise AssertionError(f"the sample parcels do not fit inside park {park!r}")
    codes = [f"610323100201GB{n:05d}" for n in (12, 13, 14, 27, 28, 31)]
    uses = ["0601", "0601", "0604", "0601", "05", "0601"]
    holders = [
        "陕西汽车控股集团有限公司",
        "宝鸡市土地储备中心",
        "陕西法士特齿轮有限责任公司",
        "宝鸡市土地储备中心",
        "岐山县蔡家坡镇人民政府",
        "陕西重型汽车有限公司",
    ]
    return gpd.GeoDataFrame(
        {
            "parcel_code": codes,
            "land_use_code": uses,
            "holder": holders,
            "declared_area_m2": [round(cell.area, 2) for cell in rotated],
        },
        geometry=rotated,
        crs=f"EPSG:{STORAGE_EPSG}",
    )
