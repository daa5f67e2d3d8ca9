"""Values made safe for spreadsheet cells — the one place every xlsx and CSV writer uses.

A spreadsheet reads a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return before one) as a formula, so a document number ``=HYPERLINK(...)`` or a
tenant ``=cmd|...`` typed by someone else would run in an auditor's Excel. Such strings are
stored as text instead:

* in a CSV, with a leading single quote (OWASP's advice: the quote shows, nothing runs);
* in a workbook, as a string cell (openpyxl would otherwise make any string beginning with
  ``=`` a formula) with Excel's quote prefix, so the value shows exactly as written and
  stays text when someone edits the cell.

Only strings are touched: a number — a negative one included — stays a number.

A workbook is XML, which cannot hold most control characters (a dirty DBF carries them):
:func:`xlsx_text` writes them as ``\\xNN`` and cuts text to Excel's cell limit, for every
workbook writer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

#: A string beginning with one of these is read as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What a CSV puts before such a string.
CSV_TEXT_PREFIX = "'"
#: The most characters an Excel cell holds.
CELL_MAX_CHARS = 32_767


def xlsx_text(value: str) -> str:
    """*value* as a workbook cell can hold it: control characters XML forbids written as
    ``\\xNN`` (visible, not dropped), cut to :data:`CELL_MAX_CHARS` with an ellipsis."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", value)
    if len(value) > CELL_MAX_CHARS:
        value = value[: CELL_MAX_CHARS - 1] + "…"
    return value


def _xlsx_value(value: Any) -> Any:
    return xlsx_text(value) if isinstance(value, str) else value


def is_formula_like(value: Any) -> bool:
    """True when *value* is a string a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """*value* for a CSV cell: a formula-like string behind a single quote, else as it is."""
    return CSV_TEXT_PREFIX + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A CSV row with every value made safe by :func:`csv_value`."""
    return [csv_value(v) for v in values]


def keep_as_text(cell: Cell) -> Cell:
    """Make *cell* a literal string cell when its value is formula-like; returns *cell*."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def append_row(ws: Worksheet, values: Iterable[Any]) -> None:
    """Append *values* as the next row of *ws*, formula-like strings kept as text."""
    row = [_xlsx_value(v) for v in values]
    ws.append(row)
    for column in range(1, len(row) + 1):
        keep_as_text(ws.cell(row=ws.max_row, column=column))


def set_cell(ws: Worksheet, *, row: int, column: int, value: Any) -> Cell:
    """Set one cell of *ws* to *value*, a formula-like string kept as text."""
    return keep_as_text(ws.cell(row=row, column=column, value=_xlsx_value(value)))


def write_only_value(ws: Any, value: Any) -> Any:
    """*value* for a row of a write-only sheet *ws* (a streamed workbook): text as
    :func:`xlsx_text` makes it — in a text cell when formula-like —, a numpy scalar as its
    Python value, anything else as it is."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, str):
        value = xlsx_text(value)
        if is_formula_like(value):
            return keep_as_text(WriteOnlyCell(ws, value=value))
    return value
