"""The columns of an enterprises' yearly figures file (亩均效益数据), and how their cells
are read: the names a header may have (Chinese or English, any order), the unit each
column is in, numbers as officials type them, enterprise names and codes.

Pure: no database, no files. ``service.supervision.figures`` reads a workbook or CSV and
checks it row by row with these.

Units are fixed: money in 万元, energy in tonnes of standard coal (吨标准煤, tce),
employees in persons. A header may name its unit in brackets (``税收（万元）``); a unit
other than the column's (``税收（元）``) is refused, never converted, so a file in 元 can't
pass as 万元. A header without a unit is taken to be in the column's unit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

#: The enterprise_code pattern the register accepts (统一社会信用代码 is 18 of these).
CODE_PATTERN = re.compile(r"^[0-9A-Z-]{1,40}$")

#: Cells that mean "no figure" in Chinese statistical tables (a dash for none).
BLANK_MARKS = frozenset({"", "-", "--", "—", "——", "－", "/", "／"})

#: A name row that is a total line, not an enterprise (skipped when it gives no code).
TOTAL_NAMES = frozenset({"合计", "总计", "小计", "total", "sum"})


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a figures file: the field it fills, its canonical headers, the other
    names it may go by, the units it accepts, and its bounds."""

    field: str
    zh: str
    kind: str  # code, name, money, energy, count, year
    aliases: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    required: bool = False
    negative_allowed: bool = False
    places: int = 0
    #: the largest magnitude the register stores (its numeric precision)
    most: Decimal = Decimal(0)

    @property
    def unit(self) -> str | None:
        """The unit the column is in (its first accepted unit), None for text."""
        return self.units[0] if self.units else None

    @property
    def header(self) -> str:
        """The canonical Chinese header, with its unit: ``税收(万元)``."""
        return f"{self.zh}({self.unit})" if self.unit else self.zh


_MONEY_UNITS = ("万元", "wan", "10kyuan", "10kcny", "万")
_ENERGY_UNITS = ("吨标准煤", "吨标煤", "tce", "t标准煤", "吨")
_COUNT_UNITS = ("人", "persons", "people")
_MONEY_MOST = Decimal("999999999999.99")  # numeric(14, 2)

#: Every column a figures file may have, in the order a summary shows them.
COLUMNS: tuple[Column, ...] = (
    Column(
        "enterprise_code",
        "统一社会信用代码",
        "code",
        aliases=(
            "enterprise_code",
            "code",
            "credit_code",
            "uscc",
            "社会信用代码",
            "信用代码",
            "企业代码",
            "纳税人识别号",
        ),
    ),
    Column(
        "name",
        "企业名称",
        "name",
        aliases=("name", "enterprise", "enterprise_name", "company", "单位名称", "企业", "名称"),
    ),
    Column(
        "tax_wan",
        "税收",
        "money",
        aliases=("tax_wan", "tax", "税收总额", "实缴税金", "实缴税收", "税金", "纳税额"),
        units=_MONEY_UNITS,
        required=True,
        # net tax paid can fall below zero in a year of VAT refunds (留抵退税)
        negative_allowed=True,
        places=2,
        most=_MONEY_MOST,
    ),
    Column(
        "revenue_wan",
        "销售收入",
        "money",
        aliases=("revenue_wan", "revenue", "sales_wan", "sales", "营业收入", "主营业务收入"),
        units=_MONEY_UNITS,
        required=True,
        places=2,
        most=_MONEY_MOST,
    ),
    Column(
        "added_value_wan",
        "工业增加值",
        "money",
        aliases=("added_value_wan", "added_value", "增加值"),
        units=_MONEY_UNITS,
        # a loss-making year can have a negative added value
        negative_allowed=True,
        places=2,
        most=_MONEY_MOST,
    ),
    Column(
        "energy_tce",
        "综合能耗",
        "energy",
        aliases=("energy_tce", "energy", "综合能源消费量", "能耗"),
        units=_ENERGY_UNITS,
        places=3,
        most=Decimal("99999999999.999"),  # numeric(14, 3)
    ),
    Column(
        "rd_wan",
        "研发经费",
        "money",
        aliases=("rd_wan", "rd", "r&d", "r&d_wan", "研发投入", "研发费用", "r&d经费"),
        units=_MONEY_UNITS,
        places=2,
        most=_MONEY_MOST,
    ),
    Column(
        "employees",
        "从业人员",
        "count",
        aliases=("employees", "staff", "从业人员数", "从业人数", "职工人数", "年末从业人员"),
        units=_COUNT_UNITS,
        most=Decimal(2**31 - 1),  # integer
    ),
    Column("year", "年份", "year", aliases=("year", "年度")),
)

BY_FIELD: dict[str, Column] = {c.field: c for c in COLUMNS}
#: The figures stored per enterprise and year (enterprise_figures' value columns).
FIGURE_FIELDS: tuple[str, ...] = (
    "tax_wan",
    "revenue_wan",
    "added_value_wan",
    "energy_tce",
    "rd_wan",
    "employees",
)
REQUIRED_FIELDS: tuple[str, ...] = tuple(c.field for c in COLUMNS if c.required)


def normal_header(text: object) -> str:
    """A header as it is compared: full-width forms folded (NFKC: （万元） is (万元)), no
    spaces, lower case, without a trailing required-mark ``*``."""
    folded = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return re.sub(r"\s+", "", folded).lower().strip("*")


def _split_unit(header: str) -> tuple[str, str | None]:
    """``税收(万元)`` → (``税收``, ``万元``); a header without a bracketed end has no unit."""
    match = re.fullmatch(r"(.+?)\(([^()]*)\)", header)
    if match is None:
        return header, None
    return match.group(1), match.group(2)


_NAMES: dict[str, str] = {}
for _column in COLUMNS:
    for _alias in (_column.field, _column.zh, *_column.aliases):
        _NAMES[normal_header(_alias)] = _column.field


def column_of(header: object) -> tuple[str | None, str | None]:
    """The field a header names and the problem with its unit: (field, None) when it is
    one of ours in the right unit, (field, message) when its unit is wrong, (None, None)
    when it is not ours (an extra column, ignored)."""
    text = normal_header(header)
    if not text:
        return None, None
    if text in _NAMES:
        return _NAMES[text], None
    base, unit = _split_unit(text)
    field_name = _NAMES.get(base)
    if field_name is None:
        return None, None
    column = BY_FIELD[field_name]
    if unit is not None and unit not in {normal_header(u) for u in column.units}:
        wanted = column.unit or "no unit"
        return field_name, f"the unit {unit!r} is not the column's: {column.zh} is in {wanted}"
    return field_name, None


def header_score(cells: Sequence[object]) -> int:
    """How many cells of a row are headers of ours (a title row above the header scores
    0 or 1; the header row at least 2)."""
    return len({f for f, _ in map(column_of, cells) if f is not None})


@dataclass(slots=True)
class HeaderMatch:
    """Which cell of a row holds each field, the headers left over, and what is wrong
    with the header (each problem: the header named, and what)."""

    index: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    problems: list[tuple[str | None, str]] = field(default_factory=list)


def match_header(cells: Sequence[object]) -> HeaderMatch:
    """Match a header row's cells to the fields. Problems: a field two columns give, a
    unit that is not the column's, a required column missing (tax, revenue, and the name
    or the code)."""
    match = HeaderMatch()
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        shown = "" if cell is None else str(cell).strip()
        field_name, unit_problem = column_of(cell)
        if field_name is None:
            if shown:
                match.ignored.append(shown)
            continue
        seen.add(field_name)
        if unit_problem is not None:
            match.problems.append((shown, unit_problem))
            continue
        if field_name in match.index:
            match.problems.append(
                (
                    shown,
                    f"gives {field_name} as column {match.headers[field_name]!r} does; "
                    "keep one of them",
                )
            )
            continue
        match.index[field_name] = i
        match.headers[field_name] = shown
    if not seen & {"name", "enterprise_code"}:
        match.problems.append(
            (None, "no column 企业名称/name nor 统一社会信用代码/enterprise_code: one is needed")
        )
    for name in REQUIRED_FIELDS:
        if name not in seen:
            column = BY_FIELD[name]
            match.problems.append((None, f"no column {column.header}/{column.field}: it is needed"))
    return match


# --- cells ------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that can't be read as its column asks; the message says what it holds."""


def is_blank(value: object) -> bool:
    """True for an empty cell, or one holding only a dash (no figure)."""
    if value is None:
        return True
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip() in BLANK_MARKS
    return False


_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_number(value: object) -> Decimal | None:
    """A cell as a number: None when blank; an int, a float or text such as ``1,234.5``,
    ``１２３４`` (full-width) or ``1 234``. Commas must group thousands (``1,23`` is not a
    number). :class:`CellError` when it is not a number."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"not a number: {value!r}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(f"not a number: {value!r}")
        return Decimal(repr(value))  # the shortest repr: 0.1 stays 0.1
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellError(f"not a number: {value}")
        return value
    if not isinstance(value, str):
        raise CellError(f"not a number: {value!s}")
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif not _PLAIN.fullmatch(text):
        raise CellError(f"not a number: {value.strip()!r}")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only numbers
        raise CellError(f"not a number: {value.strip()!r}") from None


def figure(column: Column, value: object) -> Decimal | int | None:
    """A figure cell of *column*, checked: a number (None when blank), not negative unless
    the column allows it, within what the register stores, rounded half away from zero
    to the column's places (a whole number for a count). :class:`CellError` otherwise."""
    number = parse_number(value)
    if number is None:
        return None
    if number < 0 and not column.negative_allowed:
        raise CellError(f"negative: {number}; {column.zh} cannot be below 0")
    if column.kind == "count":
        if number != number.to_integral_value():
            raise CellError(f"not a whole number: {number}")
        if number > column.most:
            raise CellError(f"too large: {number} (at most {column.most:,})")
        return int(number)
    rounded = number.quantize(Decimal(1).scaleb(-column.places), rounding=ROUND_HALF_UP)
    if abs(rounded) > column.most:
        raise CellError(f"too large: {number} (at most {column.most:,} {column.unit})")
    return rounded


def year_of(value: object) -> int | None:
    """A year cell (``2025``, ``2025.0``, ``2025年``): None when blank."""
    if is_blank(value):
        return None
    text = value
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().removesuffix("年").strip()
    number = parse_number(text)
    if number is None or number != number.to_integral_value():
        raise CellError(f"not a year: {value!r}")
    return int(number)


def normal_name(value: object) -> str:
    """An enterprise name as it is matched: trimmed, full-width (U+3000) and no-break
    spaces made plain, runs of spaces made one. Nothing else changes: full-width brackets
    stay, as parcels' holders and leases' tenants write them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\u3000", " ").replace("\xa0", " ")
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def normal_code(value: object) -> str:
    """An enterprise code as the register keeps it: full-width folded, no spaces, upper
    case (a code typed as a number in a workbook loses no trailing ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).upper()


def check_code(code: str) -> str:
    """*code* when the register accepts it (digits, capital letters, hyphens, 1–40);
    :class:`CellError` otherwise."""
    if not CODE_PATTERN.fullmatch(code):
        raise CellError(
            f"not an enterprise code: {code!r} (digits, capital letters and '-', 1 to 40)"
        )
    return code


def derived_code(name: str) -> str:
    """The code an enterprise the file gives no code for is registered under: ``X`` and
    the first 12 hex digits of the SHA-1 of its (normalised) name, upper case. Stable: the
    same name always gives the same code, so a re-import finds it again."""
    digest = hashlib.sha1(normal_name(name).encode("utf-8")).hexdigest()  # noqa: S324
    return "X" + digest[:12].upper()


def is_total_row(name: str, code: str) -> bool:
    """A 合计/总计 line (a name that is a total, and no code): not an enterprise."""
    return not code and normal_header(name) in TOTAL_NAMES


def as_text(value: Any) -> str:
    """A cell as the text a problem quotes."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
