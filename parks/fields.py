"""The fields of a parcel as files carry them: the one home of their names.

Each field has an English name (GeoPackage, GeoJSON, CSV, xlsx), a short English name of
at most 10 characters (Shapefile/dBASE), a Chinese name and a short Chinese name of at
most three characters (10 bytes in UTF-8, for Shapefiles), and the names surveyors' files
commonly use for it (aliases). An import maps a file's fields by these names; an export
writes them; so an exported file maps back without being told.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ParcelField:
    """One field of a parcel in a file.

    *target* is the import's target name (None: written by exports, ignored by imports:
    it is derived, e.g. the class's name or the area in 亩)."""

    key: str
    name_en: str
    short_en: str
    name_zh: str
    short_zh: str
    target: str | None
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every name that denotes this field (case-insensitive match is the caller's)."""
        return (self.name_en, self.short_en, self.name_zh, self.short_zh, *self.aliases)


# A table: one field per entry, its names in the dataclass's order.
# fmt: off
PARCEL_FIELDS: tuple[ParcelField, ...] = (
    ParcelField(
        "parcel_code", "parcel_code", "parcel", "宗地编号", "宗地号", "parcel_code",
        ("宗地代码", "ZDDM", "DKBH", "地块编号", "地块编码", "宗地编码", "code", "PARCEL_COD"),
    ),
    ParcelField(
        "park", "park", "park", "园区", "园区", "park",
        ("所属园区", "园区代码", "YQDM", "park_code"),
    ),
    ParcelField(
        "land_use_code", "land_use_code", "land_use", "用地代码", "地类码", "land_use_code",
        ("用地性质", "用地类型", "地类编码", "地类代码", "DLBM", "YDXZ", "YDLX", "landuse",
         "LAND_USE_C"),
    ),
    ParcelField(
        "land_use_name", "land_use_name", "use_name", "用地名称", "地类名", None,
        ("地类名称", "DLMC"),
    ),
    ParcelField(
        "status", "status", "status", "状态", "状态", "status",
        ("宗地状态", "地块状态", "ZT"),
    ),
    ParcelField(
        "holder", "holder", "holder", "权利人", "权利人", "holder",
        ("使用权人", "土地使用者", "QLR", "QLRMC", "权利人名称"),
    ),
    ParcelField(
        "supply_mode", "supply_mode", "supply", "供地方式", "供地式", "supply_mode",
        ("供应方式", "GDFS", "SUPPLY_MOD"),
    ),
    ParcelField(
        "supplied_on", "supplied_on", "supplied", "供地日期", "供地日", "supplied_on",
        ("供应日期", "GDRQ", "SUPPLIED_O"),
    ),
    ParcelField(
        "area_m2", "area_m2", "area_m2", "面积", "面积", "declared_area_m2",
        ("宗地面积", "面积平方米", "ZDMJ", "MJ", "declared_area_m2", "area"),
    ),
    ParcelField("area_mu", "area_mu", "area_mu", "面积亩", "亩数", None, ("亩",)),
    ParcelField("valid_from", "valid_from", "valid_from", "生效时间", "生效日", None, ()),
)
# fmt: on

#: The import's target fields, in order; the first two are required.
TARGET_FIELDS: tuple[str, ...] = (
    "parcel_code",
    "land_use_code",
    "status",
    "holder",
    "supply_mode",
    "supplied_on",
    "park",
    "declared_area_m2",
)
REQUIRED_TARGETS: frozenset[str] = frozenset({"parcel_code", "land_use_code"})


def field_by_key(key: str) -> ParcelField:
    """The field whose key is *key* (KeyError when there is none)."""
    for field in PARCEL_FIELDS:
        if field.key == key:
            return field
    raise KeyError(key)
