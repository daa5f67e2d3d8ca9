"""`parks qgis-project` as a user runs it (a subprocess with DATABASE_URL): the .qgs it writes
is a QGIS 3.22 project whose every layer reads the service at the base URL given — OGC API
– Features layers (``OAPIF``) on ``<base>/ogc`` and vector tiles on ``<base>/tiles`` —
with the parcels categorized by the land-use classes the database holds (asked here with
our own SQL) in ``maps.style``'s colours, opening on the parks in EPSG:4545, and names
from the data escaped.

Opening the file in QGIS itself is the QGIS client tests' part; here the file is read as
XML, the way QGIS reads it: ``projectlayers/maplayer`` (id, datasource, provider,
layername, srs/spatialrefsys) and the layer tree (``layer-tree-layer`` with id, source,
providerKey)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl

import pytest
import support_reads as sr
from sqlalchemy import create_engine, pool, text
from support_roles import owner_url

from maps.style import MANUFACTURING_OUTLINE, hatch_colour, land_use_colour

pytestmark = pytest.mark.e2e

BASE = "http://gis.example.org:8080/ledger"
COLLECTIONS = {"parks", "parcels", "buildings", "projects"}


def _project(url: str, tmp_path, *args: str) -> ET.Element:
    out = tmp_path / "city.qgs"
    result = sr.run_parks("qgis-project", "--out", str(out), *args, url=url)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in " ".join(result.stdout.split())
    text_ = out.read_text(encoding="utf-8")
    assert text_.startswith("<!DOCTYPE qgis")
    return ET.fromstring(text_.split("\n", 1)[1])


def _uri(source: str) -> dict[str, str]:
    """A QGIS data source URI's ``key='value'`` pairs (backslash escapes undone)."""
    pairs = re.findall(r"(\w+)='((?:[^'\\]|\\.)*)'", source)
    return {k: re.sub(r"\\(.)", r"\1", v) for k, v in pairs}


def _layers(root: ET.Element) -> dict[str, ET.Element]:
    return {m.findtext("id"): m for m in root.iter("maplayer")}


def _context(url: str) -> dict[str, set[str]]:
    """Context layer -> the geometry types of its features (our own SQL)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT l.name, array_agg(DISTINCT ST_GeometryType(f.geom)) "
                    "FROM context_layer l JOIN context_feature f ON f.layer = l.name "
                    "GROUP BY l.name"
                )
            ).all()
    finally:
        engine.dispose()
    return {
        name: {t.removeprefix("ST_").removeprefix("Multi") for t in kinds} for name, kinds in rows
    }


def test_every_layer_reads_the_service_at_the_base_url_given(sample_db_url, tmp_path):
    root = _project(sample_db_url, tmp_path, "--base-url", BASE + "/")
    assert root.tag == "qgis" and root.get("version").startswith("3.22")
    layers = _layers(root)
    assert len(layers) == len(root.findall("projectlayers/maplayer"))  # ids are unique
    read: set[str] = set()
    for layer in layers.values():
        provider = layer.findtext("provider")
        source = layer.findtext("datasource")
        assert layer.findtext("layername")
        assert layer.findtext("srs/spatialrefsys/authid").startswith("EPSG:")
        if provider == "OAPIF":
            assert layer.get("type") == "vector"
            uri = _uri(source)
            assert uri["url"] == f"{BASE}/ogc"
            read.add(uri["typename"])
        else:
            assert (provider, layer.get("type")) == ("vectortile", "vector-tile")
            params = dict(parse_qsl(source))
            assert params["type"] == "xyz"
            found = re.fullmatch(
                rf"{re.escape(BASE)}/tiles/(\w+)/\{{z\}}/\{{x\}}/\{{y\}}\.pbf", params["url"]
            )
            assert found, params["url"]
            assert (params["zmin"], params["zmax"]) == ("0", "22")  # as the TileJSON says
            if "styleUrl" in params:
                assert params["styleUrl"] == f"{BASE}/ogc/styles/landuse"
            read.add(found.group(1))
    context = _context(sample_db_url)
    assert read == COLLECTIONS | set(context)
    # A context layer of several geometry types comes as tiles: QGIS reads an OGC API
    # collection as one type and draws nothing of the others.
    for layer in layers.values():
        if layer.findtext("provider") == "OAPIF":
            name = _uri(layer.findtext("datasource"))["typename"]
            assert name in COLLECTIONS or len(context[name]) == 1, name
    # The layer tree holds every layer once, with the same source and provider.
    tree = {node.get("id"): node for node in root.iter("layer-tree-layer")}
    assert set(tree) == set(layers)
    for layer_id, node in tree.items():
        assert node.get("source") == layers[layer_id].findtext("datasource")
        assert node.get("providerKey") == layers[layer_id].findtext("provider")
    assert [e.get("id") for e in root.findall("layerorder/layer")] == list(layers)


def test_parcels_are_categorized_by_the_land_use_classes_present(sample_db_url, tmp_path):
    root = _project(sample_db_url, tmp_path, "--base-url", BASE)
    engine = create_engine(sample_db_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            present = dict(
                conn.execute(
                    text(
                        "SELECT DISTINCT v.land_use_code, c.is_manufacturing FROM parcel_version v "
                        "JOIN land_use_class c ON c.code = v.land_use_code WHERE v.valid_to IS NULL"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    [parcels] = [
        m
        for m in root.iter("maplayer")
        if m.findtext("provider") == "OAPIF"
        and _uri(m.findtext("datasource"))["typename"] == "parcels"
    ]
    renderer = parcels.find("renderer-v2")
    assert (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "land_use_code")
    categories = {c.get("value"): c for c in renderer.findall("categories/category")}
    assert set(categories) - {""} == set(present)
    assert "" in categories  # "all other values", for a class rezoned in later
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for code, category in categories.items():
        if not code:
            continue
        assert code in category.get("label")
        layers = symbols[category.get("symbol")].findall("layer")
        props = [{p.get("k"): p.get("v") for p in layer.findall("prop")} for layer in layers]
        classes = [layer.get("class") for layer in layers]
        rgb = ",".join(str(int(land_use_colour(code)[i : i + 2], 16)) for i in (1, 3, 5))
        assert classes[0] == "SimpleFill" and props[0]["color"].startswith(rgb + ",")
        if present[code]:
            assert "LinePatternFill" in classes, code
            hatch = props[classes.index("LinePatternFill")]
            hatch_rgb = ",".join(
                str(int(hatch_colour(land_use_colour(code))[i : i + 2], 16)) for i in (1, 3, 5)
            )
            assert hatch["color"].startswith(hatch_rgb + ",")
            outline = props[classes.index("SimpleLine")]
            mfg_rgb = ",".join(str(int(MANUFACTURING_OUTLINE[i : i + 2], 16)) for i in (1, 3, 5))
            assert outline["line_color"].startswith(mfg_rgb + ",")
        else:
            assert classes == ["SimpleFill"], code


def test_the_project_opens_on_the_parks_in_the_storage_crs(sample_db_url, tmp_path):
    root = _project(sample_db_url, tmp_path, "--base-url", BASE)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4545"
    view = root.find("ProjectViewSettings/DefaultViewExtent")
    box = [float(view.get(k)) for k in ("xmin", "ymin", "xmax", "ymax")]
    canvas = [
        float(root.findtext(f"mapcanvas/extent/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")
    ]
    assert canvas == box
    parks = sr.parks()
    for bounds in parks.geometry.bounds.itertuples(index=False):
        assert box[0] <= bounds.minx and box[1] <= bounds.miny
        assert box[2] >= bounds.maxx and box[3] >= bounds.maxy
    marks = {m.get("name"): m for m in root.iter("Bookmark")}
    assert set(marks) == {f"{r.name_zh} {r.name_en}" for r in parks.itertuples()}
    for mark in marks.values():
        assert mark.findtext("spatialrefsys/authid") == "EPSG:4545"
        assert mark.get("extent").startswith("POLYGON((")


def test_names_from_the_data_are_escaped(fresh_db_url, tmp_path):
    hostile = "凤翔 <b>&amp;\"quoted\" 'x'\x01</qgis>"
    # Parks are loaded, never renamed by the service: the owner plants the name.
    engine = create_engine(owner_url(fresh_db_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE park SET name_zh = :n WHERE code = 'fengxiang'"), {"n": hostile}
            )
            conn.execute(
                text("UPDATE context_layer SET title_en = :n WHERE name = 'roads'"), {"n": hostile}
            )
    finally:
        engine.dispose()
    root = _project(fresh_db_url, tmp_path, "--base-url", "http://h/it's")
    shown = hostile.replace("\x01", "\ufffd")  # XML cannot hold U+0001 at all
    names = {m.get("name") for m in root.iter("Bookmark")}
    assert any(name.startswith(shown) for name in names)
    assert any(shown in (m.findtext("layername") or "") for m in root.iter("maplayer"))
    [parks] = [
        m
        for m in root.iter("maplayer")
        if m.get("type") == "vector" and "'parks'" in m.findtext("datasource")
    ]
    assert _uri(parks.findtext("datasource"))["url"] == "http://h/it's/ogc"


def test_the_default_base_url_is_where_parks_serve_listens(sample_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKS_PORT", "9100")
    root = _project(sample_db_url, tmp_path)
    urls = {_uri(m.findtext("datasource")).get("url") for m in root.iter("maplayer")}
    assert "http://127.0.0.1:9100/ogc" in urls


def test_a_bad_base_url_or_file_name_is_a_usage_error(sample_db_url, tmp_path):
    bad = sr.run_parks(
        "qgis-project", "--out", str(tmp_path / "a.qgs"), "--base-url", "ftp://x", url=sample_db_url
    )
    assert bad.returncode == 2 and "--base-url" in bad.stderr
    wrong = sr.run_parks("qgis-project", "--out", str(tmp_path / "a.txt"), url=sample_db_url)
    assert wrong.returncode == 2 and "--out" in wrong.stderr
    assert not list(tmp_path.iterdir())
