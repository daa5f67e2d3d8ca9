"""Enterprises' yearly figures (亩均效益数据) brought in from a workbook or a CSV file.

One row per enterprise for one year: 统一社会信用代码 / 企业名称, 税收, 销售收入, 工业增加值,
综合能耗, 研发经费, 从业人员 (the columns and their units: ``parks.supervision.figures_columns``;
money in 万元, energy in tonnes of standard coal). The steps:

1. read — the first sheet of an .xlsx with a header row (a title above it is skipped),
   or a CSV (UTF-8, or GB18030/GBK as Chinese Excel saves it; comma, tab or semicolon);
2. check — every cell; a file with any problem is refused whole
   (:class:`parks.errors.InvalidFiguresFile`, each problem naming the row as a spreadsheet
   numbers it, the column, and what is wrong), nothing stored;
3. match — each row to an enterprise of the register: by enterprise_code to the standing
   enterprise; else by exact name (trimmed, full-width spaces made plain); else a new
   enterprise is registered, under the code given or, without one, the derived code ``X``
   + the first 12 hex digits of SHA-1(name), upper case (stable across re-imports). Then
   what it is matched to on the ground: the parcels it holds (standing
   ``parcel_version.holder`` = its name, areas planar m² in EPSG:4545, 亩 beside) and the
   standard-factory floor it leases (leases in force on 31 December of the year);
4. store — one change set of kind ``figures`` with the new enterprises and the figures as
   standing versions (``service.db.versioned_records.put_versions``): a row equal to the
   standing figures changes nothing, a corrected row ends the standing version and makes
   a new one (history kept). A file that changes nothing records no change set.

Matching and storing cost a handful of set-based statements whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Connection, Engine, text

from parks.errors import InvalidFiguresFile, NotFound
from parks.supervision.figures_columns import (
    BY_FIELD,
    FIGURE_FIELDS,
    CellError,
    HeaderMatch,
    check_code,
    derived_code,
    figure,
    header_score,
    is_blank,
    is_total_row,
    match_header,
    normal_code,
    normal_name,
    year_of,
)
from parks.units import m2_to_mu
from service.changes.session import open_change_set
from service.db.sqlfiles import sql
from service.db.versioned_records import put_versions

#: ``progress(stage, done, total)``, as the CLI's progress bar takes it.
Progress = Callable[[str, int, int], None]

#: Rows above the header a file may have (a title, a date line, notes).
HEADER_SEARCH_ROWS = 10
#: Rows checked between two progress reports.
PROGRESS_EVERY = 2000

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})


def _sql(name: str) -> str:
    return sql("service.supervision", f"sql/{name}")


def _refuse(message: str, *, row: int | None = None, column: str | None = None) -> None:
    raise InvalidFiguresFile([_problem(row, column, None, message)])


def _problem(row: int | None, column: str | None, field_name: str | None, what: str) -> dict:
    """A problem as the refusal lists it: row (1-based, as a spreadsheet numbers it; None
    for the whole file), column (its header as the file writes it), field, message."""
    where = ", ".join(
        part
        for part in (
            f"row {row}" if row is not None else None,
            f"column {column}" if column else None,
        )
        if part
    )
    return {
        "row": row,
        "column": column,
        "field": field_name,
        "message": f"{where}: {what}" if where else what,
    }


# --- 1. reading ------------------------------------------------------------------------------


@dataclass(slots=True)
class Sheet:
    """A file's rows as (row number as a spreadsheet shows it, cells); the sheet's name."""

    rows: list[tuple[int, tuple[Any, ...]]]
    sheet: str | None = None


def kind_of(data: bytes, file_name: str) -> str:
    """``xlsx`` or ``csv``: by the name's suffix, else by the first bytes."""
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix in XLSX_SUFFIXES or (suffix not in CSV_SUFFIXES and data[:4] == b"PK\x03\x04"):
        return "xlsx"
    if suffix == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        _refuse(f"{file_name}: an old .xls workbook; save it as .xlsx (or .csv) and send that")
    return "csv"


def _header_at(rows: Sequence[tuple[int, tuple[Any, ...]]]) -> int | None:
    """The index in *rows* of the header: the first of the first non-blank rows that names
    two of our columns."""
    seen = 0
    for i, (_, cells) in enumerate(rows):
        if all(is_blank(c) for c in cells):
            continue
        if header_score(cells) >= 2:
            return i
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None


def _read_xlsx(data: bytes, file_name: str) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        _refuse(f"{file_name}: not a workbook that can be read ({exc})")
    try:
        first: Sheet | None = None
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a wrong stored dimension must not cut rows off
            rows = [
                (number, tuple(cells))
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
            found = Sheet(rows, sheet.title)
            if _header_at(rows) is not None:
                return found
            first = first or found
        return first or Sheet([], None)
    finally:
        book.close()


def _decode(data: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    _refuse(f"{file_name}: the text is neither UTF-8 nor GB18030/GBK")
    raise AssertionError  # pragma: no cover - _refuse raises


def _read_csv(data: bytes, file_name: str) -> Sheet:
    content = _decode(data, file_name)
    if "\x00" in content:
        _refuse(f"{file_name}: holds NUL bytes; not a text file")
    first_line = content.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        rows = [(number, tuple(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        _refuse(f"{file_name}: not a CSV file that can be read ({exc})")
    return Sheet(rows, None)


def read_sheet(data: bytes, *, file_name: str) -> Sheet:
    """The rows of a figures file given as bytes: an .xlsx workbook (the first sheet with
    a header row) or a CSV. :class:`InvalidFiguresFile` when it can't be read."""
    if not data.strip():
        _refuse(f"{file_name}: the file is empty")
    if kind_of(data, file_name) == "xlsx":
        return _read_xlsx(data, file_name)
    return _read_csv(data, file_name)


# --- 2. checking ------------------------------------------------------------------------------


@dataclass(slots=True)
class FigureRow:
    """A checked row: its number, the code and name it gives (normalised; "" when not
    given) and its figures (Decimal rounded to the register's places; employees int)."""

    row: int
    code: str
    name: str
    figures: dict[str, Decimal | int | None]


@dataclass(slots=True)
class CheckedFile:
    """A file read and checked: where its header is, which column gives which field, the
    columns ignored, the rows (in file order), the rows skipped, and every problem."""

    sheet: str | None
    header_row: int | None
    columns: dict[str, str]
    ignored: list[str]
    rows: list[FigureRow]
    skipped: list[dict[str, Any]]
    problems: list[dict[str, Any]] = field(default_factory=list)


class _RowChecker:
    """Checks the rows below a header one by one, remembering the codes and names seen
    (an enterprise twice in a file is a problem)."""

    def __init__(self, header: HeaderMatch, *, year: int) -> None:
        self.header = header
        self.year = year
        self.first_by_code: dict[str, int] = {}
        self.first_by_name: dict[str, int] = {}

    def cell(self, cells: tuple[Any, ...], name: str) -> Any:
        i = self.header.index.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    def is_blank_row(self, cells: tuple[Any, ...]) -> bool:
        return all(is_blank(self.cell(cells, name)) for name in self.header.index)

    def check(self, number: int, cells: tuple[Any, ...]) -> tuple[FigureRow, list[dict]]:
        """The row read, and its problems (none: the row may be stored)."""
        index, headers = self.header.index, self.header.headers
        problems: list[dict] = []

        def problem(field_name: str, what: str) -> None:
            problems.append(_problem(number, headers[field_name], field_name, what))

        code = normal_code(self.cell(cells, "enterprise_code"))
        name = normal_name(self.cell(cells, "name"))
        if code:
            try:
                check_code(code)
            except CellError as exc:
                problem("enterprise_code", str(exc))
        if not code and not name:
            problem(
                "name" if "name" in index else "enterprise_code",
                "missing: a row needs the enterprise's name or its code",
            )
        figures: dict[str, Decimal | int | None] = {}
        for field_name in FIGURE_FIELDS:
            column = BY_FIELD[field_name]
            figures[field_name] = None
            if field_name not in index:
                continue
            try:
                figures[field_name] = figure(column, self.cell(cells, field_name))
            except CellError as exc:
                problem(field_name, str(exc))
                continue
            if figures[field_name] is None and column.required:
                problem(field_name, f"missing: {column.zh} is required")
        if "year" in index:
            try:
                given = year_of(self.cell(cells, "year"))
            except CellError as exc:
                problem("year", str(exc))
            else:
                if given is not None and given != self.year:
                    problem("year", f"the year {given} is not the year imported, {self.year}")
        for key, first, column in (
            (code, self.first_by_code, "enterprise_code"),
            (name, self.first_by_name, "name"),
        ):
            if not key:
                continue
            if key in first:
                problem(column, f"duplicate enterprise: {key} is on row {first[key]} too")
            else:
                first[key] = number
        return FigureRow(number, code, name, figures), problems


def check_sheet(sheet: Sheet, *, year: int, progress: Progress | None = None) -> CheckedFile:
    """Check every row of *sheet* as the figures of *year* (no database): the header, then
    each cell — a number where a number is asked (not negative, except tax and added
    value, which a year of refunds or losses can leave below 0), the required ones
    present (tax, revenue, and a name or a code), a valid code, the year column (when
    there is one) equal to *year*, no enterprise twice. Blank rows, and 合计/总计 lines
    without a code, are skipped."""
    at = _header_at(sheet.rows)
    if at is None:
        problem = _problem(
            None,
            None,
            None,
            "no header row: the first rows name none of the columns 统一社会信用代码/"
            "enterprise_code, 企业名称/name, 税收(万元)/tax_wan, 销售收入(万元)/revenue_wan …",
        )
        return CheckedFile(sheet.sheet, None, {}, [], [], [], [problem])
    header_number, header_cells = sheet.rows[at]
    header: HeaderMatch = match_header(header_cells)
    checked = CheckedFile(sheet.sheet, header_number, dict(header.headers), header.ignored, [], [])
    checked.problems = [_problem(header_number, col, None, what) for col, what in header.problems]
    if checked.problems:
        return checked
    checker = _RowChecker(header, year=year)
    body = sheet.rows[at + 1 :]
    for done, (number, cells) in enumerate(body, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("checking rows", done, len(body))
        if checker.is_blank_row(cells):
            continue
        name = normal_name(checker.cell(cells, "name"))
        if is_total_row(name, normal_code(checker.cell(cells, "enterprise_code"))):
            checked.skipped.append({"row": number, "reason": f"a total line ({name})"})
            continue
        row, problems = checker.check(number, cells)
        if problems:
            checked.problems.extend(problems)
        else:
            checked.rows.append(row)
    if progress is not None:
        progress("checking rows", len(body), len(body))
    if not checked.problems and not checked.rows:
        checked.problems.append(_problem(None, None, None, "no rows of figures below the header"))
    return checked


# --- 3. matching -----------------------------------------------------------------------------


@dataclass(slots=True)
class Matched:
    """A row and the enterprise it is: the code its figures are stored under, its name
    (the register's; the file's for a new one), how it was matched (code, name, new)."""

    row: FigureRow
    code: str
    name: str
    by: str
    warnings: list[str] = field(default_factory=list)


def match_rows(
    conn: Connection, rows: Sequence[FigureRow], *, headers: dict[str, str] | None = None
) -> list[Matched]:
    """Each row's enterprise (one query over every code and name of the file): by code to
    the standing enterprise; else by exact name; else new. :class:`InvalidFiguresFile`
    when a name is several enterprises' (give the code), a code unknown to the register
    comes without a name to register it by, or two rows come to one enterprise (each
    problem names the column by its header in *headers*, field → header)."""
    headers = headers or {}
    derived = {r.row: derived_code(r.name) for r in rows if not r.code}
    codes = sorted({r.code for r in rows if r.code} | set(derived.values()))
    names = sorted({r.name for r in rows if r.name})
    by_code: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for standing in conn.execute(
        text(_sql("figures_match.sql")), {"codes": codes, "names": names}
    ).all():
        by_code[standing.enterprise_code] = standing.name
        by_name.setdefault(standing.name, []).append(standing.enterprise_code)
    problems: list[dict] = []
    matched: list[Matched] = []
    first_row_of: dict[str, int] = {}
    for r in rows:
        warnings_: list[str] = []
        if r.code and r.code in by_code:
            m = Matched(r, r.code, by_code[r.code], "code", warnings_)
            if r.name and r.name != m.name:
                warnings_.append(
                    f"the file names it {r.name}; the register names it {m.name} "
                    "(matched by code: the register's name is kept)"
                )
        elif r.name and r.name in by_name:
            found = sorted(by_name[r.name])
            if len(found) > 1:
                problems.append(
                    _problem(
                        r.row,
                        headers.get("name"),
                        "name",
                        f"{r.name} is the name of {len(found)} enterprises in the register "
                        f"({', '.join(found)}): give the code (统一社会信用代码)",
                    )
                )
                continue
            m = Matched(r, found[0], r.name, "name", warnings_)
            if r.code:
                warnings_.append(
                    f"the code {r.code} is not in the register: matched by name to {found[0]}"
                )
        elif not r.code and derived[r.row] in by_code:
            # registered earlier under the code derived from this name, renamed since
            m = Matched(r, derived[r.row], by_code[derived[r.row]], "code", warnings_)
            warnings_.append(
                f"registered under the code derived from this name, {m.code}, as {m.name}"
            )
        elif not r.name:
            problems.append(
                _problem(
                    r.row,
                    headers.get("enterprise_code"),
                    "enterprise_code",
                    f"the code {r.code} is not in the register, and the row gives no name "
                    "to register the enterprise by",
                )
            )
            continue
        else:
            m = Matched(r, r.code or derived[r.row], r.name, "new", warnings_)
        if m.code in first_row_of:
            by = "enterprise_code" if m.by == "code" else "name"
            problems.append(
                _problem(
                    r.row,
                    headers.get(by),
                    by,
                    f"duplicate enterprise: matched to {m.code} ({m.name}), as row "
                    f"{first_row_of[m.code]} is",
                )
            )
            continue
        first_row_of[m.code] = r.row
        matched.append(m)
    if problems:
        raise InvalidFiguresFile(problems)
    return matched


def land_of(conn: Connection, names: Sequence[str], *, year: int) -> dict[str, dict[str, Any]]:
    """What each of *names* has on the ground: the standing parcels it holds (codes, their
    parks, their planar area in m², EPSG:4545) and the standard-factory floor it leases
    (m², leases in force on 31 December of *year*). Only names with something."""
    if not names:
        return {}
    rows = conn.execute(
        text(_sql("figures_land.sql")),
        {"names": sorted(set(names)), "day": date(year, 12, 31)},
    ).all()
    return {
        r.name: {
            "parcels": list(r.parcels or []),
            "land_m2": float(r.land_m2 or 0.0),
            "leased_floor_m2": float(r.leased_floor_m2 or 0.0),
            "buildings": list(r.buildings or []),
            "parks": sorted(set(r.land_parks or []) | set(r.lease_parks or [])),
        }
        for r in rows
    }


# --- 4. the import -----------------------------------------------------------------------------


def _figures_record(code: str, year: int, figures: dict[str, Any]) -> dict[str, Any]:
    return {"enterprise_code": code, "year": year, **{f: figures[f] for f in FIGURE_FIELDS}}


def _standing(conn: Connection, codes: Sequence[str], *, year: int) -> dict[str, dict]:
    rows = conn.execute(
        text(_sql("figures_standing.sql")), {"codes": list(codes), "year": year}
    ).all()
    return {r.enterprise_code: {f: getattr(r, f) for f in FIGURE_FIELDS} for r in rows}


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    return all(new[f] == old[f] for f in FIGURE_FIELDS)


class _NothingToStore(Exception):
    """Rolls the transaction back: the file changes nothing (no change set is kept)."""


def import_figures(
    engine: Engine,
    data: bytes,
    *,
    file_name: str,
    year: int,
    actor: str,
    dry_run: bool = False,
    reason: str | None = None,
    document_no: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Bring in the figures of *year* from *data* (an .xlsx or CSV file's bytes): read,
    check (:class:`InvalidFiguresFile` with every problem when any), match, and — unless
    *dry_run* — store in one change set of kind ``figures`` (reason ``figures import
    <file> year <year>`` unless given). Returns the summary (see :func:`summary`);
    ``change_set_id`` is None for a dry run and for a file that changes nothing."""
    sheet = read_sheet(data, file_name=file_name)
    checked = check_sheet(sheet, year=year, progress=progress)
    if checked.problems:
        raise InvalidFiguresFile(checked.problems)

    def evaluate(conn: Connection) -> tuple[list[Matched], dict, dict]:
        if progress is not None:
            progress("matching enterprises", 0, 1)
        matched = match_rows(conn, checked.rows, headers=checked.columns)
        land = land_of(conn, [m.name for m in matched], year=year)
        standing = _standing(conn, [m.code for m in matched], year=year)
        if progress is not None:
            progress("matching enterprises", 1, 1)
        return matched, land, standing

    if dry_run:
        with engine.connect() as conn:
            matched, land, standing = evaluate(conn)
        return summary(
            checked, matched, land, standing, file_name=file_name, year=year, dry_run=True
        )

    try:
        with engine.begin() as conn:
            # The ledger's lock first: what is standing can't change under the comparison.
            cs = open_change_set(
                conn,
                kind="figures",
                reason=reason or f"figures import {file_name} year {year}",
                actor=actor,
                document_no=document_no,
            )
            matched, land, standing = evaluate(conn)
            body = summary(checked, matched, land, standing, file_name=file_name, year=year)
            if body["figures"]["made"] == 0 and body["enterprises_registered"] == 0:
                raise _NothingToStore(body)
            if progress is not None:
                progress("storing", 0, 2)
            new = [{"enterprise_code": m.code, "name": m.name} for m in matched if m.by == "new"]
            put_versions(conn, change_set_id=cs.id, table="enterprise", rows=new)
            if progress is not None:
                progress("storing", 1, 2)
            written = put_versions(
                conn,
                change_set_id=cs.id,
                table="enterprise_figures",
                rows=[_figures_record(m.code, year, m.row.figures) for m in matched],
            )
            if progress is not None:
                progress("storing", 2, 2)
            counted = body["figures"]
            if (written.made, written.ended) != (counted["made"], counted["replaced"]):
                raise AssertionError(  # pragma: no cover - the lock rules it out
                    f"figures written {written} differ from those compared {counted}"
                )
    except _NothingToStore as nothing:
        return nothing.args[0]
    body["change_set_id"] = cs.id
    body["stored"] = True
    body["message"] = (
        f"stored the {year} figures of {body['rows']} enterprise(s) in change set {cs.id}: "
        f"{counted['made']} version(s) made ({counted['new']} new, {counted['replaced']} "
        f"replacing a standing one), {counted['unchanged']} unchanged; "
        f"{body['enterprises_registered']} enterprise(s) registered"
    )
    return body


def summary(
    checked: CheckedFile,
    matched: Sequence[Matched],
    land: dict[str, dict[str, Any]],
    standing: dict[str, dict[str, Any]],
    *,
    file_name: str,
    year: int,
    dry_run: bool = False,
) -> dict[str, Any]:
    """What an import did (or, dry, would do): counts of rows matched by code, by name and
    new; of enterprises holding land, leasing floor, holding nothing (they can't be
    graded: each is warned about); of figures made (new + replacing a standing version)
    and unchanged; and per row, the enterprise and what it is matched to on the ground."""
    enterprises: list[dict[str, Any]] = []
    warnings_: list[dict[str, Any]] = []
    counts = {"by_code": 0, "by_name": 0, "new": 0}
    grounds = {"holding_land": 0, "leasing_floor": 0, "holding_nothing": 0}
    figures = {"made": 0, "new": 0, "replaced": 0, "unchanged": 0}
    for m in matched:
        counts[{"code": "by_code", "name": "by_name", "new": "new"}[m.by]] += 1
        ground = land.get(m.name)
        parcels = ground["parcels"] if ground else []
        land_m2 = ground["land_m2"] if ground else 0.0
        leased_m2 = ground["leased_floor_m2"] if ground else 0.0
        notes = list(m.warnings)
        if parcels:
            grounds["holding_land"] += 1
        if leased_m2 > 0:
            grounds["leasing_floor"] += 1
        if not parcels and leased_m2 <= 0:
            grounds["holding_nothing"] += 1
            notes.append(
                f"holds no land and leases no standard-factory floor at the end of {year}: "
                "it cannot be graded"
            )
        record = _figures_record(m.code, year, m.row.figures)
        old = standing.get(m.code)
        if old is None:
            state = "new"
        elif _same(record, old):
            state = "unchanged"
        else:
            state = "replaced"
        figures[state] += 1
        enterprises.append(
            {
                "row": m.row.row,
                "enterprise_code": m.code,
                "name": m.name,
                "name_in_file": m.row.name or None,
                "code_in_file": m.row.code or None,
                "matched_by": m.by,
                "parcels": parcels,
                "land_m2": land_m2,
                "land_mu": m2_to_mu(land_m2),
                "leased_floor_m2": leased_m2,
                "parks": ground["parks"] if ground else [],
                "holds_land": bool(parcels),
                "leases_floor": leased_m2 > 0,
                "figures": state,
                "warnings": notes,
            }
        )
        warnings_.extend(
            {"row": m.row.row, "enterprise_code": m.code, "name": m.name, "message": note}
            for note in notes
        )
    figures["made"] = figures["new"] + figures["replaced"]
    registered = counts["new"]
    if dry_run:
        message = (
            f"dry run: the {year} figures of {len(matched)} enterprise(s) would make "
            f"{figures['made']} version(s) ({figures['new']} new, {figures['replaced']} "
            f"replacing a standing one), {figures['unchanged']} unchanged, and register "
            f"{registered} enterprise(s); nothing stored"
        )
    else:
        message = (
            f"nothing changed: the {year} figures of all {len(matched)} enterprise(s) are "
            "standing as given (0 made); no change set recorded"
        )
    return {
        "file": file_name,
        "year": year,
        "dry_run": dry_run,
        "stored": False,
        "change_set_id": None,
        "message": message,
        "sheet": checked.sheet,
        "header_row": checked.header_row,
        "columns": checked.columns,
        "ignored_columns": checked.ignored,
        "rows": len(matched),
        "skipped_rows": checked.skipped,
        "matched": counts,
        "land": grounds,
        "enterprises_registered": registered,
        "figures": figures,
        "warnings": warnings_,
        "enterprises": enterprises,
    }


# --- reading what is standing ------------------------------------------------------------------


def enterprise_codes(conn: Connection, enterprise: str) -> list[str]:
    """The standing enterprise(s) *enterprise* names — a code, or an exact name (which
    several may share); :class:`NotFound` when none."""
    wanted = normal_name(enterprise)
    codes = (
        conn.execute(
            text(_sql("figures_enterprise.sql")),
            {"code": normal_code(enterprise), "name": wanted},
        )
        .scalars()
        .all()
    )
    if not codes:
        raise NotFound(f"enterprise {enterprise!r} is not in the register (no code nor name)")
    return list(codes)


def standing_figures(
    conn: Connection,
    *,
    year: int | None = None,
    park: str | None = None,
    enterprise: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> dict[str, Any]:
    """The standing figures (one version per enterprise and year), newest year first, then
    by code: each with the enterprise's name, the figures (万元, tce, persons), the land
    it holds (m² EPSG:4545 and 亩, parcel codes) and the floor it leases (m², leases in
    force on 31 December of that year), and the change set that stored them. Filters: a
    year; a park (enterprises holding a parcel there or leasing floor in one of its
    buildings); an enterprise (code or exact name; :class:`NotFound` when unknown)."""
    codes = enterprise_codes(conn, enterprise) if enterprise is not None else None
    rows = conn.execute(
        text(_sql("figures_list.sql")),
        {"year": year, "park": park, "codes": codes, "limit": limit, "offset": offset},
    ).all()
    total = rows[0].total if rows else 0
    if not rows and offset:
        total = conn.execute(
            text(_sql("figures_list.sql")),
            {"year": year, "park": park, "codes": codes, "limit": 1, "offset": 0},
        ).first()
        total = total.total if total is not None else 0
    land: dict[int, dict[str, dict]] = {}
    for y in sorted({r.year for r in rows}):
        land[y] = land_of(conn, [r.name for r in rows if r.year == y and r.name], year=y)
    items = []
    for r in rows:
        ground = land[r.year].get(r.name) if r.name else None
        land_m2 = ground["land_m2"] if ground else 0.0
        items.append(
            {
                "enterprise_code": r.enterprise_code,
                "name": r.name,
                "year": r.year,
                **{f: _json_number(getattr(r, f)) for f in FIGURE_FIELDS},
                "parcels": ground["parcels"] if ground else [],
                "land_m2": land_m2,
                "land_mu": m2_to_mu(land_m2),
                "leased_floor_m2": ground["leased_floor_m2"] if ground else 0.0,
                "parks": ground["parks"] if ground else [],
                "change_set_id": r.change_set_id,
                "valid_from": r.valid_from.isoformat(),
            }
        )
    return {
        "year": year,
        "park": park,
        "enterprise": enterprise,
        "total": total,
        "limit": limit,
        "offset": offset,
        "figures": items,
    }


def _json_number(value: Any) -> Any:
    """A stored figure for JSON: numeric as a float, employees as an int, None as null."""
    return float(value) if isinstance(value, Decimal) else value
