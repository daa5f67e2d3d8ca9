"""Translating a file's values into the ledger's: land-use classes, statuses, supply modes,
dates and areas, as surveyors write them.

Every translator takes what a file reader gives (text, a number, a date, None or NaN) and
returns the ledger's value, None for an empty one, or raises :class:`ValueError` with a
message that lists what is accepted — the caller turns it into an ``invalid_value``
problem. Land-use values no code, name or class map translates are counted, not raised:
the report lists them all.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from parks.imports.mapping import MappingError
from parks.landuse import LandUseClass
from parks.units import M2_PER_HA, M2_PER_MU
from parks.vocabulary import (
    STATUS_NAMES_EN,
    STATUS_NAMES_ZH,
    SUPPLY_MODE_NAMES_EN,
    SUPPLY_MODE_NAMES_ZH,
    ParcelStatus,
    SupplyMode,
)

#: Other words surveyors' files use for the statuses (beside the codes and the names of
#: :mod:`parks.vocabulary`).
STATUS_SYNONYMS: dict[str, str] = {
    "收储": ParcelStatus.RESERVE,
    "已收储": ParcelStatus.RESERVE,
    "供应": ParcelStatus.SUPPLIED,
    "已出让": ParcelStatus.SUPPLIED,
    "已划拨": ParcelStatus.SUPPLIED,
    "已租赁": ParcelStatus.SUPPLIED,
    "建设中": ParcelStatus.UNDER_CONSTRUCTION,
    "已投产": ParcelStatus.OPERATING,
    "运营": ParcelStatus.OPERATING,
    "已闲置": ParcelStatus.IDLE,
}
#: Other words for the supply modes.
SUPPLY_MODE_SYNONYMS: dict[str, str] = {
    "招拍挂": SupplyMode.GRANT,
    "招拍挂出让": SupplyMode.GRANT,
    "协议出让": SupplyMode.GRANT,
    "挂牌出让": SupplyMode.GRANT,
    "拍卖出让": SupplyMode.GRANT,
    "招标出让": SupplyMode.GRANT,
    "allocation": SupplyMode.ALLOCATE,
    "出租": SupplyMode.LEASE,
    "leasing": SupplyMode.LEASE,
}

_SPACES = re.compile(r"\s+")
#: A code and a name together, either way round: "0601 工业用地", "工业用地(0601)".
_CODE_AND_NAME = re.compile(
    r"^(?:(?P<code>\d{2,4})\s*[-_:.、]?\s*(?P<name>\D.*)|(?P<name2>\D.*?)\s*[(（\[]?"
    r"(?P<code2>\d{2,4})[)）\]]?)$"
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_AREA_UNITS: dict[str, float] = {
    "": 1.0,
    "m2": 1.0,
    "m²": 1.0,
    "㎡": 1.0,
    "平方米": 1.0,
    "平米": 1.0,
    "sqm": 1.0,
    "亩": M2_PER_MU,
    "mu": M2_PER_MU,
    "ha": M2_PER_HA,
    "公顷": M2_PER_HA,
}
_AREA = re.compile(r"^([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*(.*)$")


def is_empty(value: Any) -> bool:
    """Whether a file's *value* says nothing: None, NaN (or NaT), or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except TypeError:
        return True  # pandas' NA: its comparisons are NA, which has no truth value
    except ValueError:
        return False


def _key(value: Any) -> str:
    """A value as a lookup key: text without any whitespace, case folded."""
    return _SPACES.sub("", str(value)).casefold()


def _number(value: Any) -> float | None:
    """*value* as a float when it is a number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


# --- land use ----------------------------------------------------------------------------------


class ClassMap(dict):
    """A class map as read from its file: {source: code}, remembering each source's line
    (``lines``) so errors can name it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[str, int] = {}


def read_class_map(
    path: Path | str, *, classes: list[LandUseClass] | None = None
) -> dict[str, str]:
    """A class map (CSV of source value → code) as {source: code}: columns ``source`` and
    ``code``, or two columns without a header; UTF-8 (with or without a BOM), else GB18030.
    With *classes*, every code must be one of theirs (:class:`MappingError` naming the
    line). Blank lines are skipped; a source given twice with two codes is an error."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]
    rows = [(n, [c.strip() for c in row]) for n, row in rows if any(c.strip() for c in row)]
    name = Path(path).name
    if not rows:
        return ClassMap()
    first = [c.casefold() for c in rows[0][1]]
    if "source" in first and "code" in first:
        source_at, code_at = first.index("source"), first.index("code")
        rows = rows[1:]
    else:
        source_at, code_at = 0, 1
    known = {c.code for c in classes} if classes is not None else None
    class_map = ClassMap()
    for n, row in rows:
        if len(row) <= max(source_at, code_at) or not row[source_at] or not row[code_at]:
            raise MappingError(
                f"--class-map {name}, line {n}: expected a source value and a code, got "
                f"{','.join(row)!r}"
            )
        source, code = row[source_at], row[code_at]
        if known is not None and code not in known:
            raise MappingError(
                f"--class-map {name}, line {n}: {source} → {code}: {code} is not a code of the "
                "class table (e.g. 0601 工业用地)"
            )
        if source in class_map and class_map[source] != code:
            raise MappingError(
                f"--class-map {name}, line {n}: {source} is mapped to {class_map[source]} on "
                f"line {class_map.lines[source]} and to {code} here"
            )
        class_map[source] = code
        class_map.lines.setdefault(source, n)
    return class_map


class LandUseTranslator:
    """Translate a file's land-use values into codes of *classes*.

    A value is tried as: an entry of *class_map* (source value → code; it wins, because
    another scheme's code can look like one of the table's, as the 2023 用地用海 1001
    工业用地 looks like 1001 铁路用地), a code of the table, a number read from a numeric
    field (601.0 → 0601, when only one code of the table reads so), a Chinese name
    (whitespace ignored), an English name (case ignored), or a code and its name
    together ("0601 工业用地"). Values nothing translates are counted in
    :attr:`untranslated`."""

    def __init__(
        self, classes: list[LandUseClass], class_map: Mapping[str, str] | None = None
    ) -> None:
        self.classes = list(classes)
        codes = {c.code for c in self.classes}
        self._by_code = {c.code: c for c in self.classes}
        self._map: dict[str, str] = {}
        self._map_folded: dict[str, str] = {}
        lines = getattr(class_map, "lines", {}) if class_map is not None else {}
        for source, code in (class_map or {}).items():
            code = str(code).strip()
            if code not in codes:
                line = f", line {lines[source]}" if source in lines else ""
                raise MappingError(
                    f"--class-map{line}: {source} → {code}: {code} is not a code of the "
                    "class table (e.g. 0601 工业用地)"
                )
            self._map[str(source).strip()] = code
            self._map_folded.setdefault(_key(source), code)
        self._by_name: dict[str, str] = {}
        for c in self.classes:
            self._by_name.setdefault(_key(c.name_zh), c.code)
            self._by_name.setdefault(_key(c.name_en), c.code)
        self._untranslated: Counter[str] = Counter()

    @property
    def untranslated(self) -> dict[str, int]:
        """Each value nothing translated (as text) → how many features had it, most first."""
        return dict(self._untranslated.most_common())

    def translate(self, value: Any) -> str | None:
        """The code *value* means, or None — for an empty value (not counted) or one nothing
        translates (counted in :attr:`untranslated`)."""
        if is_empty(value):
            return None
        code = self._lookup(value)
        if code is None:
            self._untranslated[_display(value)] += 1
        return code

    def _lookup(self, value: Any) -> str | None:
        number = _number(value)
        text = _display(value)
        if text in self._map:
            return self._map[text]
        if _key(text) in self._map_folded:
            return self._map_folded[_key(text)]
        if number is not None:
            return self._from_number(number)
        if text in self._by_code:
            return text
        if _key(text) in self._by_name:
            return self._by_name[_key(text)]
        match = _CODE_AND_NAME.match(text)
        if match:
            code = match.group("code") or match.group("code2")
            name = match.group("name") or match.group("name2")
            cls = self._by_code.get(code)
            if cls is not None and _key(name) in {_key(cls.name_zh), _key(cls.name_en)}:
                return code
        return None

    def _from_number(self, number: float) -> str | None:
        """A code read as a number loses its leading zero (0601 → 601): the code of the
        table it reads as, when exactly one does."""
        if not math.isfinite(number) or number != int(number) or number < 0:
            return None
        digits = str(int(number))
        found = {digits.zfill(width) for width in (2, 4)} & set(self._by_code)
        return found.pop() if len(found) == 1 else None


def _display(value: Any) -> str:
    """A value as text for lookups and the report: whole numbers without ".0"."""
    number = _number(value)
    if number is not None and math.isfinite(number) and number == int(number):
        return str(int(number))
    return str(value).strip()


# --- statuses and supply modes -------------------------------------------------------------


@dataclass
class ValueMaps:
    """A mapping file's ``[values.<target>]`` tables: the file's own words for statuses,
    supply modes and land-use classes (source value → the ledger's value). They are
    tried before the built-in names."""

    status: dict[str, str] = field(default_factory=dict)
    supply_mode: dict[str, str] = field(default_factory=dict)
    land_use: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping_file(cls, mapping_file: Mapping[str, Any] | None) -> ValueMaps:
        """The ``[values.status]``, ``[values.supply_mode]`` and ``[values.land_use_code]``
        tables of a parsed mapping file (TOML). Every value must be one the ledger knows
        (a land-use table's are checked by :class:`LandUseTranslator`); otherwise
        :class:`MappingError` names the table and the entry."""
        tables = (mapping_file or {}).get("values") or {}
        if not isinstance(tables, Mapping):
            raise MappingError("mapping file: [values] must hold tables such as [values.status]")
        known = {"status", "supply_mode", "land_use_code"}
        for name in tables:
            if name not in known:
                raise MappingError(
                    f"mapping file: unknown table [values.{name}]; value tables: "
                    f"{', '.join(f'[values.{k}]' for k in sorted(known))}"
                )
        maps = cls(
            status=_value_table(tables, "status", [s.value for s in ParcelStatus]),
            supply_mode=_value_table(tables, "supply_mode", [m.value for m in SupplyMode]),
            land_use=_value_table(tables, "land_use_code", None),
        )
        return maps


def _value_table(tables: Mapping[str, Any], name: str, allowed: list[str] | None) -> dict[str, str]:
    table = tables.get(name) or {}
    if not isinstance(table, Mapping):
        raise MappingError(f"mapping file: [values.{name}] must be a table of value = {name}")
    result: dict[str, str] = {}
    for source, target in table.items():
        target = str(target).strip()
        if allowed is not None and target not in allowed:
            raise MappingError(
                f"mapping file: [values.{name}] {source} = {target!r}: unknown {name}; "
                f"valid: {', '.join(allowed)}"
            )
        result[str(source).strip()] = target
    return result


def _build(
    members: list[str], names: tuple[Mapping[str, str], ...], synonyms: Mapping[str, str]
) -> dict[str, str]:
    """Lookup key → member: each member's code and its *names* (member → name), then the
    *synonyms* (word → member)."""
    lookup: dict[str, str] = {}
    for member in members:
        lookup[_key(member)] = member
        for table in names:
            lookup.setdefault(_key(table[member]), member)
    for word, member in synonyms.items():
        lookup.setdefault(_key(word), str(member))
    return lookup


_STATUSES = _build(
    [s.value for s in ParcelStatus], (STATUS_NAMES_ZH, STATUS_NAMES_EN), STATUS_SYNONYMS
)
_SUPPLY_MODES = _build(
    [m.value for m in SupplyMode],
    (SUPPLY_MODE_NAMES_ZH, SUPPLY_MODE_NAMES_EN),
    SUPPLY_MODE_SYNONYMS,
)


def _translate(
    value: Any,
    lookup: dict[str, str],
    value_map: Mapping[str, str] | None,
    *,
    what: str,
    accepted: str,
) -> str | None:
    if is_empty(value):
        return None
    text = str(value).strip()
    if value_map:
        if text in value_map:
            return value_map[text]
        folded = {_key(k): v for k, v in value_map.items()}
        if _key(text) in folded:
            return folded[_key(text)]
    found = lookup.get(_key(text))
    if found is None:
        raise ValueError(f"not a {what}; accepted: {accepted}")
    return found


def translate_status(value: Any, value_map: Mapping[str, str] | None = None) -> str | None:
    """The status *value* means: a status (``reserve``), its Chinese name (储备) or English
    name (Reserve), a common synonym (已出让 → supplied), or an entry of *value_map* (a
    mapping file's ``[values.status]``); None when empty. ValueError (listing what is
    accepted) for anything else."""
    return _translate(
        value,
        _STATUSES,
        value_map,
        what="status",
        accepted=", ".join(
            f"{s.value} ({STATUS_NAMES_ZH[s]}, {STATUS_NAMES_EN[s]})" for s in ParcelStatus
        ),
    )


def translate_supply_mode(value: Any, value_map: Mapping[str, str] | None = None) -> str | None:
    """The supply mode *value* means: ``grant``/``allocate``/``lease``, 出让/划拨/租赁,
    Grant/Allocation/Lease, a common synonym (招拍挂 → grant), or an entry of *value_map*
    (``[values.supply_mode]``); None when empty. ValueError for anything else."""
    return _translate(
        value,
        _SUPPLY_MODES,
        value_map,
        what="supply mode",
        accepted=", ".join(
            f"{m.value} ({SUPPLY_MODE_NAMES_ZH[m]}, {SUPPLY_MODE_NAMES_EN[m]})" for m in SupplyMode
        ),
    )


# --- dates and areas -----------------------------------------------------------------------------


def parse_date(value: Any) -> date | None:
    """A date from a file: a date or datetime (its day), text as 2024-03-01, 2024/3/1,
    2024.3.1, 20240301 or 2024年3月1日 (a time after the day is ignored), or the number
    20240301; None when empty. ValueError for anything else."""
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    number = _number(value)
    if number is not None:
        if not (math.isfinite(number) and number == int(number)):
            raise ValueError(_DATE_HELP)
        value = str(int(number))
    text = _SPACES.sub(" ", str(value).strip())
    day = re.split(r"[ T]", text, maxsplit=1)[0] if not text.endswith("日") else text
    day = day.replace(" ", "")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(day, fmt).date()
        except ValueError:
            continue
    raise ValueError(_DATE_HELP)


_DATE_HELP = "not a date; accepted: 2024-03-01, 2024/3/1, 2024.3.1, 20240301, 2024年3月1日"


def parse_area(value: Any) -> float | None:
    """An area in m² from a file: a number, or text such as ``1,234.5``, ``1234.5㎡``,
    ``1234.5 m2``, ``1234.5平方米`` — or in 亩 or hectares (``12.5亩``, ``1.2 ha``),
    converted; None when empty. ValueError for anything else, or a negative area."""
    if is_empty(value):
        return None
    number = _number(value)
    if number is None:
        text = str(value).strip().replace(",", "").replace("，", "")
        match = _AREA.match(text)
        unit = _SPACES.sub("", match.group(2)).casefold() if match else None
        if match is None or unit not in _AREA_UNITS:
            raise ValueError(
                "not an area; accepted: a number of m² (1234.5, 1,234.5, 1234.5㎡, "
                "1234.5 m2, 1234.5平方米), or 亩 (12.5亩) or hectares (1.2 ha)"
            )
        try:
            number = float(match.group(1)) * _AREA_UNITS[unit]
        except ValueError:
            raise ValueError(f"not an area: {match.group(1)!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError("not an area: it must be a finite number, zero or more")
    return number
