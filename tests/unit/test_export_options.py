"""No database: what an export is asked for, checked — the format a file name says, the CRS
each format takes, the encodings, `as_of` only for parcels and never in the future, `all`
only where the file can hold it — the file's name, and the names of the fields, which a
Shapefile must hold in 10 bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from parks.errors import InvalidParameter
from service.exports import frames
from service.exports.columns import LAYER_FIELDS, column_names
from service.exports.options import (
    ExportFormat,
    ExportLayer,
    FieldNames,
    TextEncoding,
    export_request,
    format_from_path,
)
from service.exports.projects import milestones_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SINGLE_LAYERS = (ExportLayer.PARCELS, ExportLayer.BUILDINGS, ExportLayer.PROJECTS)


def _request(**kw):
    kw.setdefault("srid", None)
    kw.setdefault("storage_srid", 4545)
    kw.setdefault("now", NOW)
    return export_request(**kw)


def _refused(parameter: str, **kw) -> str:
    with pytest.raises(InvalidParameter) as caught:
        _request(**kw)
    assert caught.value.parameter == parameter, caught.value.message
    return caught.value.message


# --- the file name says the format ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "format", "zipped"),
    [
        ("parcels.gpkg", ExportFormat.GPKG, False),
        ("out/PARCELS.GPKG", ExportFormat.GPKG, False),
        ("parcels.shp", ExportFormat.SHP, False),
        ("parcels.zip", ExportFormat.SHP, True),
        ("parcels.shp.zip", ExportFormat.SHP, True),
        ("parcels.geojson", ExportFormat.GEOJSON, False),
        ("parcels.json", ExportFormat.GEOJSON, False),
        ("layers.geojson.zip", ExportFormat.GEOJSON, True),
        ("parcels.csv", ExportFormat.CSV, False),
        ("layers.csv.zip", ExportFormat.CSV, True),
        ("report.xlsx", ExportFormat.XLSX, False),
    ],
)
def test_the_file_names_ending_says_the_format_and_whether_it_is_zipped(name, format, zipped):
    assert format_from_path(name) == (format, zipped)


@pytest.mark.parametrize("name", ["parcels.txt", "parcels", ".gpkg", "parcels.gpkg.bak"])
def test_a_file_name_without_a_known_ending_is_refused_naming_out(name):
    with pytest.raises(InvalidParameter) as caught:
        format_from_path(name)
    assert caught.value.parameter == "out"


# --- CRS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("format", [ExportFormat.GPKG, ExportFormat.SHP, ExportFormat.CSV])
def test_files_with_coordinates_default_to_the_storage_crs_and_take_another(format):
    assert _request(format=format).srid == 4545
    assert _request(format=format, storage_srid=4544).srid == 4544
    assert _request(format=format, srid=4490).srid == 4490


@pytest.mark.parametrize("format", [ExportFormat.GEOJSON, ExportFormat.XLSX])
def test_geojson_and_workbook_points_are_always_wgs84(format):
    assert _request(format=format).srid == 4326
    assert _request(format=format, srid=4326).srid == 4326
    message = _refused("crs", format=format, srid=4545)
    assert "EPSG:4326" in message and "EPSG:4545" in message


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize("format", [ExportFormat.SHP, ExportFormat.CSV])
def test_shapefiles_and_csv_may_be_gb18030(format):
    assert _request(format=format).encoding is TextEncoding.UTF8
    assert _request(format=format, encoding=TextEncoding.GB18030).encoding is TextEncoding.GB18030


@pytest.mark.parametrize("format", [ExportFormat.GPKG, ExportFormat.GEOJSON, ExportFormat.XLSX])
def test_utf8_only_formats_refuse_gb18030_naming_encoding(format):
    assert _request(format=format, encoding=TextEncoding.UTF8).encoding is TextEncoding.UTF8
    _refused("encoding", format=format, encoding=TextEncoding.GB18030)


# --- as_of ----------------------------------------------------------------------------------


def test_as_of_applies_to_parcels():
    moment = NOW - timedelta(days=30)
    assert _request(format=ExportFormat.GPKG, as_of=moment).as_of == moment


@pytest.mark.parametrize("layer", [ExportLayer.BUILDINGS, ExportLayer.PROJECTS, ExportLayer.ALL])
def test_as_of_with_a_layer_that_keeps_no_history_is_refused_naming_as_of(layer):
    message = _refused("as_of", format=ExportFormat.GPKG, layer=layer, as_of=NOW - timedelta(1))
    assert "history" in message


def test_a_moment_in_the_future_is_refused_naming_as_of():
    _refused("as_of", format=ExportFormat.GPKG, as_of=NOW + timedelta(microseconds=1))
    assert _request(format=ExportFormat.GPKG, as_of=NOW).as_of == NOW  # now itself is known


def test_a_moment_before_the_year_one_in_utc_is_refused_not_a_crash():
    east = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    _refused("as_of", format=ExportFormat.GPKG, as_of=east)


# --- layers and zips ------------------------------------------------------------------------


def test_the_api_zips_shapefiles_and_every_layer_of_a_one_layer_format():
    assert _request(format=ExportFormat.SHP).zipped
    for format in (ExportFormat.GEOJSON, ExportFormat.CSV):
        assert not _request(format=format).zipped
        assert _request(format=format, layer=ExportLayer.ALL).zipped
    for format in (ExportFormat.GPKG, ExportFormat.XLSX):
        request = _request(format=format, layer=ExportLayer.ALL)
        assert not request.zipped
        assert request.layers == SINGLE_LAYERS


@pytest.mark.parametrize("format", [ExportFormat.SHP, ExportFormat.GEOJSON, ExportFormat.CSV])
def test_every_layer_into_one_plain_one_layer_file_is_refused_naming_layer(format):
    message = _refused("layer", format=format, layer=ExportLayer.ALL, zipped=False)
    assert f".{format.value}.zip" in message
    assert _request(format=format, layer=ExportLayer.ALL, zipped=True).zipped


def test_media_types():
    assert _request(format=ExportFormat.GPKG).media_type == "application/geopackage+sqlite3"
    assert _request(format=ExportFormat.SHP).media_type == "application/zip"
    assert _request(format=ExportFormat.GEOJSON).media_type == "application/geo+json"
    gb = _request(format=ExportFormat.CSV, encoding=TextEncoding.GB18030)
    assert gb.media_type == "text/csv; charset=gb18030"
    assert _request(format=ExportFormat.CSV, layer=ExportLayer.ALL).media_type == "application/zip"


# --- the file's name --------------------------------------------------------------------------


def test_the_file_is_named_for_the_layer_the_park_and_the_day_in_the_citys_zone():
    end_of_2025 = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    request = _request(format=ExportFormat.GPKG, park="caijiapo", as_of=end_of_2025)
    assert request.file_name(zone="Asia/Shanghai") == "parcels-caijiapo-2025-12-31.gpkg"
    # 20:00 UTC on 31 December is already 1 January in Baoji
    late = _request(format=ExportFormat.SHP, as_of=datetime(2025, 12, 31, 20, tzinfo=UTC))
    assert late.file_name(zone="Asia/Shanghai") == "parcels-all-2026-01-01.shp.zip"
    assert late.file_name(zone="UTC") == "parcels-all-2025-12-31.shp.zip"
    every = _request(format=ExportFormat.CSV, layer=ExportLayer.ALL)
    assert every.file_name(zone="Asia/Shanghai", now=NOW) == "export-all-2026-03-01.csv.zip"
    member = every.stem(zone="Asia/Shanghai", layer=ExportLayer.BUILDINGS, now=NOW)
    assert member == "buildings-all-2026-03-01"


# --- field names ------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", SINGLE_LAYERS)
@pytest.mark.parametrize("fields", list(FieldNames))
def test_every_shapefile_field_name_fits_ten_bytes_and_names_are_distinct(layer, fields):
    short = column_names(layer, fields=fields, short=True)
    for name in short.values():
        for encoding in ("utf-8", "gb18030"):
            assert len(name.encode(encoding)) <= 10, (layer, name, encoding)
    assert len(set(short.values())) == len(short)
    long = column_names(layer, fields=fields)
    assert len(set(long.values())) == len(long)
    assert list(long) == [f.key for f in LAYER_FIELDS[layer]]


def test_parcel_field_names_come_from_parks_fields():
    assert column_names(ExportLayer.PARCELS, fields=FieldNames.ZH)["parcel_code"] == "宗地编号"
    assert column_names(ExportLayer.PARCELS, fields=FieldNames.EN, short=True)["supply_mode"] == (
        "supply"
    )


def test_project_milestones_are_left_out_of_shapefiles_only():
    assert "milestones" in column_names(ExportLayer.PROJECTS, fields=FieldNames.EN)
    assert "milestones" not in column_names(ExportLayer.PROJECTS, fields=FieldNames.EN, short=True)


# --- values -----------------------------------------------------------------------------------


def test_times_are_iso_text_in_the_citys_zone_to_the_microsecond_and_missing_stays_missing():
    moment = datetime(2025, 12, 31, 16, 30, 0, 123456, tzinfo=UTC)
    texts = frames.iso_texts([moment, None, moment], zone="Asia/Shanghai")
    assert list(texts) == ["2026-01-01T00:30:00.123456+08:00", None] + [
        "2026-01-01T00:30:00.123456+08:00"
    ]
    assert list(frames.iso_texts([])) == []


def test_values_are_translated_by_name_and_others_kept():
    out = frames.translated(["reserve", None, "unknown"], {"reserve": "储备"})
    assert list(out) == ["储备", None, "unknown"]


def test_milestones_are_one_line():
    text = milestones_text([{"date": "2024-01-25", "name": "签约"}, {"date": "2024-11-09"}])
    assert text == "2024-01-25 签约; 2024-11-09"
    assert milestones_text([]) is None and milestones_text(None) is None


def test_a_layer_longer_than_a_worksheet_is_refused_naming_format(tmp_path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import box

    from service.exports import writing

    monkeypatch.setattr(writing, "XLSX_MAX_ROWS", 2)
    frame = gpd.GeoDataFrame({"parcel_code": ["A", "B", "C"]}, geometry=[box(0, 0, 1, 1)] * 3)
    request = _request(format=ExportFormat.XLSX)
    with pytest.raises(InvalidParameter) as caught:
        writing.write_workbook(
            {ExportLayer.PARCELS: frame}, tmp_path / "p.xlsx", request=request, zone="UTC", now=NOW
        )
    assert caught.value.parameter == "format" and "gpkg" in caught.value.message
    assert not (tmp_path / "p.xlsx").exists()
