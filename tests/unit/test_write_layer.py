"""No database: writing one layer with GDAL (``gis.files.write_layer``) — a Shapefile's
encoding in its .cpg and its .dbf, names a .dbf can't hold refused, a CSV's WKT column and
.prj, GeoJSON as RFC 7946 without losing a vertex's millimetres. Each file is read back
with pyogrio (GDAL) and compared with what was written."""

from __future__ import annotations

import json

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from gis.errors import FileFormatError
from gis.files import write_layer

SQUARE = MultiPolygon([box(500000.25, 3800000.5, 500100.25, 3800080.5)])  # 8,000 m², EPSG:4545


def _frame(**columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[SQUARE], crs="EPSG:4545")


def test_a_gb18030_shapefile_names_its_encoding_and_holds_gb18030_bytes(tmp_path):
    path = tmp_path / "p.shp"
    write_layer(
        _frame(宗地号=["CJP-1"], 权利人=["宝鸡某公司"]),
        path,
        layer="p",
        driver="ESRI Shapefile",
        encoding="GB18030",
    )
    assert (tmp_path / "p.cpg").read_text() == "GB18030"
    dbf = (tmp_path / "p.dbf").read_bytes()
    for text in ("宗地号", "宝鸡某公司"):
        assert text.encode("gb18030") in dbf
        assert text.encode("utf-8") not in dbf
    back = pyogrio.read_dataframe(path)
    assert list(back.columns[:2]) == ["宗地号", "权利人"] and back["权利人"][0] == "宝鸡某公司"
    assert back.crs.to_epsg() == 4545
    assert shapely.area(back.geometry[0]) == pytest.approx(8000.0, abs=1e-9)


def test_a_utf8_shapefile_says_so_and_shrinks_its_text_fields(tmp_path):
    path = tmp_path / "p.shp"
    write_layer(_frame(code=["CJP-1"]), path, layer="p", driver="ESRI Shapefile")
    assert (tmp_path / "p.cpg").read_text() == "UTF-8"
    assert {p.suffix for p in tmp_path.iterdir()} == {".shp", ".shx", ".dbf", ".prj", ".cpg"}
    # a dBASE field descriptor (32 bytes from byte 32) holds the field's width at byte 16
    assert (tmp_path / "p.dbf").read_bytes()[32 + 16] == len("CJP-1")


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("parcel_code", "UTF-8"), ("宗地编号", "UTF-8"), ("宗地编号面积", "GB18030")],
)
def test_a_field_name_longer_than_ten_bytes_is_refused_not_cut(tmp_path, name, encoding):
    with pytest.raises(FileFormatError, match=name):
        write_layer(
            _frame(**{name: ["x"]}),
            tmp_path / "p.shp",
            layer="p",
            driver="ESRI Shapefile",
            encoding=encoding,
        )
    assert not (tmp_path / "p.dbf").exists()


def test_a_csv_has_wkt_first_a_bom_when_asked_and_a_prj_gdal_reads_back(tmp_path):
    path = tmp_path / "p.csv"
    write_layer(_frame(code=["CJP-1"]), path, layer="p", driver="CSV", bom=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfWKT,code\r\n")
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:4545"
    back = pyogrio.read_dataframe(path)
    assert shapely.equals_exact(back.geometry[0], SQUARE, tolerance=1e-6)


def test_a_gb18030_csv_has_no_bom(tmp_path):
    path = tmp_path / "p.csv"
    write_layer(
        _frame(权利人=["宝鸡某公司"]), path, layer="p", driver="CSV", encoding="GB18030", bom=True
    )
    raw = path.read_bytes()
    assert raw.startswith(b"WKT,") and "宝鸡某公司".encode("gb18030") in raw


def test_geojson_is_rfc7946_to_a_trillionth_of_a_degree(tmp_path):
    lonlat = MultiPolygon([box(107.123456789012, 34.1, 107.2, 34.2)])
    frame = gpd.GeoDataFrame({"code": ["A"]}, geometry=[lonlat], crs="EPSG:4326")
    path = tmp_path / "p.geojson"
    write_layer(frame, path, layer="p", driver="GeoJSON")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in document  # RFC 7946: no crs member, WGS84 by definition
    ring = document["features"][0]["geometry"]["coordinates"][0][0]
    assert 107.123456789012 in [x for x, _ in ring]
    assert shapely.Polygon(ring).exterior.is_ccw  # exteriors counter-clockwise


@pytest.mark.parametrize("driver", ["GPKG", "GeoJSON"])
def test_utf8_only_formats_refuse_another_encoding(tmp_path, driver):
    with pytest.raises(FileFormatError, match="UTF-8"):
        write_layer(_frame(code=["A"]), tmp_path / "p", layer="p", driver=driver, encoding="GBK")


def test_an_empty_layer_keeps_its_geometry_type(tmp_path):
    empty = gpd.GeoDataFrame({"code": []}, geometry=gpd.GeoSeries([], crs="EPSG:4545"))
    path = tmp_path / "p.gpkg"
    write_layer(empty, path, layer="parcels", driver="GPKG", geometry_type="MultiPolygon")
    info = pyogrio.read_info(path, layer="parcels")
    assert (info["features"], info["geometry_type"]) == (0, "MultiPolygon")
