"""The words land supervision's report and map layers show: the idle-land stages and
clocks, the contract indicators and the 亩均效益 grades, each in Chinese and English."""

from __future__ import annotations

#: Idle-land stages, least to most severe: code -> (Chinese, English).
IDLE_STAGES: dict[str, tuple[str, str]] = {
    "warning": ("预警", "Early warning"),
    "idle_1y": ("闲置满一年", "Idle ≥ 1 year"),
    "idle_2y": ("闲置满两年", "Idle ≥ 2 years"),
}

#: The idle clocks: code -> (Chinese, English).
IDLE_CLOCKS: dict[str, tuple[str, str]] = {
    "no_start": ("未按约定动工", "Not started"),
    "stalled": ("中止开发建设", "Work stopped"),
}

#: Contract indicators checked for compliance (履约): code -> (Chinese, English).
INDICATORS: dict[str, tuple[str, str]] = {
    "investment_intensity": ("投资强度", "Investment intensity"),
    "plot_ratio": ("容积率", "Plot ratio"),
    "building_coverage": ("建筑系数", "Building coverage"),
    "office_share": ("行政办公及生活服务设施用地比例", "Office and living share"),
    "tax_per_mu": ("亩均税收", "Tax per mu"),
}

#: 亩均效益 grades, best first: grade -> (Chinese, English).
GRADES: dict[str, tuple[str, str]] = {
    "A": ("A类 优先发展", "A: favoured"),
    "B": ("B类 提升发展", "B: to improve"),
    "C": ("C类 帮扶转型", "C: helped to transform"),
    "D": ("D类 整治淘汰", "D: rectified or phased out"),
}

#: Units of the indicators' figures: code -> Chinese (a ratio has none; a share is shown
#: as per cent).
UNITS_ZH: dict[str, str] = {
    "wan_per_mu": "万元/亩",
    "wan_per_mu_year": "万元/亩·年",
    "ratio": "",
    "share": "%",
}
