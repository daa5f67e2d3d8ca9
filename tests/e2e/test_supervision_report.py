"""The monthly supervision report (月调度) through the app and the command line, on a copy
of the loaded sample (its contracts, progress, batches and figures): the page an official
prints (Chinese headings, no external URL, its one script carrying the request's nonce),
the JSON, a bad month refused naming ``month`` (422) or ``--month`` (exit 2), a file
that is neither .xlsx nor .docx refused naming ``--out``, the workbook and the Word
document holding the JSON's figures, and the park map offering the two supervision
layers, switched off, as the URLs of the API's layers: the idle land one feature per
parcel (its most severe contract), the grades following every write and empty once no
figures stand."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import openpyxl
import pytest
import support_evaluation as se
import support_reads as sr
from docx import Document
from sqlalchemy import text

from maps.style import LAYER_TITLES
from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import end_versions
from service.supervision.report_xlsx import SHEETS, TITLE_ROWS

pytestmark = pytest.mark.e2e

MONTH = "2026-10"
HEADINGS = (
    "总览",
    "闲置土地",
    "预警",
    "闲置满一年",
    "闲置满两年",
    "较上月变化",
    "批而未供",
    "供而未用",
    "履约情况",
    "本月供地",
    "本月开工",
)
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(sample_db_url):
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=sample_db_url))) as c:
        yield c


@pytest.fixture(scope="module")
def report(client) -> dict:
    response = client.get(f"/api/supervision/report?month={MONTH}")
    assert response.status_code == 200, response.text
    return response.json()


def test_the_json_report_is_the_month_as_of_its_last_day_for_the_city_and_each_park(report):
    assert (report["month"], report["as_of"], report["previous_as_of"]) == (
        MONTH,
        "2026-10-31",
        "2026-09-30",
    )
    assert {s["park"] for s in report["parks"]} == {"caijiapo", "fengxiang", "gaoxin", "jiangtan"}
    city = report["city"]
    assert city["park"] is None
    assert city["idle"]["count"] == sum(s["idle"]["count"] for s in report["parks"])
    # the sample has idle land: the report has something to show
    assert city["idle"]["count"] > 0
    assert [s["stage"] for s in city["idle"]["by_stage"]] == ["warning", "idle_1y", "idle_2y"]


def test_the_page_has_the_chinese_headings_and_no_external_url(client, report):
    response = client.get(f"/supervision?month={MONTH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for heading in HEADINGS:
        assert heading in page, heading
    for section in report["parks"]:
        assert section["name_zh"] in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["']//""", page)
    assert "@media print" in page
    policy = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    assert SCRIPT_TAG.findall(page) == [f'<script nonce="{nonce}">']


def test_the_page_shows_the_jsons_idle_land_counts(client, report):
    page = client.get(f"/supervision?month={MONTH}").text
    # every idle contract of a park is listed by its number
    for section in report["parks"]:
        for item in section["idle"]["list"]:
            assert f"<td>{item['contract_no']}</td>" in page


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-10", "2026/10", "2999-01", "1989-12"])
def test_a_bad_month_is_a_422_naming_month(client, month):
    for path in ("/api/supervision/report", "/supervision"):
        response = client.get(path, params={"month": month})
        assert response.status_code == 422, (path, month, response.text)
        assert response.json()["parameter"] == "month"


def test_without_a_month_the_report_is_of_the_current_month(client):
    response = client.get("/api/supervision/report")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"].startswith(body["month"])


def test_where_reads_need_a_token_the_page_sends_a_browser_to_sign_in(sample_db_url, make_client):
    client = make_client(sample_db_url, reads_need_token=True)
    page = client.get(
        f"/supervision?month={MONTH}", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    assert client.get(f"/api/supervision/report?month={MONTH}").status_code == 401


def test_the_park_map_offers_the_idle_land_and_grade_layers_switched_off(client):
    page = client.get("/map/jiangtan").text
    for key in ("idle", "grades"):
        zh, en = LAYER_TITLES[key]
        assert zh in page or json.dumps(zh)[1:-1] in page, zh
        assert en in page or json.dumps(en)[1:-1] in page, en
        assert f'data-plm-section="{key}"' in page  # its legend
    assert LAYER_TITLES["idle"] == ("闲置土地", "Idle land")
    assert LAYER_TITLES["grades"] == ("亩均效益", "Grade")
    assert '"kind":"idle"' in page and '"kind":"grades"' in page
    # the page names where to fetch them, and holds none of their features
    assert "/api/supervision/idle?format=geojson\\u0026per=parcel\\u0026park=jiangtan" in page
    assert "/api/evaluation?format=geojson\\u0026park=jiangtan" in page
    assert '"days_on_clock"' not in page and '"score"' not in page


IDLE = "/api/supervision/idle"
EVALUATION = "/api/evaluation"


@pytest.fixture
def engine(fresh_db_url):
    e = make_engine(fresh_db_url)
    yield e
    e.dispose()


def test_the_maps_idle_layer_draws_a_parcel_with_two_contracts_once_in_its_worst_stage(
    fresh_db_url, engine, make_client
):
    client = make_client(fresh_db_url)
    before = client.get(IDLE, params={"format": "geojson", "park": "jiangtan"}).json()
    first = next(
        f["properties"] for f in before["features"] if f["properties"]["stage"] == "idle_2y"
    )
    # a second contract on that parcel, not started 300 days after its agreed start:
    # 365 − 90 ≤ 300 < 365 days on the clock, a warning
    start = date.fromisoformat(before["as_of"]) - timedelta(days=300)
    parcel = {k: first[k] for k in ("parcel_code", "park", "holder")}
    parcel["area_m2"] = first["land_area_m2"]
    contract = se.contract_row(
        "MAP-SECOND",
        parcel,
        signed_on=start - timedelta(days=30),
        agreed_start_on=start,
        agreed_completion_on=start + timedelta(days=730),
    )
    se.put(engine, "supply_contract", [contract])
    params = {"format": "geojson", "park": "jiangtan", "as_of": before["as_of"]}
    listed = client.get(IDLE, params=params).json()["features"]
    theirs = {
        f["id"]: f["properties"]["stage"]
        for f in listed
        if f["properties"]["parcel_code"] == first["parcel_code"]
    }
    assert theirs == {first["contract_no"]: "idle_2y", "MAP-SECOND": "warning"}
    response = client.get(IDLE, params={**params, "per": "parcel"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    layer = response.json()
    ids = [f["id"] for f in layer["features"]]
    # every other parcel of the sample's park has one contract: one feature per parcel
    assert sorted(ids) == sorted({f["properties"]["parcel_code"] for f in listed})
    assert layer["numberReturned"] == len(ids) == len(listed) - 1
    drawn = next(f["properties"] for f in layer["features"] if f["id"] == first["parcel_code"])
    assert (drawn["contract_no"], drawn["stage"]) == (first["contract_no"], "idle_2y")
    assert drawn["as_of"] == before["as_of"]


@pytest.mark.parametrize("params", [{"per": "parcel"}, {"per": "contract", "format": "json"}])
def test_per_without_the_geojson_format_is_a_422_naming_it(client, params):
    response = client.get(IDLE, params=params)
    assert response.status_code == 422
    assert response.json()["parameter"] == "per"


def _end_figures(engine, where: str, params: dict) -> int:
    with engine.begin() as conn:
        keys = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT enterprise_code, year FROM enterprise_figures "
                    f"WHERE valid_to IS NULL AND {where}"
                ),
                params,
            )
        ]
        cs = open_change_set(conn, kind="figures", reason="map test", actor="map-test")
        return end_versions(conn, change_set_id=cs.id, table="enterprise_figures", keys=keys)


def test_the_maps_grade_layer_follows_each_write_and_is_empty_once_no_figures_stand(
    fresh_db_url, engine, make_client, monkeypatch
):
    from service.supervision import evaluation

    built: list[int] = []
    build = evaluation.evaluation_geojson

    def counted(*args, **kwargs):
        built.append(kwargs["year"])
        return build(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluation_geojson", counted)
    client = make_client(fresh_db_url)
    params = {"format": "geojson", "park": "jiangtan"}
    response = client.get(EVALUATION, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    layer = response.json()
    latest = client.get(EVALUATION).json()["year"]  # the year the list evaluates
    assert layer["year"] == latest and layer["features"]
    # asked again with nothing written: the same layer, not evaluated again
    assert client.get(EVALUATION, params=params).json() == layer
    assert built == [latest]
    # one holder's figures of that year end: its parcels leave the layer at once
    gone = layer["features"][0]["properties"]["enterprise_code"]
    assert (
        _end_figures(
            engine, "enterprise_code = :code AND year = :year", {"code": gone, "year": latest}
        )
        == 1
    )
    after = client.get(EVALUATION, params=params).json()
    assert after["features"] and gone not in {
        f["properties"]["enterprise_code"] for f in after["features"]
    }
    assert built == [latest, latest]
    # no figures at all: the list can't be made, the map's layer is empty
    assert _end_figures(engine, "true", {}) > 0
    response = client.get(EVALUATION, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.json() == {
        "type": "FeatureCollection",
        "year": None,
        "numberReturned": 0,
        "features": [],
    }
    refused = client.get(EVALUATION)
    assert refused.status_code == 422 and refused.json()["parameter"] == "year"


# --- the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db_url(databases, loaded_template) -> str:
    return sr.database_url(databases.create(template=loaded_template))


def _sheet_rows(ws) -> list[dict]:
    header = [c.value for c in ws[TITLE_ROWS + 1]]
    return [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=TITLE_ROWS + 2)
    ]


def test_the_command_writes_the_workbook_with_the_jsons_figures(cli_db_url, report, tmp_path):
    out = tmp_path / "月调度.xlsx"
    result = sr.run_parks(
        "supervision", "report", "--month", MONTH, "--out", str(out), url=cli_db_url
    )
    assert result.returncode == 0, result.stderr
    assert "月调度 2026-10" in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == list(SHEETS.values())
    summary = {r["园区"]: r for r in _sheet_rows(wb[SHEETS["summary"]])}
    for section in [*report["parks"], report["city"]]:
        row = summary[section["name_zh"]]
        stages = {s["stage"]: s["count"] for s in section["idle"]["by_stage"]}
        assert row["预警（宗）"] == stages["warning"]
        assert row["闲置满一年（宗）"] == stages["idle_1y"]
        assert row["闲置满两年（宗）"] == stages["idle_2y"]
        assert row["闲置费（万元）"] == pytest.approx(section["idle"]["fee_wan"])
        assert row["本月供地（宗）"] == section["supplies"]["count"]
        assert row["本月开工（宗）"] == section["starts"]["count"]
    idle = _sheet_rows(wb[SHEETS["idle"]])
    assert sorted(r["合同号"] for r in idle) == sorted(
        i["contract_no"] for i in report["city"]["idle"]["list"]
    )


def test_the_command_writes_the_word_document(cli_db_url, report, tmp_path):
    out = tmp_path / "report.docx"
    result = sr.run_parks(
        "supervision", "report", "--month", MONTH, "--out", str(out), url=cli_db_url
    )
    assert result.returncode == 0, result.stderr
    doc = Document(str(out))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "园区土地监管月调度（2026年10月）"
    assert {
        "总览",
        "闲置土地",
        "较上月变化",
        "批而未供",
        "履约情况",
        "本月供地",
        "本月开工",
    } <= set(headings)
    city = doc.tables[0].rows[-1]
    assert city.cells[0].text == "全市"
    header = [c.text for c in doc.tables[0].rows[0].cells]
    stages = {s["stage"]: s["count"] for s in report["city"]["idle"]["by_stage"]}
    assert city.cells[header.index("闲置满一年（宗）")].text == str(stages["idle_1y"])


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--month", MONTH, "--out", "report.pdf"], "--out"),
        (["--month", "2026-13", "--out", "report.xlsx"], "--month"),
        (["--month", "2999-01", "--out", "report.docx"], "--month"),
    ],
)
def test_a_wrong_option_exits_2_naming_it_and_writes_nothing(cli_db_url, tmp_path, args, option):
    args = [a if not a.startswith("report.") else str(tmp_path / a) for a in args]
    result = sr.run_parks("supervision", "report", *args, url=cli_db_url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert option in result.stderr
    assert list(tmp_path.iterdir()) == []
