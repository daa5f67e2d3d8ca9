"""The columns of each exported layer and their names in English and Chinese.

A parcel's fields have their one home in :mod:`parks.fields` (an import maps them back by
those names). Factory buildings and key projects are exported but not imported; their
names live here, in the same four forms: English, short English (≤ 10 characters, for a
Shapefile's dBASE table), Chinese, short Chinese (≤ 3 characters: ≤ 10 bytes in UTF-8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parks.fields import PARCEL_FIELDS
from service.exports.options import ExportLayer, FieldNames


class NamedField(Protocol):
    """A field with the four names (:class:`parks.fields.ParcelField` is one)."""

    key: str
    name_en: str
    short_en: str
    name_zh: str
    short_zh: str


@dataclass(frozen=True, slots=True)
class LayerField:
    """A field of an exported layer other than parcels."""

    key: str
    name_en: str
    short_en: str
    name_zh: str
    short_zh: str


BUILDING_FIELDS: tuple[LayerField, ...] = (
    LayerField("building_code", "building_code", "building", "厂房编号", "厂房号"),
    LayerField("park", "park", "park", "园区", "园区"),
    LayerField("parcel_code", "parcel_code", "parcel", "宗地编号", "宗地号"),
    LayerField("name", "name", "name", "厂房名称", "名称"),
    LayerField("storeys", "storeys", "storeys", "层数", "层数"),
    LayerField("floor_area_m2", "floor_area_m2", "floor_m2", "建筑面积", "建筑面"),
    LayerField("footprint_m2", "footprint_m2", "foot_m2", "占地面积", "占地面"),
    LayerField("leased_m2", "leased_m2", "leased_m2", "已租面积", "已租面"),
    LayerField("vacant_m2", "vacant_m2", "vacant_m2", "空置面积", "空置面"),
)

PROJECT_FIELDS: tuple[LayerField, ...] = (
    LayerField("project_code", "project_code", "project", "项目编号", "项目号"),
    LayerField("name", "name", "name", "项目名称", "项目名"),
    LayerField("park", "park", "park", "园区", "园区"),
    LayerField("investor", "investor", "investor", "投资方", "投资方"),
    LayerField("industry_chain", "industry_chain", "industry", "产业链", "产业链"),
    LayerField("investment_yi", "investment_yi", "invest_yi", "投资额亿元", "投资额"),
    LayerField("status", "status", "status", "项目状态", "状态"),
    LayerField("parcel_codes", "parcel_codes", "parcels", "用地宗地", "宗地"),
    LayerField("site_area_m2", "site_area_m2", "site_m2", "用地面积", "用地面"),
    LayerField("site_area_mu", "site_area_mu", "site_mu", "用地亩数", "亩数"),
    # Not in a Shapefile: a dBASE text holds at most 254 bytes.
    LayerField("milestones", "milestones", "milestones", "项目节点", "节点"),
)

#: A point inside each feature, in a workbook (which holds no geometry): EPSG:4326.
POINT_FIELDS: tuple[LayerField, ...] = (
    LayerField("lon", "lon", "lon", "经度", "经度"),
    LayerField("lat", "lat", "lat", "纬度", "纬度"),
)

#: The fields of each layer, in the order they are written.
LAYER_FIELDS: dict[ExportLayer, tuple[NamedField, ...]] = {
    ExportLayer.PARCELS: PARCEL_FIELDS,
    ExportLayer.BUILDINGS: BUILDING_FIELDS,
    ExportLayer.PROJECTS: PROJECT_FIELDS,
}
#: Fields a Shapefile leaves out (their text would not fit a dBASE field).
NOT_IN_SHAPEFILES: frozenset[tuple[ExportLayer, str]] = frozenset(
    {(ExportLayer.PROJECTS, "milestones")}
)

#: A workbook's sheet titles.
SHEET_TITLES: dict[ExportLayer, dict[FieldNames, str]] = {
    ExportLayer.PARCELS: {FieldNames.EN: "parcels", FieldNames.ZH: "宗地"},
    ExportLayer.BUILDINGS: {FieldNames.EN: "buildings", FieldNames.ZH: "标准化厂房"},
    ExportLayer.PROJECTS: {FieldNames.EN: "projects", FieldNames.ZH: "重点项目"},
}


def column_name(field: NamedField, *, fields: FieldNames, short: bool = False) -> str:
    """The name *field* is written with: English or Chinese, short for a Shapefile."""
    if fields is FieldNames.ZH:
        return field.short_zh if short else field.name_zh
    return field.short_en if short else field.name_en


def column_names(layer: ExportLayer, *, fields: FieldNames, short: bool = False) -> dict[str, str]:
    """``{key: name}`` of *layer*'s fields in order (a Shapefile's: *short*, without those
    :data:`NOT_IN_SHAPEFILES`)."""
    return {
        f.key: column_name(f, fields=fields, short=short)
        for f in LAYER_FIELDS[layer]
        if not (short and (layer, f.key) in NOT_IN_SHAPEFILES)
    }
