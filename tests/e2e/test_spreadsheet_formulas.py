"""Every workbook and CSV the system writes stores a formula-like value as text: a document
number ``=HYPERLINK(...)`` is a literal string cell on the audit workbook's ledger and
refusals sheets, and a tenant ``=...`` is neutralised (a leading quote) in the vacancy CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import create_engine, text
from support_changes import change_set, find_parcels, rezone_op
from support_roles import owner_url

from service.audit.report import write_report

pytestmark = pytest.mark.e2e

FORMULA = '=HYPERLINK("http://x","y")'
LEDGER_SHEET = "台账 Ledger"
REFUSALS_SHEET = "被拒变更 Refusals"
DOCUMENT_HEADER = "批文号 Document no."


@pytest.fixture
def land(fresh_db_url, make_client, make_token):
    """The app on a fresh copy of the sample, an editor's headers, and our own engine."""
    client = make_client(fresh_db_url)
    headers = make_token(fresh_db_url, "editor")
    # The owner's: it plants a tenant's name, which the service only loads.
    engine = create_engine(owner_url(fresh_db_url), pool_size=1, max_overflow=0)
    yield client, headers, engine
    engine.dispose()


def _document_cells(path, sheet: str) -> list:
    ws = openpyxl.load_workbook(path)[sheet]
    column = [c.value for c in ws[1]].index(DOCUMENT_HEADER)
    return [row[column] for row in ws.iter_rows(min_row=2) if row[column].value is not None]


def test_a_formula_document_number_is_literal_text_on_the_ledger_and_refusals_sheets(
    land, tmp_path
):
    client, headers, engine = land
    with engine.connect() as conn:
        reserve = find_parcels(conn, "v.status = 'reserve'", limit=1)[0]
        industrial = find_parcels(conn, "v.land_use_code = '0601'", limit=1)[0]
    committed = change_set(
        "set_status",
        {"op": "set_status", "parcel_code": reserve, "status": "ready"},
        document_no=FORMULA,
    )
    assert client.post("/api/change-sets", json=committed, headers=headers).status_code == 201
    refused = change_set("rezone", rezone_op(industrial, "0701"), document_no=FORMULA)
    assert client.post("/api/change-sets", json=refused, headers=headers).status_code == 409

    out = tmp_path / "audit.xlsx"
    with engine.connect() as conn:
        write_report(conn, as_of=datetime.now(UTC), out=out)

    for sheet in (LEDGER_SHEET, REFUSALS_SHEET):
        (cell,) = [c for c in _document_cells(out, sheet) if c.value == FORMULA]
        assert cell.data_type == "s", (sheet, cell.data_type)
        assert cell.value == FORMULA


def test_a_formula_tenant_is_neutralised_in_the_vacancy_csv(land):
    client, _, engine = land
    with engine.begin() as conn:
        building, floor = conn.execute(
            text(
                "SELECT building_code, floor FROM lease WHERE start_date <= current_date "
                "AND (end_date IS NULL OR end_date >= current_date) "
                "ORDER BY building_code, floor LIMIT 1"
            )
        ).one()
        conn.execute(
            text(
                "UPDATE lease SET tenant = :t WHERE building_code = :b AND floor = :f "
                "AND start_date <= current_date "
                "AND (end_date IS NULL OR end_date >= current_date)"
            ),
            {"t": FORMULA, "b": building, "f": floor},
        )
    response = client.get("/api/buildings/vacancy", params={"min_vacant_m2": 0, "format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    (row,) = [r for r in rows if r["building_code"] == building and int(r["floor"]) == floor]
    assert row["tenants"].startswith("'" + FORMULA)
    assert row["tenants"].removeprefix("'").split("; ")[0] == FORMULA
    assert not any(v.startswith("=") for r in rows for v in r.values())
