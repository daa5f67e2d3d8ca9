"""The one place that makes values safe for spreadsheet cells: a string a spreadsheet
would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is stored as text — in a CSV with a leading single quote, in a workbook as a string
cell shown literally. Numbers stay numbers, a negative one included."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from service.exports import cells

FORMULA_LIKE = [
    '=HYPERLINK("http://x","y")',
    "=1+2",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
]
PLAIN = ["宝政土批〔2026〕12号", "GX-0001", "a=b", "1-2", "", " =not first"]


@pytest.mark.parametrize("value", FORMULA_LIKE)
def test_a_formula_like_string_gets_a_leading_quote_in_csv(value):
    assert cells.csv_value(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN)
def test_a_plain_string_is_unchanged_in_csv(value):
    assert cells.csv_value(value) == value


@pytest.mark.parametrize("value", [-5, -0.25, 0, 12.5, None, True])
def test_numbers_and_empty_values_are_unchanged_in_csv(value):
    assert cells.csv_value(value) is value


def test_a_csv_row_written_through_the_one_place_opens_as_text():
    out = io.StringIO()
    csv.writer(out).writerow(cells.csv_row(['=HYPERLINK("http://x","y")', -3, "@a", "ok"]))
    (row,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert row == ['\'=HYPERLINK("http://x","y")', "-3", "'@a", "ok"]


def test_a_workbook_row_keeps_formula_like_strings_as_literal_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    cells.append_row(ws, [*FORMULA_LIKE, -5, 2.5, "plain"])
    cells.set_cell(ws, row=3, column=1, value='=HYPERLINK("http://x","y")')
    out = tmp_path / "cells.xlsx"
    wb.save(out)

    loaded = load_workbook(out).active
    row = list(loaded[1])
    for cell, value in zip(row, FORMULA_LIKE, strict=False):
        assert cell.data_type == "s", (value, cell.data_type)
        assert cell.value == value.replace("\r", "\n")  # XML stores a CR as a line feed
    assert (row[-3].value, row[-3].data_type) == (-5, "n")
    assert (row[-2].value, row[-2].data_type) == (2.5, "n")
    assert row[-1].value == "plain"
    assert loaded.cell(row=3, column=1).data_type == "s"
    assert loaded.cell(row=3, column=1).value == '=HYPERLINK("http://x","y")'


def test_a_formula_like_workbook_cell_is_quote_prefixed_so_editing_keeps_it_text():
    wb = Workbook()
    ws = wb.active
    cells.append_row(ws, ["=1+2", "plain"])
    assert ws["A1"].quotePrefix is True
    assert not ws["B1"].quotePrefix
