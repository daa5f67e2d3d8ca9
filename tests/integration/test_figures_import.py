"""Enterprises' yearly figures brought in from a workbook or CSV, on a real PostGIS (a
fresh copy of the loaded sample per test): each row matched to an enterprise (by code,
else exact name, else registered) and to the parcels it holds and the floor it leases; a
file with a problem refused whole, naming row and column, nothing stored; a re-import a
no-op; a corrected row a new version with the old one kept; one change set of kind
``figures`` with its ledger row.

Expected land comes from the sample's parcels and leases read straight from the
database; expected figures from the files the tests write. The sample may register its
holders and tenants as enterprises (with figures for earlier years): each test reads the
register first and expects a name it holds to be matched to it."""

from __future__ import annotations

import csv
import hashlib
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from parks.errors import InvalidFiguresFile
from service.audit.verify import verify
from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import put_versions
from service.supervision.figures import import_figures, standing_figures

pytestmark = pytest.mark.integration

#: A year the sample has no figures for; leases in force at its end exist.
YEAR = 2026
CHINESE = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "税收（万元）",
    "销售收入（万元）",
    "工业增加值（万元）",
    "综合能耗（吨标准煤）",
    "研发经费（万元）",
    "从业人员",
]
ENGLISH = [
    "enterprise_code",
    "name",
    "tax_wan",
    "revenue_wan",
    "added_value_wan",
    "energy_tce",
    "rd_wan",
    "employees",
    "year",
]


@pytest.fixture
def engine(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _holder(engine) -> tuple[str, list[str], float]:
    """The sample's enterprise holding the most standing parcels: name, codes, m²."""
    with engine.connect() as conn:
        name = conn.execute(
            text(
                "SELECT holder FROM parcel_version WHERE valid_to IS NULL AND holder IS NOT NULL "
                "GROUP BY holder ORDER BY count(*) DESC, holder LIMIT 1"
            )
        ).scalar_one()
        rows = conn.execute(
            text(
                "SELECT parcel_code, area_m2 FROM parcel_version "
                "WHERE valid_to IS NULL AND holder = :h"
            ),
            {"h": name},
        ).all()
    return name, sorted(r.parcel_code for r in rows), sum(r.area_m2 for r in rows)


def _tenant(engine) -> tuple[str, float]:
    """A tenant of standard-factory floor holding no parcel, and the floor (m²) its leases
    in force on 31 December of YEAR let (summed here, in Python)."""
    day = date(YEAR, 12, 31)
    with engine.connect() as conn:
        holders = set(
            conn.execute(
                text("SELECT DISTINCT holder FROM parcel_version WHERE valid_to IS NULL")
            ).scalars()
        )
        leases = conn.execute(text("SELECT tenant, leased_m2, start_date, end_date FROM lease"))
        floor: dict[str, float] = {}
        for lease in leases:
            if lease.start_date <= day and (lease.end_date is None or lease.end_date >= day):
                floor[lease.tenant] = floor.get(lease.tenant, 0.0) + lease.leased_m2
    name = sorted(t for t in floor if t not in holders)[0]
    return name, floor[name]


def _xlsx(path: Path, header: list, rows: list[list], *, title: str | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "亩均效益"
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _csv(path: Path, header: list, rows: list[list], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(engine, path: Path, *, year: int = YEAR, **options) -> dict:
    return import_figures(
        engine, path.read_bytes(), file_name=path.name, year=year, actor="figures-test", **options
    )


def _standing(engine, year: int = YEAR) -> dict[str, tuple]:
    """The standing figures of *year*: code → (tax, revenue, added value, energy, R&D,
    employees)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT enterprise_code, tax_wan, revenue_wan, added_value_wan, energy_tce, "
                "rd_wan, employees FROM enterprise_figures WHERE valid_to IS NULL AND year = :y"
            ),
            {"y": year},
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _expected(register: dict[str, str], name: str, code: str | None = None) -> tuple[str, str]:
    """The code a row should be stored under and how it is matched, given the register
    before the import (name → code): its code when the register has it, else the
    register's code of its name, else its code or the one derived from its name (new)."""
    if code is not None and code in register.values():
        return code, "code"
    if name in register:
        return register[name], "name"
    return code or _sha_code(name), "new"


def _register(engine) -> dict[str, str]:
    """Standing enterprises: name → code."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, enterprise_code FROM enterprise WHERE valid_to IS NULL")
        ).all()
    return {r.name: r.enterprise_code for r in rows}


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("enterprise", "enterprise_figures", "change_set")
        )


def _put_enterprises(engine, rows: list[dict]) -> None:
    with engine.begin() as conn:
        cs = open_change_set(conn, kind="supervision", reason="register", actor="figures-test")
        put_versions(conn, change_set_id=cs.id, table="enterprise", rows=rows)


def _sha_code(name: str) -> str:
    return "X" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12].upper()


def test_a_chinese_header_workbook_is_imported_with_each_enterprise_matched_to_its_land(
    engine, tmp_path
):
    holder, parcels, land_m2 = _holder(engine)
    tenant, floor_m2 = _tenant(engine)
    newcomer = "宝鸡新来的科技有限公司"
    register = _register(engine)
    holder_code, holder_by = _expected(register, holder)
    tenant_code, tenant_by = _expected(register, tenant, "91610300MA6X00001X")
    path = _xlsx(
        tmp_path / "2026年亩均效益.xlsx",
        CHINESE,
        [
            [1, None, holder, "12,345.67", "250,000", 80000.5, "1,200.125", 3000, 1500],
            [2, "91610300MA6X00001X", tenant, 88, 950, None, "—", None, 40],
            [3, None, f"\u3000{newcomer} ", 1.5, 20, None, None, None, 5],
        ],
        title="2026年度规上工业企业亩均效益数据（单位：万元）",
    )
    body = _import(engine, path)

    after = _register(engine)
    assert (after[holder], after[tenant]) == (holder_code, tenant_code)
    assert after[newcomer] == _sha_code(newcomer)
    assert _standing(engine) == {
        holder_code: (
            Decimal("12345.67"),
            Decimal("250000.00"),
            Decimal("80000.50"),
            Decimal("1200.125"),
            Decimal("3000.00"),
            1500,
        ),
        tenant_code: (Decimal("88.00"), Decimal("950.00"), None, None, None, 40),
        _sha_code(newcomer): (Decimal("1.50"), Decimal("20.00"), None, None, None, 5),
    }
    ways = [holder_by, tenant_by, "new"]
    assert body["stored"] is True and body["header_row"] == 2
    assert body["ignored_columns"] == ["序号"]
    assert body["matched"] == {
        "by_code": ways.count("code"),
        "by_name": ways.count("name"),
        "new": ways.count("new"),
    }
    assert body["enterprises_registered"] == ways.count("new")
    assert body["land"] == {"holding_land": 1, "leasing_floor": 1, "holding_nothing": 1}
    assert body["figures"] == {"made": 3, "new": 3, "replaced": 0, "unchanged": 0}
    by_row = {e["row"]: e for e in body["enterprises"]}
    assert [by_row[n]["matched_by"] for n in (3, 4, 5)] == ways
    assert by_row[3]["parcels"] == parcels
    assert by_row[3]["land_m2"] == pytest.approx(land_m2)
    assert by_row[3]["land_mu"] == pytest.approx(land_m2 * 15 / 10000)
    assert by_row[4]["parcels"] == [] and by_row[4]["leased_floor_m2"] == pytest.approx(floor_m2)
    assert by_row[5]["name"] == newcomer and not by_row[5]["holds_land"]

    with engine.connect() as conn:
        cs = conn.execute(
            text("SELECT id, kind, reason, actor FROM change_set WHERE id = :id"),
            {"id": body["change_set_id"]},
        ).one()
        ledger = conn.execute(
            text("SELECT kind, delta_city_m2 FROM ledger WHERE change_set_id = :id"),
            {"id": cs.id},
        ).one()
        assert verify(conn).ok
    assert (cs.kind, cs.reason, cs.actor) == (
        "figures",
        "figures import 2026年亩均效益.xlsx year 2026",
        "figures-test",
    )
    assert (ledger.kind, ledger.delta_city_m2) == ("figures", 0)


def test_an_english_header_csv_is_imported_with_its_reason_and_document(engine, tmp_path):
    holder, parcels, _ = _holder(engine)
    holder_code, _ = _expected(_register(engine), holder, "91610300MA6X00002Y")
    path = _csv(
        tmp_path / "figures.csv",
        ENGLISH,
        [
            ["91610300MA6X00002Y", holder, "1,000", "20,000.5", "", "12.5", "", "300", "2026"],
            ["91610300MA6X00003Z", "宝鸡某某新材料有限公司", "3", "40", "", "", "", "", ""],
        ],
    )
    body = _import(
        engine, path, reason="2026年度亩均效益评价数据", document_no="宝工信发〔2027〕7号"
    )
    assert _standing(engine) == {
        holder_code: (
            Decimal("1000.00"),
            Decimal("20000.50"),
            None,
            Decimal("12.500"),
            None,
            300,
        ),
        "91610300MA6X00003Z": (Decimal("3.00"), Decimal("40.00"), None, None, None, None),
    }
    assert body["enterprises"][0]["parcels"] == parcels
    with engine.connect() as conn:
        cs = conn.execute(
            text("SELECT reason, document_no FROM change_set WHERE id = :id"),
            {"id": body["change_set_id"]},
        ).one()
    assert tuple(cs) == ("2026年度亩均效益评价数据", "宝工信发〔2027〕7号")


def test_a_gbk_csv_as_chinese_excel_saves_it_is_read(engine, tmp_path):
    path = _csv(
        tmp_path / "gbk.csv",
        ["企业名称", "税收(万元)", "营业收入(万元)"],
        [["宝鸡某某食品有限公司", "5", "60"]],
        encoding="gbk",
    )
    assert _import(engine, path)["rows"] == 1
    assert _register(engine)["宝鸡某某食品有限公司"] == _sha_code("宝鸡某某食品有限公司")


HEADER = ["企业名称", "税收(万元)", "销售收入(万元)", "年份"]


@pytest.mark.parametrize(
    ("bad_row", "column", "words"),
    [
        (["乙公司", "12..5", 10, YEAR], "税收(万元)", "not a number"),
        (["乙公司", 1, -10, YEAR], "销售收入(万元)", "negative"),
        (["甲公司", 1, 10, YEAR], "企业名称", "duplicate enterprise: 甲公司 is on row 2 too"),
        (["乙公司", 1, 10, 2024], "年份", f"the year 2024 is not the year imported, {YEAR}"),
    ],
    ids=["bad-number", "negative-revenue", "duplicate", "year-mismatch"],
)
def test_a_file_with_a_problem_is_refused_naming_row_and_column_and_nothing_is_stored(
    engine, tmp_path, bad_row, column, words
):
    path = _xlsx(tmp_path / "bad.xlsx", HEADER, [["甲公司", 1, 10, YEAR], bad_row])
    before = _counts(engine)
    with pytest.raises(InvalidFiguresFile) as refused:
        _import(engine, path)
    [problem] = refused.value.problems
    assert (problem["row"], problem["column"]) == (3, column)
    assert words in problem["message"] and problem["message"].startswith("row 3, column ")
    assert _counts(engine) == before


def test_a_dry_run_reports_what_it_would_do_and_stores_nothing(engine, tmp_path):
    path = _csv(tmp_path / "dry.csv", ["name", "tax_wan", "revenue_wan"], [["丙公司", 1, 2]])
    before = _counts(engine)
    body = _import(engine, path, dry_run=True)
    assert body["dry_run"] and not body["stored"] and body["change_set_id"] is None
    assert body["figures"] == {"made": 1, "new": 1, "replaced": 0, "unchanged": 0}
    assert body["enterprises_registered"] == 1
    assert _counts(engine) == before


def test_reimporting_the_same_file_changes_nothing_and_says_so(engine, tmp_path):
    holder, _, _ = _holder(engine)
    path = _xlsx(tmp_path / "f.xlsx", HEADER, [[holder, 10, 100, YEAR], ["丁公司", 1, 2, None]])
    _import(engine, path)
    before = _counts(engine)
    again = _import(engine, path)
    assert again["figures"] == {"made": 0, "new": 0, "replaced": 0, "unchanged": 2}
    assert again["matched"] == {"by_code": 0, "by_name": 2, "new": 0}
    assert again["change_set_id"] is None and not again["stored"]
    assert "nothing changed" in again["message"] and "0 made" in again["message"]
    assert _counts(engine) == before  # not even an empty change set


def test_a_corrected_value_makes_a_new_version_and_keeps_the_old(engine, tmp_path):
    first = _import(
        engine,
        _csv(tmp_path / "v1.csv", ["name", "tax_wan", "revenue_wan"], [["戊公司", 10, 100]]),
    )
    second = _import(
        engine,
        _csv(
            tmp_path / "v2.csv",
            ["name", "tax_wan", "revenue_wan"],
            [["戊公司", 12.5, 100], ["己公司", 1, 1]],
        ),
    )
    assert second["figures"] == {"made": 2, "new": 1, "replaced": 1, "unchanged": 0}
    code = _sha_code("戊公司")
    with engine.connect() as conn:
        versions = conn.execute(
            text(
                "SELECT tax_wan, change_set_id, ended_by_change_set_id, valid_to IS NULL "
                "FROM enterprise_figures WHERE enterprise_code = :c ORDER BY version_id"
            ),
            {"c": code},
        ).all()
    assert [tuple(v) for v in versions] == [
        (Decimal("10.00"), first["change_set_id"], second["change_set_id"], False),
        (Decimal("12.50"), second["change_set_id"], None, True),
    ]


def test_matching_by_code_beats_matching_by_name(engine, tmp_path):
    _put_enterprises(
        engine,
        [
            {"enterprise_code": "91610300MA6X0000A1", "name": "甲公司"},
            {"enterprise_code": "91610300MA6X0000B2", "name": "乙公司"},
        ],
    )
    path = _csv(
        tmp_path / "code.csv",
        ["enterprise_code", "name", "tax_wan", "revenue_wan"],
        [["91610300MA6X0000A1", "乙公司", 5, 50]],
    )
    body = _import(engine, path)
    assert set(_standing(engine)) == {"91610300MA6X0000A1"}
    [row] = body["enterprises"]
    assert (row["matched_by"], row["enterprise_code"], row["name"]) == (
        "code",
        "91610300MA6X0000A1",
        "甲公司",
    )
    assert any("the register names it 甲公司" in w for w in row["warnings"])
    register = _register(engine)
    assert (register["甲公司"], register["乙公司"]) == ("91610300MA6X0000A1", "91610300MA6X0000B2")


def test_a_name_is_matched_trimmed_with_full_width_spaces_made_plain(engine, tmp_path):
    _put_enterprises(engine, [{"enterprise_code": "91610300MA6X0000C3", "name": "宝鸡 某某公司"}])
    path = _csv(
        tmp_path / "name.csv",
        ["企业名称", "税收(万元)", "销售收入(万元)"],
        [["\u3000宝鸡\u3000某某公司 ", 1, 2]],
    )
    body = _import(engine, path)
    assert body["matched"] == {"by_code": 0, "by_name": 1, "new": 0}
    assert set(_standing(engine)) == {"91610300MA6X0000C3"}


def test_a_name_two_enterprises_share_is_refused_asking_for_the_code(engine, tmp_path):
    _put_enterprises(
        engine,
        [
            {"enterprise_code": "91610300MA6X0000D4", "name": "同名公司"},
            {"enterprise_code": "91610300MA6X0000E5", "name": "同名公司"},
        ],
    )
    path = _csv(
        tmp_path / "same.csv", ["企业名称", "税收(万元)", "销售收入(万元)"], [["同名公司", 1, 2]]
    )
    with pytest.raises(InvalidFiguresFile) as refused:
        _import(engine, path)
    [problem] = refused.value.problems
    assert (problem["row"], problem["column"]) == (2, "企业名称")
    assert "give the code" in problem["message"]


def test_two_rows_that_come_to_one_enterprise_are_refused(engine, tmp_path):
    _put_enterprises(engine, [{"enterprise_code": "91610300MA6X0000F6", "name": "庚公司"}])
    path = _csv(
        tmp_path / "twice.csv",
        ["enterprise_code", "name", "tax_wan", "revenue_wan"],
        [["91610300MA6X0000F6", "", 1, 2], ["", "庚公司", 1, 2]],
    )
    with pytest.raises(InvalidFiguresFile) as refused:
        _import(engine, path)
    [problem] = refused.value.problems
    assert problem["row"] == 3 and "as row 2 is" in problem["message"]


def test_an_enterprise_holding_nothing_is_reported_as_one_that_cannot_be_graded(engine, tmp_path):
    path = _csv(tmp_path / "n.csv", ["name", "tax_wan", "revenue_wan"], [["辛公司", 1, 2]])
    body = _import(engine, path)
    assert body["land"] == {"holding_land": 0, "leasing_floor": 0, "holding_nothing": 1}
    [warning] = body["warnings"]
    assert warning["name"] == "辛公司" and "cannot be graded" in warning["message"]


def test_the_standing_figures_are_read_back_by_year_park_and_enterprise(engine, tmp_path):
    holder, parcels, land_m2 = _holder(engine)
    tenant, floor_m2 = _tenant(engine)
    with engine.connect() as conn:
        holder_park = conn.execute(
            text("SELECT min(park) FROM parcel_version WHERE valid_to IS NULL AND holder = :h"),
            {"h": holder},
        ).scalar_one()
    _import(
        engine,
        _csv(
            tmp_path / "r.csv",
            ["name", "tax_wan", "revenue_wan"],
            [[holder, 7, 70], [tenant, 3, 30]],
        ),
    )
    with engine.connect() as conn:
        every = standing_figures(conn, year=YEAR)
        in_park = standing_figures(conn, year=YEAR, park=holder_park)
        one = standing_figures(conn, year=YEAR, enterprise=tenant)
    assert sorted(f["name"] for f in every["figures"]) == sorted([holder, tenant])
    assert every["total"] == 2
    assert holder in [f["name"] for f in in_park["figures"]]
    item = next(f for f in every["figures"] if f["name"] == holder)
    assert (item["tax_wan"], item["parcels"]) == (7.0, parcels)
    assert item["land_m2"] == pytest.approx(land_m2)
    [leased] = one["figures"]
    assert leased["leased_floor_m2"] == pytest.approx(floor_m2)


def test_thirty_thousand_rows_import_in_well_under_a_minute(engine, tmp_path):
    rows = [
        [
            f"916103{i:012d}" if i % 2 else "",
            f"规模测试企业{i:05d}有限公司",
            f"{i % 997:,}.5",
            i,
            "",
            "",
            "",
            i % 300,
        ]
        for i in range(30_000)
    ]
    path = _csv(tmp_path / "big.csv", ENGLISH[:-1], rows)
    started = time.perf_counter()
    body = _import(engine, path)
    took = time.perf_counter() - started
    assert body["figures"]["made"] == 30_000
    assert took < 30, f"30,000 rows took {took:.1f} s"
    started = time.perf_counter()
    again = _import(engine, path)
    assert again["figures"]["unchanged"] == 30_000
    assert time.perf_counter() - started < 30
