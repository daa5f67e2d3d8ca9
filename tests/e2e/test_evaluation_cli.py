"""``parks evaluation report`` on the command line: the year's workbook with its Chinese
sheets (企业评价, 园区汇总, 低效用地, 评价方法) agreeing with the data built; exit 1 naming
the year when it has no figures (or naming an unknown park), exit 2 for bad usage. The data
(support_evaluation.build_city) is built once on a copy of the sample for the module."""

from __future__ import annotations

import openpyxl
import pytest
import support_evaluation as se
import support_reads as sr

pytestmark = pytest.mark.e2e

YEAR = se.E2E_YEAR


@pytest.fixture(scope="module")
def city(databases, loaded_template) -> dict:
    url = sr.database_url(databases.create(template=loaded_template))
    return {"url": url, **se.build_city(url)}


def _rows(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row, strict=False)) for row in values[1:]]


def test_the_report_writes_the_years_workbook_with_its_chinese_sheets(city, tmp_path):
    out = tmp_path / "亩均效益.xlsx"
    result = sr.run_parks(
        "evaluation", "report", "--year", str(YEAR), "--out", str(out), url=city["url"]
    )
    assert result.returncode == 0, result.stderr
    assert str(YEAR) in result.stdout and "D 1" in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["企业评价", "园区汇总", "低效用地", "评价方法"]
    enterprises = _rows(wb["企业评价"])
    graded = {r["企业代码"]: r for r in enterprises if r["等级"] != "未评价"}
    assert set(graded) == {*city["codes"], "EV-LESSOR", "EV-T"}
    assert graded["EV-LESSOR"]["等级"] == "D" and graded["EV-LESSOR"]["组别"] == "用地企业"
    assert graded["EV-T"]["组别"] == "租赁厂房企业"
    assert graded["EV-T"]["用地面积（亩）"] == pytest.approx(0.9)
    for i, holder in enumerate(city["holders"]):
        row = graded[city["codes"][i]]
        assert row["用地面积（㎡）"] == pytest.approx(holder["land_m2"], abs=0.01)
        assert row["持有宗地"] == "、".join(holder["parcels"])
    (ungraded,) = [r for r in enterprises if r["等级"] == "未评价"]
    assert ungraded["企业代码"] == "EV-NOLAND" and ungraded["说明"]
    parks = {r["园区"]: r for r in _rows(wb["园区汇总"])}
    assert set(parks) == {"caijiapo", "fengxiang", "gaoxin", "jiangtan", "合计"}
    assert parks["合计"]["评价企业数"] == len(graded)
    assert sum(parks["合计"][f"{g}类企业数"] for g in "ABCD") == len(graded)
    low = {r["宗地编号"]: r for r in _rows(wb["低效用地"])}
    assert low["EV-0001"]["认定原因"] == "D类企业用地"
    assert low["EV-0001"]["面积（亩）"] == pytest.approx(4.5)  # 3,000 m² × 15 / 10000
    underbuilt = low[city["underbuilt"]["parcel_code"]]
    assert underbuilt["认定原因"] == "容积率低于合同约定"
    assert underbuilt["实测容积率"] == pytest.approx(0.8)
    method = [r[0] for r in wb["评价方法"].iter_rows(values_only=True)]
    assert "单项得分" in method and "分档" in method and "亩均税收" in method


def test_one_parks_report_lists_only_that_park(city, tmp_path):
    out = tmp_path / "gaoxin.xlsx"
    result = sr.run_parks(
        "evaluation",
        "report",
        "--year",
        str(YEAR),
        "--out",
        str(out),
        "--park",
        "gaoxin",
        url=city["url"],
    )
    assert result.returncode == 0, result.stderr
    wb = openpyxl.load_workbook(out)
    assert [r["园区"] for r in _rows(wb["园区汇总"])] == ["gaoxin"]
    assert {r["园区"] for r in _rows(wb["企业评价"]) if r["等级"] != "未评价"} == {"gaoxin"}


def test_a_year_without_figures_exits_1_naming_the_year(city, tmp_path):
    out = tmp_path / "none.xlsx"
    result = sr.run_parks(
        "evaluation", "report", "--year", "2019", "--out", str(out), url=city["url"]
    )
    assert result.returncode == 1 and "2019" in result.stderr
    assert not out.exists()


def test_an_unknown_park_exits_1_naming_it(city, tmp_path):
    result = sr.run_parks(
        "evaluation",
        "report",
        "--year",
        str(YEAR),
        "--out",
        str(tmp_path / "x.xlsx"),
        "--park",
        "xian",
        url=city["url"],
    )
    assert result.returncode == 1 and "xian" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--out", "x.xlsx"),  # no year
        ("--year", "2030"),  # no out
        ("--year", "twenty", "--out", "x.xlsx"),
        ("--year", "2030", "--out", "x.csv"),  # not a workbook
    ],
)
def test_bad_usage_exits_2(city, tmp_path, args):
    args = tuple(str(tmp_path / a) if a.startswith("x.") else a for a in args)
    result = sr.run_parks("evaluation", "report", *args, url=city["url"])
    assert result.returncode == 2, result.stderr
