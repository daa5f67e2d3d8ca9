"""GDAL's OGC API – Features driver reads the service: pyogrio's GDAL (3.12) page by page,
in EPSG:4545 when asked, with an attribute filter pushed to the server; Debian's
``ogrinfo``/``ogr2ogr`` (3.6) list the collections and copy one to a GeoPackage.

What GDAL pushes to the server (ogroapifdriver.cpp): an attribute filter becomes
``filter=...&filter-lang=cql-text`` when the OpenAPI document's items operation offers
``filter-lang`` with ``cql-text`` in its enum, and ``name=value`` for an equality on a
property the operation lists as a query parameter; anything else GDAL evaluates itself.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pyogrio
import pytest
import shapely
from clients_support import CORE_COLLECTIONS, gdal_bin
from pyproj import Transformer

pytestmark = pytest.mark.clients

#: A page size that makes the sample's ~1,100 parcels several pages.
PAGE_SIZE = 200
MM = 0.001
#: Vertex agreement in EPSG:4326 (about a centimetre).
DEGREE_TOL = 1e-7
AREA_TOL_M2 = 0.01


def _stored(city, codes=None) -> dict[str, shapely.Geometry]:
    """Code -> stored geometry (EPSG:4545) of the current parcels (all, or *codes*)."""
    where = "" if codes is None else "AND parcel_code = ANY(:codes)"
    rows = city.rows(
        f"SELECT parcel_code, ST_AsBinary(geom) FROM parcel_version WHERE valid_to IS NULL {where}",
        codes=list(codes or []),
    )
    return {code: shapely.from_wkb(bytes(wkb)) for code, wkb in rows}


def _vertex_distance(a, b) -> float:
    return shapely.hausdorff_distance(
        shapely.multipoints(shapely.get_coordinates(a)),
        shapely.multipoints(shapely.get_coordinates(b)),
    )


def _lonlat(geom):
    to = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))


def test_gdal_reads_every_parcel_across_pages(city):
    log = city.service.log
    mark = log.mark()
    frame = pyogrio.read_dataframe(
        f"OAPIF:{city.base}/ogc/collections/parcels", PAGE_SIZE=str(PAGE_SIZE)
    )
    expected = city.current_codes()
    codes = list(frame["parcel_code"])
    assert len(codes) == len(set(codes)), "GDAL got a parcel twice"
    assert set(codes) == expected
    pages = [r for r in log.requests_since(mark) if r.path == "/ogc/collections/parcels/items"]
    assert len(pages) >= len(expected) // PAGE_SIZE, [r.target for r in pages]
    assert all(r.status == 200 for r in pages), [(r.target, r.status) for r in pages]


def test_gdal_in_epsg_4545_gets_the_stored_coordinates_to_the_millimetre(city):
    """The CRS open option: GDAL asks for ``crs=.../EPSG/0/4545``; every vertex of every
    parcel is within 1 mm of the stored one (easting, northing as GDAL orders them)."""
    log = city.service.log
    mark = log.mark()
    frame = pyogrio.read_dataframe(
        f"OAPIF:{city.base}/ogc/collections/parcels", CRS="EPSG:4545", PAGE_SIZE="1000"
    )
    assert frame.crs is not None and frame.crs.to_epsg() == 4545, frame.crs
    # GDAL first reads a few features to learn the fields (limit=20, no crs); the pages
    # of features it returns are the requests at the page size.
    pages = [
        r
        for r in log.requests_since(mark)
        if r.path == "/ogc/collections/parcels/items" and r.query.get("limit") == "1000"
    ]
    assert pages, "GDAL asked for no page of 1000"
    crs_asked = {r.query.get("crs") for r in pages}
    assert crs_asked == {"http://www.opengis.net/def/crs/EPSG/0/4545"}, crs_asked
    stored = _stored(city)
    assert set(frame["parcel_code"]) == set(stored)
    worst = max(
        _vertex_distance(geom, stored[code])
        for code, geom in zip(frame["parcel_code"], frame.geometry, strict=True)
    )
    assert worst < MM, f"a vertex is {worst * 1000:.3f} mm from where it is stored"
    for code, geom in zip(frame["parcel_code"], frame.geometry, strict=True):
        assert abs(geom.area - stored[code].area) < AREA_TOL_M2, code


def test_gdal_pushes_an_attribute_filter_to_the_server(city):
    """``land_use_code = '0601'`` gives exactly the industrial parcels, and the service's
    log shows it was the server that filtered (``filter=`` or ``land_use_code=``)."""
    log = city.service.log
    mark = log.mark()
    frame = pyogrio.read_dataframe(
        f"OAPIF:{city.base}/ogc/collections/parcels", where="land_use_code = '0601'"
    )
    assert set(frame["parcel_code"]) == city.current_codes("land_use_code = '0601'")
    assert len(frame) == frame["parcel_code"].nunique()
    items = [r for r in log.requests_since(mark) if r.path == "/ogc/collections/parcels/items"]
    pushed = [r for r in items if "filter" in r.query or r.query.get("land_use_code") == "0601"]
    assert pushed, f"GDAL filtered on its side; it asked: {[r.target for r in items]}"
    assert all(r.status == 200 for r in pushed), [(r.target, r.status) for r in pushed]


def test_ogrinfo_lists_every_collection(city):
    done = subprocess.run(
        [gdal_bin("ogrinfo"), "-ro", "-q", f"OAPIF:{city.base}/ogc"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # "1: parcels (Multi Polygon)" per layer
    layers = {
        line.split(":", 1)[1].split("(")[0].strip()
        for line in done.stdout.splitlines()
        if ":" in line
    }
    context = {r[0] for r in city.rows("SELECT name FROM context_layer")}
    assert set(CORE_COLLECTIONS) | context <= layers, done.stdout


def test_ogr2ogr_copies_the_parcels_collection_to_a_geopackage(city, tmp_path):
    out = tmp_path / "parcels.gpkg"
    done = subprocess.run(
        [
            gdal_bin("ogr2ogr"),
            "-f",
            "GPKG",
            str(out),
            f"OAPIF:{city.base}/ogc",
            "parcels",
            "-oo",
            f"PAGE_SIZE={PAGE_SIZE}",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    copy = pyogrio.read_dataframe(out, layer="parcels")
    assert copy.crs is not None and copy.crs.to_epsg() == 4326, copy.crs
    expected = city.current_codes()
    assert len(copy) == len(expected)
    assert set(copy["parcel_code"]) == expected
    # A sample of geometries and areas: every 50th parcel by code.
    sample = sorted(expected)[::50]
    stored = _stored(city, sample)
    areas = dict(
        city.rows(
            "SELECT parcel_code, area_m2 FROM parcel_version "
            "WHERE valid_to IS NULL AND parcel_code = ANY(:c)",
            c=sample,
        )
    )
    rows = copy.set_index("parcel_code").loc[sample]
    for code, row in rows.iterrows():
        assert _vertex_distance(row.geometry, _lonlat(stored[code])) < DEGREE_TOL, code
        assert abs(row["area_m2"] - areas[code]) < AREA_TOL_M2, code
