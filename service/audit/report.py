"""Reports auditors take away: an Excel workbook (or a CSV of the totals). Every cell goes
through :mod:`service.exports.cells`, so a document number ``=...`` is shown, never run."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from parks.units import M2_PER_MU
from service.audit import digests, queries
from service.audit.verify import verify
from service.exports import cells

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
BOLD = Font(bold=True)

TOTALS_HEADERS = [
    ("park", "园区 Park"),
    ("land_use_code", "用途代码 Land-use code"),
    ("land_use_name", "用途 Land use"),
    ("land_use_name_en", "用途（英文）Land use (en)"),
    ("parcels", "宗数 Parcels"),
    ("area_m2", "面积 Area (m²)"),
    ("area_mu", "面积 Area (亩)"),
    ("area_ha", "面积 Area (ha)"),
    ("manufacturing_m2", "制造业用地 Manufacturing (m²)"),
    ("manufacturing_mu", "制造业用地 Manufacturing (亩)"),
]


def write_report(conn: Connection, *, as_of: datetime, out: Path) -> dict[str, Any]:
    """Write the audit report as of *as_of* to *out* (.xlsx: six sheets — totals, series,
    ledger, refusals, signed digests, verification; .csv: the totals by park and class).
    Returns the totals it wrote."""
    totals = queries.totals_as_of(conn, as_of=as_of, group_by=["park", "land_use"])
    suffix = out.suffix.lower()
    if suffix == ".csv":
        _write_csv(totals, out)
    elif suffix == ".xlsx":
        _write_xlsx(conn, totals, as_of, out)
    else:
        raise InvalidParameter("out", f"{out.name}: write .xlsx or .csv")
    return totals


def _write_csv(totals: dict[str, Any], out: Path) -> None:
    with out.open("w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel reads 中文
        writer = csv.writer(handle)
        writer.writerow(cells.csv_row([f"截至 As of {totals['as_of']}"]))
        writer.writerow(cells.csv_row(label for _, label in TOTALS_HEADERS))
        for row in totals["rows"]:
            writer.writerow(cells.csv_row(row.get(key) for key, _ in TOTALS_HEADERS))
        writer.writerow(cells.csv_row(_city_row(totals["city"], blank="")))


def _city_row(city: dict[str, Any], *, blank: Any) -> list[Any]:
    """The city's line of the totals table (*blank* in the park/class/status columns)."""
    return [
        "全市 City",
        blank,
        blank,
        blank,
        city["parcels"],
        city["area_m2"],
        city["area_mu"],
        city["area_ha"],
        city["manufacturing_m2"],
        city["manufacturing_mu"],
    ]


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]], *, first=False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    cells.append_row(ws, headers)
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        cells.append_row(ws, row)
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(header) + 4))
    ws.freeze_panes = "A2"
    return ws


def _naive(moment: datetime) -> datetime:
    """Excel has no time zones: the moment as naive UTC wall time (the headers say UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _write_xlsx(conn: Connection, totals: dict[str, Any], as_of: datetime, out: Path) -> None:
    wb = Workbook()
    rows = [[row.get(key) for key, _ in TOTALS_HEADERS] for row in totals["rows"]]
    city = totals["city"]
    rows.append(_city_row(city, blank=None))
    ws = _sheet(wb, "按园区和用途 Totals", [label for _, label in TOTALS_HEADERS], rows, first=True)
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    cells.set_cell(ws, row=ws.max_row + 2, column=1, value=f"截至 As of {totals['as_of']}")

    series = [s for s in queries.manufacturing_series(conn) if s["at"] <= as_of]
    parks = sorted({p for s in series for p in s["parks_m2"]})
    names = dict(conn.execute(text("SELECT code, name_zh FROM park")).all())
    _sheet(
        wb,
        "制造业用地序列 Series",
        ["序号 Seq", "时间 Time (UTC)", "类型 Kind", "全市 City (m²)", "全市 City (亩)"]
        + [f"{names.get(p, p)} {p} (m²)" for p in parks],
        [
            [s["seq"], _naive(s["at"]), s["kind"], s["city_m2"], s["city_m2"] / M2_PER_MU]
            + [s["parks_m2"].get(p, 0.0) for p in parks]
            for s in series
        ],
    )

    ledger = queries.ledger_rows(conn, to_at=as_of, limit=1_000_000)["rows"]
    _sheet(
        wb,
        "台账 Ledger",
        [
            "序号 Seq",
            "时间 Time (UTC)",
            "经办 Actor",
            "变更集 Change set",
            "类型 Kind",
            "批文号 Document no.",
            "全市增减 City delta (m²)",
            "全市合计 City total (m²)",
            "园区增减 Park deltas (m²)",
            "园区合计 Park totals (m²)",
            "前一哈希 Previous hash",
            "哈希 Hash (SHA-256)",
        ],
        [
            [
                r["seq"],
                _naive(datetime.fromisoformat(r["at"])),
                r["actor"],
                r["change_set_id"],
                r["kind"],
                r["document_no"],
                r["delta_city_m2"],
                r["total_city_m2"],
                _pairs(r["delta_parks_m2"]),
                _pairs(r["total_parks_m2"]),
                r["prev_hash"],
                r["hash"],
            ]
            for r in ledger
        ],
    )

    refused = [
        r
        for r in queries.refusals(conn, limit=1_000_000)["rows"]
        if datetime.fromisoformat(r["at"]) <= as_of
    ]
    _sheet(
        wb,
        "被拒变更 Refusals",
        [
            "时间 Time (UTC)",
            "经办 Actor",
            "类型 Kind",
            "批文号 Document no.",
            "理由 Reason",
            "错误 Error",
            "范围 Scope",
            "缺口 Shortfall (m²)",
            "缺口 Shortfall (亩)",
            "说明 Message",
        ],
        [
            [
                _naive(datetime.fromisoformat(r["at"])),
                r["actor"],
                r["kind"],
                r["document_no"],
                r["reason"],
                r["error"],
                r["scope"],
                r["shortfall_m2"],
                r["shortfall_mu"],
                r["message"],
            ]
            for r in refused
        ],
    )

    _digests_sheet(wb, conn, as_of)
    result = verify(conn)  # the verification stays the last sheet
    ws = _sheet(
        wb,
        "核验 Verification",
        [
            "检查 Check",
            "台账行 Ledger row",
            "变更集 Change set",
            "地块 Parcel",
            "应为 Expected",
            "实为 Found",
            "说明 Message",
        ],
        [
            [
                p["check"],
                p.get("ledger_seq"),
                p.get("change_set_id"),
                p.get("parcel_code"),
                _cell(p.get("expected")),
                _cell(p.get("found")),
                p["message"],
            ]
            for p in result.problems
        ],
    )
    summary = [
        ("结论 Result", "通过 OK" if result.ok else "发现问题 PROBLEMS FOUND"),
        ("台账合计 Ledger total (m²)", result.ledger_total_m2),
        ("重算合计 Recomputed total (m²)", result.recomputed_total_m2),
        ("只增不减 Never decreased", result.monotonic),
        ("哈希链 Hash chain intact", result.chain_ok),
        ("核验台账行 Ledger rows checked", result.rows_checked),
        ("核验地块版本 Parcel versions checked", result.versions_checked),
        ("核验时间 Verified at (UTC)", _naive(datetime.now(tz=as_of.tzinfo))),
    ]
    start = ws.max_row + 2
    for offset, (label, value) in enumerate(summary):
        cells.set_cell(ws, row=start + offset, column=1, value=label).font = BOLD
        cells.set_cell(ws, row=start + offset, column=2, value=value)
    wb.save(out)


def _digests_sheet(wb: Workbook, conn: Connection, as_of: datetime) -> None:
    """The signed digests taken by *as_of*, newest first, and whether the ledger row each
    signed still carries the hash it signed (their signatures are checked with the public
    key by ``parks audit verify --digests``, not here)."""
    taken = digests.list_digests(conn, limit=1_000_000, to_at=as_of)["rows"]
    _sheet(
        wb,
        "签名摘要 Digests",
        [
            "编号 Id",
            "时间 Taken at (UTC)",
            "台账行 Ledger row",
            "签名哈希 Signed hash",
            "密钥 Key id",
            "签名行数 Rows signed",
            "与台账一致 Matches ledger",
            "台账现哈希 Ledger hash now",
        ],
        [
            [
                d["id"],
                _naive(datetime.fromisoformat(d["taken_at"])),
                d["seq"],
                d["hash"],
                d["key_id"],
                d["rows_signed"],
                d["matches_ledger"],
                d["ledger_hash"],
            ]
            for d in taken
        ],
    )


def _pairs(values: dict[str, float]) -> str:
    return "; ".join(f"{k}: {v:,.2f}" for k, v in values.items())


def _cell(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str) else str(value)
