"""Text from dirty files reaches workbooks intact and harmless."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from service.exports import cells


def _saved_and_read(write) -> list[list[object]]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    write(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return [list(r) for r in load_workbook(io.BytesIO(buffer.getvalue())).active.values]


def test_control_characters_are_written_visibly_instead_of_breaking_the_workbook():
    rows = _saved_and_read(lambda ws: ws.append([cells.write_only_value(ws, "宗地\x01A\x1f")]))
    assert rows == [["宗地\\x01A\\x1f"]]


def test_formula_like_text_from_a_file_stays_text_in_a_streamed_workbook():
    rows = _saved_and_read(lambda ws: ws.append([cells.write_only_value(ws, "=1+1")]))
    assert rows == [["=1+1"]]


def test_numbers_and_numpy_scalars_stay_numbers():
    import numpy as np

    rows = _saved_and_read(lambda ws: ws.append([cells.write_only_value(ws, np.float64(-2.5)), -3]))
    assert rows == [[-2.5, -3]]


def test_text_longer_than_a_cell_holds_is_cut_with_an_ellipsis():
    text = cells.xlsx_text("x" * (cells.CELL_MAX_CHARS + 10))
    assert len(text) == cells.CELL_MAX_CHARS and text.endswith("…")


def test_rows_appended_to_an_ordinary_sheet_survive_control_characters():
    wb = Workbook()
    cells.append_row(wb.active, ["a\x00b", "=SUM(A1)"])
    buffer = io.BytesIO()
    wb.save(buffer)
    read = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [c.value for c in read[1]] == ["a\\x00b", "=SUM(A1)"]
    assert read["B1"].data_type == "s"
