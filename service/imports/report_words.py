"""The words of an import's reports, HTML and xlsx alike: Chinese names of how the file
was read (encoding, CRS, park assignment), of fields and their values, of the rule's park
targets, and the texts made from them. The names of change kinds and problem severities
are the domain's (:mod:`parks.imports.diff`, :mod:`parks.imports.problems`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from parks.fields import PARCEL_FIELDS
from parks.imports.diff import CHANGE_KIND_NAMES_ZH
from parks.imports.problems import SEVERITY_NAMES_ZH
from parks.units import m2_to_mu
from parks.vocabulary import IMPORT_STATUS_NAMES_ZH, STATUS_NAMES_ZH, SUPPLY_MODE_NAMES_ZH

__all__ = [
    "CHANGE_KIND_NAMES_ZH",
    "IMPORT_STATUS_NAMES_ZH",
    "SEVERITY_NAMES_ZH",
]

#: How the encoding of the file's text was decided (``SourceFacts.encoding_source``).
ENCODING_SOURCES_ZH: dict[str, str] = {
    "cpg": "按 .cpg 文件",
    "given": "按参数指定（--encoding）",
    "utf-8": "按 UTF-8 读取无误",
    "gb18030 (fallback)": "UTF-8 无法读取，改用 GB18030",
    "format": "格式自带编码",
}
#: Where the CRS came from (``SourceFacts.crs_source``).
CRS_SOURCES_ZH: dict[str, str] = {"file": "文件自带", "given": "按参数指定（--crs）"}
#: How features were assigned to parks (``SourceFacts.park_source``).
PARK_SOURCES_ZH: dict[str, str] = {
    "option": "按参数指定（--park）",
    "field": "按文件字段",
    "boundary": "按园区边界判定",
}
#: Columns of the rule's park targets (``RuleEffect.targets``): each park's land reserve
#: against its target, before and after.
TARGET_NAMES_ZH: dict[str, str] = {
    "park": "园区",
    "target_set": "已设目标",
    "min_reserve_mu": "储备目标（亩）",
    "reserve_before_mu": "储备 变更前（亩）",
    "reserve_after_mu": "储备 变更后（亩）",
    "reserve_delta_mu": "储备增减（亩）",
    "met_before": "变更前达标",
    "met_after": "变更后达标",
}
UNIT_NAMES: dict[str, str] = {"m2": "m²", "m": "m", "deg": "°"}
#: Fields a changed parcel's before/after may hold that are not a file's fields.
_EXTRA_FIELD_NAMES_ZH: dict[str, str] = {"area_m2": "面积（m²）", "geometry": "界址"}
_FIELD_NAMES_ZH: dict[str, str] = {
    **{f.key: f.name_zh for f in PARCEL_FIELDS},
    **{f.target: f.name_zh for f in PARCEL_FIELDS if f.target},
    **_EXTRA_FIELD_NAMES_ZH,
}


def named(table: dict[str, str], code: str | None) -> str:
    """``name（code）`` from *table*, the code alone when the table does not know it."""
    if code is None or code == "":
        return ""
    name = table.get(code)
    return f"{name}（{code}）" if name else str(code)


def field_label(key: str) -> str:
    """The Chinese name of a parcel field (``land_use_code`` → 用地代码), else the key."""
    return _FIELD_NAMES_ZH.get(key, key)


def value_text(key: str, value: Any) -> str:
    """A field's value as a technician reads it: statuses and supply modes by name,
    areas in m² and 亩, dates as ISO dates."""
    if value is None or value == "":
        return "—"
    if key == "status":
        return named(STATUS_NAMES_ZH, str(value))
    if key == "supply_mode":
        return named(SUPPLY_MODE_NAMES_ZH, str(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        if key.endswith("_m2"):
            return f"{value:,.2f} m²（{m2_to_mu(value):,.4f} 亩）"
        return f"{value:,}" if isinstance(value, int) else f"{value:,.4f}"
    return str(value)


def changes_text(values: dict[str, Any]) -> str:
    """A changed parcel's before (or after) values: ``字段：值`` joined by ``；``."""
    return "；".join(f"{field_label(k)}：{value_text(k, v)}" for k, v in values.items())


def change_kinds_text(kinds: Iterable[str]) -> str:
    """The Chinese names of a parcel's change kinds, joined by ``、``."""
    return "、".join(CHANGE_KIND_NAMES_ZH.get(k, k) for k in kinds)


def unit_text(unit: str | None) -> str:
    """A problem's unit as shown (``m2`` → ``m²``)."""
    return UNIT_NAMES.get(unit, unit) if unit else ""


def source_text(source: str | None, table: dict[str, str]) -> str:
    """How something was decided, in Chinese (the code itself when the table lacks it)."""
    if not source:
        return ""
    return table.get(source, source)


def target_label(key: str) -> str:
    """The Chinese header of a column of the park targets (the key when unknown)."""
    return TARGET_NAMES_ZH.get(key, key)


def target_columns(targets: Sequence[dict[str, Any]]) -> list[str]:
    """The keys of the targets' entries, in the order they first appear."""
    keys: list[str] = []
    for target in targets:
        keys.extend(k for k in target if k not in keys)
    return keys
