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
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

#: A string beginning with one of these is read as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What a CSV puts before such a string.
CSV_TEXT_PREFIX = "'"


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
    row = list(values)
    ws.append(row)
    for column in range(1, len(row) + 1):
        keep_as_text(ws.cell(row=ws.max_row, column=column))


def set_cell(ws: Worksheet, *, row: int, column: int, value: Any) -> Cell:
    """Set one cell of *ws* to *value*, a formula-like string kept as text."""
    return keep_as_text(ws.cell(row=row, column=column, value=value))
