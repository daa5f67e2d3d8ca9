"""POST /api/figures?year=Y and GET /api/figures through the app on a real PostGIS (a fresh
copy of the loaded sample per test): a workbook uploaded as the multipart field ``file``
and a CSV sent as the body, stored as one change set (201, Location) or not (a dry run, a
re-import: 200); a refused file 422 with each problem's row and column, nothing stored;
who may write; the standing figures read back by year and enterprise."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from service.db.engine import make_engine

pytestmark = pytest.mark.e2e

YEAR = 2026
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(rows: list[list]) -> bytes:
    book = Workbook()
    book.active.append(["统一社会信用代码", "企业名称", "税收（万元）", "销售收入（万元）"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figures(url: str) -> list[tuple]:
    """Every version of YEAR's figures: (code, tax, standing)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT enterprise_code, tax_wan, valid_to IS NULL FROM enterprise_figures "
                    "WHERE year = :y ORDER BY version_id"
                ),
                {"y": YEAR},
            ).all()
    finally:
        engine.dispose()
    return [(r[0], float(r[1]), r[2]) for r in rows]


@pytest.fixture
def api(fresh_db_url, make_client, make_token):
    client = make_client(fresh_db_url)
    return client, make_token(fresh_db_url, "editor")


def test_a_workbook_upload_is_stored_as_one_change_set(api, fresh_db_url):
    client, editor = api
    data = _workbook([["91610300MA6X0001A1", "宝鸡甲科技有限公司", "1,000", 9000]])
    answer = client.post(
        f"/api/figures?year={YEAR}&document_no=宝工信发〔2027〕1号",
        files={"file": ("2026年数据.xlsx", data, XLSX)},
        headers=editor,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/api/change-sets/{body['change_set_id']}"
    assert body["file"] == "2026年数据.xlsx" and body["stored"] is True
    assert body["matched"] == {"by_code": 0, "by_name": 0, "new": 1}
    assert body["figures"] == {"made": 1, "new": 1, "replaced": 0, "unchanged": 0}
    assert _figures(fresh_db_url) == [("91610300MA6X0001A1", 1000.0, True)]
    change_set = client.get(answer.headers["location"], headers=editor).json()
    assert change_set["kind"] == "figures"
    assert change_set["reason"] == f"figures import 2026年数据.xlsx year {YEAR}"


def test_a_csv_body_is_taken_and_sent_again_changes_nothing(api, fresh_db_url):
    client, editor = api
    csv = "name,tax_wan,revenue_wan\n宝鸡乙科技有限公司,5,50\n".encode()
    headers = {**editor, "Content-Type": "text/csv; charset=utf-8"}
    first = client.post(f"/api/figures?year={YEAR}", content=csv, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post(f"/api/figures?year={YEAR}", content=csv, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["change_set_id"] is None
    assert (
        again.json()["figures"]["unchanged"] == 1 and "nothing changed" in again.json()["message"]
    )
    corrected = client.post(
        f"/api/figures?year={YEAR}",
        content="name,tax_wan,revenue_wan\n宝鸡乙科技有限公司,6,50\n".encode(),
        headers=headers,
    )
    assert corrected.status_code == 201 and corrected.json()["figures"]["replaced"] == 1
    [(code, _, _), _] = _figures(fresh_db_url)
    assert [(t, s) for _, t, s in _figures(fresh_db_url)] == [(5.0, False), (6.0, True)]
    assert code.startswith("X")


def test_a_dry_run_answers_200_and_stores_nothing(api, fresh_db_url):
    client, editor = api
    answer = client.post(
        f"/api/figures?year={YEAR}&dry_run=true",
        files={"file": ("f.xlsx", _workbook([[None, "宝鸡丙科技有限公司", 1, 2]]), XLSX)},
        headers=editor,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["dry_run"] is True and answer.json()["figures"]["made"] == 1
    assert _figures(fresh_db_url) == []


def test_a_refused_file_is_422_with_each_problem_naming_row_and_column(api, fresh_db_url):
    client, editor = api
    data = _workbook([[None, "宝鸡丁科技有限公司", "n/a", 2], ["bad code!", "宝鸡戊公司", 1, 2]])
    answer = client.post(
        f"/api/figures?year={YEAR}", files={"file": ("bad.xlsx", data, XLSX)}, headers=editor
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_figures_file"
    assert [(p["row"], p["column"]) for p in body["problems"]] == [
        (2, "税收（万元）"),
        (3, "统一社会信用代码"),
    ]
    assert _figures(fresh_db_url) == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("", "year"), ("?year=1800", "year"), (f"?year={YEAR}&dry_run=maybe", "dry_run")],
)
def test_a_bad_parameter_is_422_naming_it(api, query, parameter):
    client, editor = api
    answer = client.post(
        f"/api/figures{query}",
        files={"file": ("f.xlsx", _workbook([[None, "甲", 1, 1]]), XLSX)},
        headers=editor,
    )
    assert answer.status_code == 422
    assert answer.json()["parameter"] == parameter


def test_a_body_that_is_not_a_file_is_422_naming_file(api):
    client, editor = api
    answer = client.post(f"/api/figures?year={YEAR}", json={"name": "甲"}, headers=editor)
    assert (answer.status_code, answer.json()["parameter"]) == (422, "file")
    answer = client.post(f"/api/figures?year={YEAR}", data={"other": "x"}, headers=editor)
    assert (answer.status_code, answer.json()["parameter"]) == (422, "file")


def test_only_those_who_write_change_sets_may_import(api, fresh_db_url, make_token):
    client, _ = api
    files = {"file": ("f.xlsx", _workbook([[None, "宝鸡己科技有限公司", 1, 1]]), XLSX)}
    assert client.post(f"/api/figures?year={YEAR}", files=files).status_code == 401
    viewer = make_token(fresh_db_url, "viewer")
    assert client.post(f"/api/figures?year={YEAR}", files=files, headers=viewer).status_code == 403
    assert _figures(fresh_db_url) == []


def test_an_editor_must_propose_where_editors_do_not_apply_directly(
    fresh_db_url, make_client, make_token
):
    client = make_client(fresh_db_url, editors_apply_directly=False)
    files = {"file": ("f.xlsx", _workbook([[None, "宝鸡庚科技有限公司", 1, 1]]), XLSX)}
    editor = make_token(fresh_db_url, "editor")
    assert client.post(f"/api/figures?year={YEAR}", files=files, headers=editor).status_code == 403
    admin = make_token(fresh_db_url, "admin")
    assert client.post(f"/api/figures?year={YEAR}", files=files, headers=admin).status_code == 201


def test_the_standing_figures_are_read_by_year_and_enterprise(api):
    client, editor = api
    client.post(
        f"/api/figures?year={YEAR}",
        files={
            "file": (
                "f.xlsx",
                _workbook([["91610300MA6X0001B2", "宝鸡辛科技有限公司", 3, 30]]),
                XLSX,
            )
        },
        headers=editor,
    )
    listed = client.get(f"/api/figures?year={YEAR}").json()
    assert listed["total"] == 1
    [item] = listed["figures"]
    assert (item["enterprise_code"], item["name"], item["tax_wan"], item["revenue_wan"]) == (
        "91610300MA6X0001B2",
        "宝鸡辛科技有限公司",
        3.0,
        30.0,
    )
    by_name = client.get("/api/figures", params={"enterprise": "宝鸡辛科技有限公司"}).json()
    assert [f["year"] for f in by_name["figures"]] == [YEAR]
    unknown = client.get("/api/figures", params={"enterprise": "没有这家公司"})
    assert unknown.status_code == 404
    assert client.get("/api/figures?park=xian").json()["parameter"] == "park"
