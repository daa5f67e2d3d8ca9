"""The /audit page — verification status, a step chart of the manufacturing
total (city and each park), totals as of a chosen date, recent ledger rows, refusals.

Expected figures come from the sample GeoPackage itself (shapely areas in EPSG:4545).
"""

from __future__ import annotations

import re

import openpyxl
import pytest
from support_audit import tamper
from support_reads import PARK_CODES, manufacturing_by_park, run_parks

pytestmark = pytest.mark.e2e


def _cells(html: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is *first_cell*."""
    match = re.search(rf"<tr[^>]*><td>{re.escape(first_cell)}</td>(.*?)</tr>", html, re.S)
    assert match, first_cell
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("+", ""))


def test_the_audit_page_shows_the_verification_chart_totals_and_ledger(sample_db_url, make_client):
    client = make_client(sample_db_url)
    response = client.get("/audit")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "通过 OK" in html and "PROBLEMS FOUND" not in html
    # one step line for the city and one per park
    assert html.count("<svg") == 1 and len(re.findall(r"<path d=\"M", html)) == 1 + len(PARK_CODES)
    expected = manufacturing_by_park()
    for park in PARK_CODES:
        cells = _cells(html, park)
        assert abs(_number(cells[3]) - round(expected[park], 2)) <= 0.011, park
        assert abs(_number(cells[4]) - round(expected[park] * 15 / 10000, 2)) <= 0.011, park
        assert f"{park} {expected[park] * 15 / 10000:,.1f} 亩" in html
    city = _cells(html, "全市 City")
    assert abs(_number(city[3]) - sum(expected.values())) <= 0.011
    # the recent ledger: the load's row, with the start of its hash
    ledger = client.get("/api/audit/ledger").json()["rows"]
    assert ledger[0]["hash"][:16] in html
    assert "1 in all" in html


def test_the_audit_page_as_of_a_date_before_the_data_shows_zero_totals(sample_db_url, make_client):
    client = make_client(sample_db_url)
    html = client.get("/audit", params={"as_of": "2000-01-01"}).text
    assert "截至 As of 2000-01-01 23:59" in html
    assert 'value="2000-01-01"' in html
    for park in PARK_CODES:
        assert f"<tr><td>{park}</td>" not in html
    city = _cells(html, "全市 City")
    assert _number(city[0]) == 0 and _number(city[3]) == 0


def test_the_audit_page_with_a_malformed_date_is_a_422_naming_the_parameter(
    sample_db_url, make_client
):
    response = make_client(sample_db_url).get("/audit", params={"as_of": "31.12.2025"})
    assert response.status_code == 422
    assert response.json()["parameter"] == "as_of"


def test_a_tampered_ledger_shows_on_the_page_the_api_the_cli_and_the_report(
    fresh_db_url, make_client, tmp_path
):
    tamper(
        fresh_db_url, "ledger", "UPDATE ledger SET total_city_m2 = total_city_m2 + 5 WHERE seq = 1"
    )
    client = make_client(fresh_db_url)
    html = client.get("/audit").text
    assert "PROBLEMS FOUND" in html and "通过 OK" not in html
    assert "ledger row 1 was altered" in html
    body = client.get("/api/audit/verify").json()
    assert body["ok"] is False and body["chain_ok"] is False
    assert {p["check"] for p in body["problems"] if p.get("ledger_seq") == 1} >= {
        "hash",
        "ledger_total",
    }
    result = run_parks("audit", "verify", url=fresh_db_url)
    assert result.returncode != 0
    assert "ledger row 1" in result.stderr
    as_json = run_parks("audit", "verify", "--json", url=fresh_db_url)
    assert as_json.returncode != 0
    assert '"ok": false' in as_json.stdout
    out = tmp_path / "tampered.xlsx"
    report = run_parks("audit", "report", "--out", str(out), url=fresh_db_url)
    assert report.returncode == 0, report.stderr
    sheet = openpyxl.load_workbook(out).worksheets[-1]
    rows = [r for r in sheet.iter_rows(values_only=True) if r[0]]
    assert ("hash", 1) in [(r[0], r[1]) for r in rows]
    assert ("结论 Result", "发现问题 PROBLEMS FOUND") in [(r[0], r[1]) for r in rows]
