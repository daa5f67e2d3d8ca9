"""How the park maps look: colours of land-use classes, parcel and project statuses,
factory vacancy and context layers, and the bilingual names of the layers. The page's
script (plm.js) receives these tables, so colours have one source: this module. The
statuses themselves and their names come from the vocabulary (``parks.vocabulary``);
only their colours are here."""

from __future__ import annotations

import zlib

from parks.supervision.words import GRADES, IDLE_STAGES
from parks.vocabulary import (
    PROJECT_STATUS_NAMES_EN,
    PROJECT_STATUS_NAMES_ZH,
    STATUS_NAMES_EN,
    STATUS_NAMES_ZH,
    ParcelStatus,
    ProjectStatus,
)

#: Layer key -> (Chinese, English) title in the layer control and the legend.
LAYER_TITLES: dict[str, tuple[str, str]] = {
    "parks": ("园区边界", "Park boundaries"),
    "parcels_use": ("地块·用途", "Parcels by land use"),
    "parcels_status": ("地块·状态", "Parcels by status"),
    "buildings": ("标准化厂房", "Factory buildings (vacancy)"),
    "projects": ("重点项目", "Key projects"),
    "candidates": ("候选地块", "Candidate land"),
    "idle": ("闲置土地", "Idle land"),
    "grades": ("亩均效益", "Grade"),
    "alerts": ("重点项目预警", "Project alerts"),
}
#: The same titles as one string each, Chinese then English.
LAYER_NAMES: dict[str, str] = {key: f"{zh} {en}" for key, (zh, en) in LAYER_TITLES.items()}

# Fill colour per GB/T 21010-2017 class, by code prefix (the longest prefix that is here
# wins): industrial land in a strong brown, storage a lighter purple, commercial red,
# residential yellow, public services blue with parks green, transport grey, water blue.
LAND_USE_COLOURS: dict[str, str] = {
    "01": "#d4e2a0",  # 耕地 cultivated land
    "02": "#b3d68a",  # 园地 garden land
    "03": "#6ea66a",  # 林地 forest
    "04": "#c6e3a3",  # 草地 grassland
    "05": "#e2493b",  # 商服用地 commercial and service
    "06": "#b0876a",  # 工矿仓储用地 industrial, mining and storage
    "0601": "#8e4a1f",  # 工业用地 industrial
    "0602": "#7d6b5d",  # 采矿用地 mining
    "0603": "#c9b8a8",  # 盐田 salt pan
    "0604": "#a990d2",  # 仓储用地 storage
    "07": "#f4d13d",  # 住宅用地 residential
    "08": "#4d86c9",  # 公共管理与公共服务用地 public services
    "0810": "#55b05a",  # 公园与绿地 parks and green space
    "09": "#8f8a6a",  # 特殊用地 special
    "10": "#a3a3a3",  # 交通运输用地 transport
    "11": "#7cc0ea",  # 水域及水利设施用地 water
    "12": "#ddd5c4",  # 其他土地 other land
}
#: Colours for classes the table above does not know, chosen by a checksum of the code.
FALLBACK_COLOURS = ("#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5")
NO_DATA_COLOUR = "#c8c8c8"

#: Outline of manufacturing land: thick and dark, over a hatched fill.
MANUFACTURING_OUTLINE = "#2b1206"
MANUFACTURING_WEIGHT = 2.5
#: Outline of every other parcel (thin and white, so neighbours stay apart).
PARCEL_OUTLINE = "#ffffff"
#: Outline of a standard factory building (its fill says its vacancy).
BUILDING_OUTLINE = "#263238"

#: Colour of each parcel status (the land-supply cycle from light green to purple; idle red).
PARCEL_STATUS_COLOURS: dict[str, str] = {
    ParcelStatus.RESERVE: "#a5d46a",
    ParcelStatus.READY: "#2e8b3e",
    ParcelStatus.SUPPLIED: "#2f7fd0",
    ParcelStatus.UNDER_CONSTRUCTION: "#f28c1c",
    ParcelStatus.OPERATING: "#4b3f9e",
    ParcelStatus.IDLE: "#d7302a",
}
#: Colour and dashed outline (not settled: planned, suspended) of each key project status.
PROJECT_STATUS_LOOKS: dict[str, tuple[str, bool]] = {
    ProjectStatus.PLANNED: ("#7f8c99", True),
    ProjectStatus.SIGNED: ("#1f6fd1", False),
    ProjectStatus.UNDER_CONSTRUCTION: ("#ef7d00", False),
    ProjectStatus.OPERATING: ("#2e9a3e", False),
    ProjectStatus.SUSPENDED: ("#d7302a", True),
}

#: Parcel status, every one of the vocabulary's in its order: code -> (name_zh, name_en,
#: colour). A status without a colour above is drawn grey (a test says it needs one).
PARCEL_STATUSES: dict[str, tuple[str, str, str]] = {
    s.value: (
        STATUS_NAMES_ZH[s],
        STATUS_NAMES_EN[s],
        PARCEL_STATUS_COLOURS.get(s, NO_DATA_COLOUR),
    )
    for s in ParcelStatus
}

#: Key project status, every one of the vocabulary's in its order: code -> (name_zh,
#: name_en, colour, dashed outline).
PROJECT_STATUSES: dict[str, tuple[str, str, str, bool]] = {
    s.value: (
        PROJECT_STATUS_NAMES_ZH[s],
        PROJECT_STATUS_NAMES_EN[s],
        *PROJECT_STATUS_LOOKS.get(s, (NO_DATA_COLOUR, True)),
    )
    for s in ProjectStatus
}

#: Factory vacancy (vacant / floor area): (upper bound, colour), green full to red empty.
VACANCY_CLASSES: tuple[tuple[float, str], ...] = (
    (0.2, "#1a9641"),
    (0.4, "#a6d96a"),
    (0.6, "#ffe08a"),
    (0.8, "#fdae61"),
    (1.0, "#d7191c"),
)

PARK_OUTLINE = "#1d3557"
#: Outline of a park that misses one of its targets.
PARK_MISSED_OUTLINE = "#c81e1e"
#: Candidates of an availability search (and of a drawn area): bright outline.
CANDIDATE_COLOUR = "#00b8d9"

#: Idle land (闲置土地) by stage: warning amber, idle ≥ 1 year orange-red, ≥ 2 years dark red.
IDLE_STAGE_COLOURS: dict[str, str] = {
    "warning": "#f5a300",
    "idle_1y": "#f0441b",
    "idle_2y": "#8b0000",
}
#: Outline of idle land (dashed, dark): it sets idle land apart from a land use of a like
#: colour under it.
IDLE_OUTLINE = "#111827"
#: 亩均效益 grades: A green to D red.
GRADE_COLOURS: dict[str, str] = {"A": "#1a9641", "B": "#a6d96a", "C": "#fdae61", "D": "#d7191c"}
#: Key projects behind plan or with an overdue problem (重点项目预警): a red outline and a
#: red marker with an exclamation mark.
ALERT_COLOUR = "#d7191c"

#: Idle stage, least to most severe: code -> (name_zh, name_en, colour).
IDLE_STAGE_LOOKS: dict[str, tuple[str, str, str]] = {
    stage: (zh, en, IDLE_STAGE_COLOURS.get(stage, NO_DATA_COLOUR))
    for stage, (zh, en) in IDLE_STAGES.items()
}
#: Grade, best first: grade -> (name_zh, name_en, colour).
GRADE_LOOKS: dict[str, tuple[str, str, str]] = {
    grade: (zh, en, GRADE_COLOURS.get(grade, NO_DATA_COLOUR)) for grade, (zh, en) in GRADES.items()
}

#: Context layers: name -> style (Leaflet path options; points are drawn as circles).
CONTEXT_STYLES: dict[str, dict] = {
    "roads": {"color": "#6b7280", "weight": 2, "opacity": 0.9},
    "rail": {"color": "#111827", "weight": 3, "dashArray": "8 5", "opacity": 0.9},
    "river": {"color": "#1d72b8", "weight": 3, "opacity": 0.9},
    "flood_zone": {"color": "#3b82c4", "weight": 1, "fillColor": "#7cc0ea", "fillOpacity": 0.3},
    "utilities": {"color": "#7c3aed", "weight": 2, "fillColor": "#7c3aed", "fillOpacity": 0.8},
    "eco_redline": {
        "color": "#15803d",
        "weight": 2,
        "dashArray": "4 3",
        "fillColor": "#4ade80",
        "fillOpacity": 0.25,
    },
}
#: Style of a context layer the table does not know.
CONTEXT_DEFAULT_STYLE: dict = {"color": "#374151", "weight": 2, "fillOpacity": 0.15}


def land_use_colour(code: str | None) -> str:
    """The fill colour of a GB/T 21010-2017 land-use class: the colour of the longest code
    prefix in :data:`LAND_USE_COLOURS`, else a fixed colour chosen by the code."""
    if not code:
        return NO_DATA_COLOUR
    code = str(code)
    for length in range(len(code), 1, -1):
        colour = LAND_USE_COLOURS.get(code[:length])
        if colour:
            return colour
    return FALLBACK_COLOURS[zlib.crc32(code.encode()) % len(FALLBACK_COLOURS)]


def vacancy_colour(ratio: float | None) -> str:
    """The fill colour of a factory building whose vacant share of floor area is *ratio*
    (0 = fully let, 1 = empty); grey when unknown."""
    if ratio is None:
        return NO_DATA_COLOUR
    for upper, colour in VACANCY_CLASSES:
        if ratio <= upper:
            return colour
    return VACANCY_CLASSES[-1][1]


def shade(colour: str, factor: float) -> str:
    """*colour* (``#rrggbb``) darkened towards black by *factor* (0..1)."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c * (1 - factor)):02x}" for c in rgb)


def hatch_colour(colour: str) -> str:
    """The colour of the hatch lines over manufacturing land of fill *colour*."""
    return shade(colour, 0.55)


def hatch_id(colour: str) -> str:
    """The id of the SVG pattern that hatches fill *colour*."""
    return "plm-hatch-" + colour.lstrip("#").lower()


def context_style(name: str) -> dict:
    """The path style of context layer *name*."""
    return dict(CONTEXT_STYLES.get(name, CONTEXT_DEFAULT_STYLE))
