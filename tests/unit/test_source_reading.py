"""No database: one layer of every handed-over format is read with its encoding and CRS
decided and said — GBK Shapefiles without a .cpg come out as Chinese, never mojibake; a
missing CRS is refused with a suggestion, a contradicting one refused; DXF closed
polylines become labelled polygons.

Expected values are the literal Chinese strings and the frame the files were written
from; geometries are compared with shapely (topological equality, areas), coordinates in
another CRS with our own pyproj transformer.
"""

from __future__ import annotations

import json
import math

import ezdxf
import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box
from support_landfiles import (
    chinese_fields,
    dbf_field_names_raw,
    ugly_parcels_4545,
    write_csv_wkt,
    write_dxf,
    write_filegdb,
    write_geojson,
    write_geopackage,
    write_kml,
    write_shapefile,
    write_zone_prefixed_shapefile,
    zip_paths,
)

from gis.errors import MissingCrs, SourceError
from gis.reading import SourceLayer, read_source
from gis.sources import find_dataset, unpack_archive

CODES = [
    "610323100201GB00012",
    "610323100201GB00013",
    "610323100201GB00014",
    "610323100201GB00027",
    "610323100201GB00028",
    "610323100201GB00031",
]
USES = ["工业用地", "工业用地", "仓储用地", "工业用地", "商服用地", "工业用地"]
HOLDERS = [
    "陕西汽车控股集团有限公司",
    "宝鸡市土地储备中心",
    "陕西法士特齿轮有限责任公司",
    "宝鸡市土地储备中心",
    "岐山县蔡家坡镇人民政府",
    "陕西重型汽车有限公司",
]


@pytest.fixture(scope="module")
def parcels() -> gpd.GeoDataFrame:
    """The sample parcels with land-use names (工业用地 …) instead of codes."""
    frame = ugly_parcels_4545()
    assert frame["parcel_code"].tolist() == CODES and frame["holder"].tolist() == HOLDERS
    return frame.assign(land_use_code=USES)


@pytest.fixture(scope="module")
def bureau_frame(parcels) -> gpd.GeoDataFrame:
    """Columns as a bureau's Shapefile names them: 宗地编号, 用地性质, 权利人, 面积."""
    return chinese_fields(parcels)


def _same_shapes(layer: SourceLayer, expected: gpd.GeoSeries, *, tolerance: float = 1e-6):
    """Every geometry read is the one written (orientation, start vertex and Multi- aside)
    to within *tolerance* (in the CRS's units: a format's coordinate precision)."""
    got = shapely.force_2d(np.asarray(layer.frame.geometry.array))
    want = np.asarray(expected.array)
    assert len(got) == len(want)
    assert (shapely.hausdorff_distance(got, want) <= tolerance).all()
    assert np.allclose(shapely.area(got), shapely.area(want), rtol=1e-8, atol=0)


def _assert_read_as_written(layer: SourceLayer, frame: gpd.GeoDataFrame) -> None:
    assert layer.frame.index.equals(gpd.pd.RangeIndex(len(frame)))
    assert layer.rows.tolist() == list(range(1, len(frame) + 1))
    _same_shapes(layer, frame.geometry)


# --- Shapefile encodings ------------------------------------------------------------------------


def test_gbk_shapefile_without_cpg_reads_without_mojibake(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "宗地.shp", encoding="GBK", cpg=False)
    assert not shp.with_suffix(".cpg").exists()
    # the file really is GBK: names and values are GBK bytes, not UTF-8
    assert dbf_field_names_raw(shp) == [
        "宗地编号".encode("gbk"),
        "用地性质".encode("gbk"),
        "权利人".encode("gbk"),
        "面积".encode("gbk"),
    ]
    raw = shp.with_suffix(".dbf").read_bytes()
    assert raw[29] == 0  # no language driver id either: nothing in the file names the encoding
    assert "陕西法士特齿轮有限责任公司".encode("gbk") in raw
    assert "陕西法士特齿轮有限责任公司".encode() not in raw

    layer = read_source(shp)

    assert layer.frame.columns.tolist() == ["宗地编号", "用地性质", "权利人", "面积", "geometry"]
    assert layer.frame["宗地编号"].tolist() == CODES
    assert layer.frame["用地性质"].tolist() == USES
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert layer.frame["面积"].tolist() == pytest.approx(bureau_frame["面积"].tolist())
    assert (layer.encoding, layer.encoding_source) == ("GB18030", "gb18030 (fallback)")
    assert any("GB18030" in note for note in layer.notes)
    assert (layer.crs_epsg, layer.crs_source, layer.driver) == (4545, "file", "ESRI Shapefile")
    assert layer.layer == "宗地"
    _assert_read_as_written(layer, bureau_frame)


def test_utf8_shapefile_with_cpg_reads_as_utf8(tmp_path, parcels):
    frame = parcels.rename(columns={"land_use_code": "用地", "holder": "权利人"})
    shp = write_shapefile(frame, tmp_path / "p.shp", encoding="UTF-8", cpg=True)
    assert shp.with_suffix(".cpg").read_text().strip() == "UTF-8"
    assert "权利人".encode() in dbf_field_names_raw(shp)

    layer = read_source(shp)

    assert layer.frame["权利人"].tolist() == HOLDERS
    assert layer.frame["用地"].tolist() == USES
    assert (layer.encoding, layer.encoding_source) == ("UTF-8", "cpg")


def test_utf8_shapefile_without_cpg_is_found_to_be_utf8(tmp_path, parcels):
    frame = parcels.rename(columns={"holder": "权利人"})
    shp = write_shapefile(frame, tmp_path / "p.shp", encoding="UTF-8", cpg=False)
    layer = read_source(shp)
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert (layer.encoding, layer.encoding_source) == ("UTF-8", "utf-8")


@pytest.mark.parametrize("declared", ["GBK", "936", "ANSI 936", "GB2312"])
def test_a_cpg_naming_a_chinese_code_page_is_honoured(tmp_path, bureau_frame, declared):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", encoding="GBK")
    shp.with_suffix(".cpg").write_text(declared)
    layer = read_source(shp)
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert layer.encoding_source == "cpg"
    assert layer.encoding in {"GBK", "GB2312"}


def test_a_cpg_contradicting_the_text_is_refused_not_read_as_mojibake(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", encoding="GBK")
    shp.with_suffix(".cpg").write_text("UTF-8")
    with pytest.raises(SourceError) as raised:
        read_source(shp)
    assert "UTF-8" in str(raised.value) and "GB18030" in str(raised.value)


def test_an_encoding_given_overrides_the_cpg(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", encoding="GBK")
    shp.with_suffix(".cpg").write_text("UTF-8")
    layer = read_source(shp, encoding="GBK")
    assert layer.frame["用地性质"].tolist() == USES
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert (layer.encoding, layer.encoding_source) == ("GBK", "given")


def test_an_encoding_given_that_the_text_is_not_in_is_refused(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", encoding="GBK")
    with pytest.raises(SourceError, match="not valid UTF-8"):
        read_source(shp, encoding="UTF-8")


def test_geometry_is_kept_as_read_even_when_invalid_or_missing(tmp_path, bureau_frame):
    bow_tie = Polygon(
        [(462_000, 3_798_000), (462_100, 3_798_100), (462_100, 3_798_000), (462_000, 3_798_100)]
    )
    frame = bureau_frame.iloc[:3].copy()
    frame.loc[frame.index[1], "geometry"] = bow_tie
    frame.loc[frame.index[2], "geometry"] = None
    layer = read_source(write_shapefile(frame, tmp_path / "p.shp"))
    got = layer.frame.geometry
    assert not shapely.is_valid(got.iloc[1])
    assert shapely.equals_exact(shapely.normalize(got.iloc[1]), shapely.normalize(bow_tie))
    assert got.iloc[2] is None or got.iloc[2].is_empty
    assert layer.rows.tolist() == [1, 2, 3]


# --- Shapefile CRS -----------------------------------------------------------------------------


def test_zone_prefixed_shapefile_with_prj_resolves_to_4524(tmp_path, bureau_frame):
    shp = write_zone_prefixed_shapefile(bureau_frame, tmp_path / "p.shp", prj=True)
    layer = read_source(shp)
    assert (layer.crs_epsg, layer.crs_source) == (4524, "file")
    to_4524 = Transformer.from_crs("EPSG:4545", "EPSG:4524", always_xy=True)
    expected = shapely.transform(
        np.asarray(bureau_frame.geometry.array),
        lambda xy: np.column_stack(to_4524.transform(xy[:, 0], xy[:, 1])),
    )
    assert (layer.frame.geometry.bounds["minx"] > 36_000_000).all()
    _same_shapes(layer, gpd.GeoSeries(expected), tolerance=1e-3)


@pytest.mark.parametrize("flavour", ["WKT1_ESRI", "WKT1_GDAL"])
@pytest.mark.parametrize("epsg", [4545, 4524])
def test_prj_files_written_by_desktop_tools_resolve_to_their_epsg_code(
    tmp_path, bureau_frame, epsg, flavour
):
    from pyproj import CRS

    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", crs_epsg=epsg)
    shp.with_suffix(".prj").write_text(CRS.from_epsg(epsg).to_wkt(flavour))
    assert read_source(shp).crs_epsg == epsg


def test_zone_prefixed_shapefile_without_prj_suggests_4524(tmp_path, bureau_frame):
    shp = write_zone_prefixed_shapefile(bureau_frame, tmp_path / "p.shp", prj=False)
    with pytest.raises(MissingCrs) as raised:
        read_source(shp)
    assert raised.value.suggestion == "EPSG:4524"
    message = str(raised.value)
    assert "no .prj" in message
    assert "36,4xx,xxx" in message and "zone prefix 36" in message


def test_unprefixed_shapefile_without_prj_suggests_4545_naming_the_assumed_meridian(
    tmp_path, bureau_frame
):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp", prj=False)
    with pytest.raises(MissingCrs) as raised:
        read_source(shp)
    assert raised.value.suggestion == "EPSG:4545"
    assert "without zone prefix" in str(raised.value)
    assert "108°E" in str(raised.value)


def test_a_crs_given_is_used_when_the_file_has_none(tmp_path, bureau_frame):
    shp = write_zone_prefixed_shapefile(bureau_frame, tmp_path / "p.shp", prj=False)
    layer = read_source(shp, crs_epsg=4524)
    assert (layer.crs_epsg, layer.crs_source) == (4524, "given")
    assert layer.frame.crs.to_epsg() == 4524


def test_a_crs_given_that_contradicts_the_file_is_refused(tmp_path, bureau_frame):
    shp = write_zone_prefixed_shapefile(bureau_frame, tmp_path / "p.shp", prj=True)
    with pytest.raises(SourceError) as raised:
        read_source(shp, crs_epsg=4545)
    assert not isinstance(raised.value, MissingCrs)
    assert "EPSG:4524" in str(raised.value) and "EPSG:4545" in str(raised.value)
    assert "disagree" in str(raised.value)


def test_a_crs_given_that_agrees_with_the_file_is_the_files(tmp_path, bureau_frame):
    layer = read_source(write_shapefile(bureau_frame, tmp_path / "p.shp"), crs_epsg=4545)
    assert (layer.crs_epsg, layer.crs_source) == (4545, "file")


def test_a_zipped_gbk_shapefile_reads_after_unpacking(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "src" / "宗地.shp")
    archive = zip_paths([shp], tmp_path / "宗地.zip", folder="成果", name_encoding="gbk")
    dataset = find_dataset(unpack_archive(archive, tmp_path / "out"))
    layer = read_source(dataset)
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert layer.layer == "宗地"
    _assert_read_as_written(layer, bureau_frame)


def test_a_shapefile_missing_its_dbf_is_refused(tmp_path, bureau_frame):
    shp = write_shapefile(bureau_frame, tmp_path / "p.shp")
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(SourceError, match=r"\.dbf"):
        read_source(shp)


# --- DXF ---------------------------------------------------------------------------------------


def _by_label(layer: SourceLayer) -> dict[str, float]:
    return dict(zip(layer.frame["label"], shapely.area(layer.frame.geometry.array), strict=True))


def test_dxf_with_text_labels_gives_labelled_polygons(tmp_path, parcels):
    dxf = write_dxf(parcels, tmp_path / "勘测定界.dxf", code_column="parcel_code")
    layer = read_source(dxf, crs_epsg=4545)
    assert (layer.driver, layer.layer, layer.crs_epsg, layer.crs_source) == (
        "DXF",
        "entities",
        4545,
        "given",
    )
    assert sorted(layer.frame["label"]) == sorted(CODES)
    expected = dict(zip(parcels["parcel_code"], parcels.geometry.area, strict=True))
    assert _by_label(layer) == pytest.approx(expected, abs=1e-6)
    by_code = parcels.set_index("parcel_code").geometry
    for label, geom in zip(layer.frame["label"], layer.frame.geometry, strict=True):
        assert shapely.equals(geom, by_code[label])
    assert "1 open polyline in the DXF was ignored" in " ".join(layer.notes)
    assert any("1 text outside every closed polyline" in note for note in layer.notes)
    assert layer.frame.index.equals(gpd.pd.RangeIndex(len(CODES)))
    assert len(set(layer.rows)) == len(CODES) and layer.rows.min() >= 1


def test_dxf_with_block_attribute_labels_gives_labelled_polygons(tmp_path, parcels):
    dxf = write_dxf(parcels, tmp_path / "p.dxf", code_column="parcel_code", as_block_attribute=True)
    layer = read_source(dxf, crs_epsg=4545)
    expected = dict(zip(parcels["parcel_code"], parcels.geometry.area, strict=True))
    assert _by_label(layer) == pytest.approx(expected, abs=1e-6)
    notes = " ".join(layer.notes)
    assert "1 open polyline" in notes
    assert "block graphics" in notes  # the block's marker circles are not parcels


def test_dxf_written_in_gbk_under_a_wrong_code_page_reads_without_mojibake(tmp_path, parcels):
    frame = parcels.assign(parcel_code=[f"蔡家坡-{n}" for n in range(len(parcels))])
    dxf = write_dxf(
        frame, tmp_path / "p.dxf", code_column="parcel_code", dxfversion="R2004", encoding="cp936"
    )
    assert "蔡家坡".encode("gbk") in dxf.read_bytes()
    layer = read_source(dxf, crs_epsg=4545)
    assert sorted(layer.frame["label"]) == sorted(frame["parcel_code"])
    assert layer.encoding_source == "gb18030 (fallback)"


def test_dxf_polygon_with_two_texts_keeps_the_first_and_says_so(tmp_path):
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(462_000, 3_798_000), (462_100, 3_798_000), (462_100, 3_798_080), (462_000, 3_798_080)],
        close=True,
    )
    msp.add_text("DK-01", dxfattribs={"insert": (462_020, 3_798_040)})
    msp.add_mtext("{\\fSimSun|b0;DK-09}\\P面积 8000", dxfattribs={"insert": (462_060, 3_798_040)})
    # closed by its last vertex, not by the flag; and an unlabelled one
    msp.add_lwpolyline(
        [(462_200, 3_798_000), (462_300, 3_798_000), (462_300, 3_798_050), (462_200, 3_798_000)]
    )
    msp.add_lwpolyline(
        [(462_400, 3_798_000), (462_450, 3_798_000), (462_450, 3_798_050)], close=True
    )
    msp.add_text("DK-02", dxfattribs={"insert": (462_280, 3_798_010)})
    doc.saveas(tmp_path / "p.dxf")

    layer = read_source(tmp_path / "p.dxf", crs_epsg=4545)

    assert layer.frame["label"].tolist() == ["DK-01", "DK-02", None]
    assert shapely.area(layer.frame.geometry.array).tolist() == pytest.approx([8000, 2500, 1250])
    assert any("kept 'DK-01'" in note and "'DK-09'" in note for note in layer.notes)
    assert any("1 closed polyline with no text" in note for note in layer.notes)


def test_dxf_without_a_crs_given_suggests_one(tmp_path, parcels):
    dxf = write_dxf(parcels, tmp_path / "p.dxf", code_column="parcel_code")
    with pytest.raises(MissingCrs) as raised:
        read_source(dxf)
    assert raised.value.suggestion == "EPSG:4545"


def test_dxf_layer_names_a_cad_layer(tmp_path, parcels):
    dxf = write_dxf(parcels, tmp_path / "p.dxf", code_column="parcel_code")
    assert len(read_source(dxf, layer="ZD", crs_epsg=4545).frame) == len(parcels)
    with pytest.raises(SourceError, match="ZD"):
        read_source(dxf, layer="JZD", crs_epsg=4545)


# --- File Geodatabase, GeoPackage, GeoJSON, KML ---------------------------------------------------


def test_file_geodatabase_reads_its_feature_class(tmp_path, bureau_frame):
    gdb = write_filegdb(bureau_frame, tmp_path / "成果.gdb", layer="宗地")
    layer = read_source(gdb)
    assert (layer.driver, layer.layer) == ("OpenFileGDB", "宗地")
    assert (layer.encoding, layer.encoding_source) == (None, "format")
    assert (layer.crs_epsg, layer.crs_source) == (4545, "file")
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert layer.rows.tolist() == [1, 2, 3, 4, 5, 6]
    _same_shapes(layer, bureau_frame.geometry, tolerance=1e-6)  # FileGDB moves vertices ~2e-7 m


def test_geopackage_with_several_layers_needs_the_layer_named(tmp_path, bureau_frame):
    gpkg = write_geopackage(bureau_frame, tmp_path / "p.gpkg", layer="parcels_2024")
    write_geopackage(bureau_frame.iloc[:2], gpkg, layer="parcels_2025")
    with pytest.raises(SourceError) as raised:
        read_source(gpkg)
    assert "parcels_2024" in str(raised.value) and "parcels_2025" in str(raised.value)
    layer = read_source(gpkg, layer="parcels_2025")
    assert layer.layer == "parcels_2025"
    assert layer.frame["宗地编号"].tolist() == CODES[:2]
    _assert_read_as_written(layer, bureau_frame.iloc[:2])
    with pytest.raises(SourceError, match="no layer 'parcels'"):
        read_source(gpkg, layer="parcels")


def test_geopackage_with_one_spatial_layer_beside_a_table_reads_that_layer(tmp_path, bureau_frame):
    gpkg = write_geopackage(bureau_frame, tmp_path / "p.gpkg", layer="宗地")
    pyogrio.write_dataframe(
        gpd.pd.DataFrame({"styleName": ["default"]}), gpkg, layer="layer_styles"
    )
    layer = read_source(gpkg, encoding="GBK")
    assert layer.layer == "宗地"
    assert (layer.encoding, layer.encoding_source) == (None, "format")
    assert any("layer_styles" in note for note in layer.notes)
    assert any("GBK was ignored" in note for note in layer.notes)  # GeoPackage is UTF-8


def test_geojson_in_longitude_latitude_reads_as_epsg_4326(tmp_path, bureau_frame):
    layer = read_source(write_geojson(bureau_frame, tmp_path / "p.geojson"))
    assert (layer.crs_epsg, layer.crs_source, layer.driver) == (4326, "file", "GeoJSON")
    assert layer.frame["用地性质"].tolist() == USES
    _same_shapes(layer, bureau_frame.to_crs(4326).geometry, tolerance=1e-12)


def test_geojson_with_a_crs_member_reads_in_that_crs(tmp_path, bureau_frame):
    layer = read_source(write_geojson(bureau_frame, tmp_path / "p.geojson", crs_epsg=4545))
    assert layer.crs_epsg == 4545
    _assert_read_as_written(layer, bureau_frame)


def test_geojson_in_metres_without_a_crs_member_counts_as_having_no_crs(tmp_path, parcels):
    path = tmp_path / "p.json"
    features = [
        {
            "type": "Feature",
            "properties": {"code": code},
            "geometry": shapely.geometry.mapping(geom),
        }
        for code, geom in zip(parcels["parcel_code"], parcels.geometry, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(MissingCrs) as raised:
        read_source(path)
    assert raised.value.suggestion == "EPSG:4545"
    layer = read_source(path, crs_epsg=4545)
    assert (layer.crs_epsg, layer.crs_source) == (4545, "given")
    assert any("RFC 7946" in note for note in layer.notes)
    _assert_read_as_written(layer, parcels)


def test_kml_reads_as_epsg_4326(tmp_path, bureau_frame):
    layer = read_source(write_kml(bureau_frame, tmp_path / "p.kml"))
    assert (layer.crs_epsg, layer.crs_source) == (4326, "file")
    assert layer.frame["宗地编号"].tolist() == CODES
    assert layer.frame["权利人"].tolist() == HOLDERS
    _same_shapes(layer, bureau_frame.to_crs(4326).geometry, tolerance=1e-8)  # KML's digits


# --- CSV with WKT -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "reported", "source"),
    [
        ("UTF-8", "UTF-8", "utf-8"),
        ("utf-8-sig", "UTF-8", "utf-8"),
        ("GB18030", "GB18030", "gb18030 (fallback)"),
    ],
)
def test_csv_with_a_wkt_column_reads_in_its_encoding(
    tmp_path, bureau_frame, encoding, reported, source
):
    csv = write_csv_wkt(bureau_frame, tmp_path / "p.csv", encoding=encoding)
    layer = read_source(csv, crs_epsg=4545)
    assert layer.frame.columns.tolist() == ["宗地编号", "用地性质", "权利人", "面积", "geometry"]
    assert layer.frame["宗地编号"].tolist() == CODES
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert (layer.encoding, layer.encoding_source) == (reported, source)
    assert (layer.crs_epsg, layer.crs_source, layer.driver) == (4545, "given", "CSV")
    _assert_read_as_written(layer, bureau_frame)


def test_csv_keeps_codes_with_leading_zeros_as_text(tmp_path, parcels):
    csv = write_csv_wkt(
        parcels.assign(land_use_code="0601"), tmp_path / "p.csv", geometry_column="geometry"
    )
    assert read_source(csv, crs_epsg=4545).frame["land_use_code"].tolist() == ["0601"] * len(
        parcels
    )


def test_csv_without_a_crs_suggests_one(tmp_path, parcels):
    csv = write_csv_wkt(parcels, tmp_path / "p.csv", geometry_column="shape")
    with pytest.raises(MissingCrs) as raised:
        read_source(csv)
    assert raised.value.suggestion == "EPSG:4545"


def test_csv_without_a_wkt_column_is_refused_naming_the_names_looked_for(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("宗地编号,x,y\nDK-01,462000,3798000\n", encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        read_source(csv, crs_epsg=4545)
    assert "WKT" in str(raised.value) and "宗地编号" in str(raised.value)


def test_curves_are_read_as_linear_rings(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text(
        'code,WKT\nC1,"CURVEPOLYGON(CIRCULARSTRING(462000 3798000,462010 3798010,462020 3798000,'
        '462010 3797990,462000 3798000))"\n',
        encoding="utf-8",
    )
    geom = read_source(csv, crs_epsg=4545).frame.geometry.iloc[0]
    assert geom.geom_type == "Polygon"
    assert geom.area == pytest.approx(math.pi * 10**2, rel=0.01)


def test_unsupported_files_and_archives_are_refused_with_advice(tmp_path):
    (tmp_path / "p.txt").write_text("x")
    with pytest.raises(SourceError, match="not a supported format"):
        read_source(tmp_path / "p.txt")
    zipped = zip_paths([tmp_path / "p.txt"], tmp_path / "p.zip")
    with pytest.raises(SourceError, match="unpack"):
        read_source(zipped)
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "missing.shp")


def test_a_square_in_lonlat_is_not_taken_for_metres(tmp_path):
    # the EPSG:4326 a GeoJSON implies stays when its coordinates are degrees
    frame = gpd.GeoDataFrame(
        {"code": ["A"]}, geometry=[box(107.58, 34.30, 107.59, 34.31)], crs=4326
    )
    assert read_source(write_geojson(frame, tmp_path / "p.geojson")).crs_epsg == 4326


def test_dxf_unicode_escapes_in_text_become_characters(tmp_path):
    doc = ezdxf.new("R2000")  # ezdxf, like AutoCAD, writes \U+XXXX for what ANSI_1252 lacks
    msp = doc.modelspace()
    msp.add_lwpolyline([(0, 0), (50, 0), (50, 50), (0, 50)], close=True)
    msp.add_text("宗地DK-01", dxfattribs={"insert": (25, 25)})
    doc.saveas(tmp_path / "p.dxf")
    assert b"\\U+5B97" in (tmp_path / "p.dxf").read_bytes().upper()
    layer = read_source(tmp_path / "p.dxf", crs_epsg=4545)
    assert layer.frame["label"].tolist() == ["宗地DK-01"]
    assert pyogrio.get_gdal_config_option("DXF_ENCODING") is None  # set for the read only


def test_utf8_field_names_cut_inside_a_character_read_without_the_cut_character(
    tmp_path, bureau_frame
):
    shp = tmp_path / "p.shp"
    with pytest.warns(RuntimeWarning, match="laundered"):  # GDAL cuts 宗地编号 at 10 bytes
        pyogrio.write_dataframe(bureau_frame, shp, encoding="UTF-8")
    assert "宗地编号".encode()[:10] in dbf_field_names_raw(shp)
    layer = read_source(shp)
    assert layer.frame.columns.tolist() == ["宗地编", "用地性", "权利人", "面积", "geometry"]
    assert layer.frame["宗地编"].tolist() == CODES
    assert layer.frame["用地性"].tolist() == USES
    assert layer.frame["权利人"].tolist() == HOLDERS
    assert (layer.encoding, layer.encoding_source) == ("UTF-8", "cpg")
    assert any("cut inside a character" in note for note in layer.notes)
    _assert_read_as_written(layer, bureau_frame)
