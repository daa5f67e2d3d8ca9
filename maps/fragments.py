"""HTML fragments of the map pages: the title box, the key-figures panel and the legend.

Every label is bilingual: Chinese in ``<span class="plm-zh">``, English in
``<span class="plm-en">``; the page's language switch hides one or the other. Text from
the data is escaped here (these fragments are inserted as HTML).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

from parks.units import M2_PER_HA, M2_PER_MU

DASH = "—"


def esc(value: Any) -> str:
    """Text for HTML: escaped, ``—`` when empty."""
    if value is None or value == "":
        return DASH
    return html.escape(str(value))


def num(value: Any) -> float | None:
    """*value* as a float, or None when it is not a number."""
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def bi(zh: Any, en: Any) -> str:
    """A bilingual label: the Chinese and the English part each in its own span."""
    parts = []
    if zh not in (None, ""):
        parts.append(f'<span class="plm-zh">{esc(zh)}</span>')
    if en not in (None, ""):
        parts.append(f'<span class="plm-en">{esc(en)}</span>')
    return " ".join(parts) if parts else DASH


def mu(m2: Any, digits: int = 1) -> str:
    """Square metres as 亩, formatted (``—`` when unknown)."""
    value = num(m2)
    return DASH if value is None else f"{value / M2_PER_MU:,.{digits}f}"


def m2(value: Any) -> str:
    """Square metres, formatted with thousands separators."""
    v = num(value)
    return DASH if v is None else f"{v:,.0f}"


# --- title box ----------------------------------------------------------------------------


def title_html(
    *,
    title_zh: str,
    title_en: str,
    park_props: list[dict],
    parcel_count: int,
    manufacturing_m2: float,
    subtitle: str = "",
) -> str:
    """The title box: both titles, the parcel count and manufacturing land, and a button
    per park (plus "all") that fits the map to it. *subtitle* is HTML put under it."""
    stats = (
        f"<b>{len(park_props)}</b> {bi('个园区', 'parks')} · <b>{parcel_count:,}</b> "
        f"{bi('宗地块', 'parcels')}<br>{bi('制造业用地', 'Manufacturing land')} "
        f"<b>{mu(manufacturing_m2)}</b> 亩 ({manufacturing_m2 / M2_PER_HA:,.1f} ha)"
    )
    chips = "".join(
        f'<button type="button" data-plm-park="{html.escape(str(p.get("code")), quote=True)}"'
        f' title="{esc(p.get("code"))}">{bi(p.get("name_zh"), p.get("name_en"))}</button>'
        for p in park_props
    )
    if len(park_props) > 1:
        chips += f'<button type="button" data-plm-park="">{bi("全部", "All")}</button>'
    return (
        '<div class="plm-title">'
        f'<h1 class="plm-zh">{esc(title_zh)}</h1><h2 class="plm-en">{esc(title_en)}</h2>'
        f'<div class="plm-stats">{stats}</div>{subtitle}'
        f'<div class="plm-parks">{chips}</div>'
        "</div>"
    )


def criteria_html(lines: Iterable[tuple[str, str]]) -> str:
    """The criteria of an availability search, one bilingual line each (title box)."""
    items = "".join(f"<li>{bi(zh, en)}</li>" for zh, en in lines)
    if not items:
        return ""
    return f'<div class="plm-criteria"><h3>{bi("供地条件", "Criteria")}</h3><ul>{items}</ul></div>'


# --- key figures ------------------------------------------------------------------------------


def target_badge(target: Mapping[str, Any] | None) -> str:
    """✓ met / ✗ missed / no target, as a badge."""
    if not target or not target.get("target_set"):
        return f'<span class="plm-badge plm-none">{bi("未设目标", "no target")}</span>'
    if target.get("met"):
        return f'<span class="plm-badge plm-met">✓ {bi("达标", "targets met")}</span>'
    return f'<span class="plm-badge plm-missed">✗ {bi("未达标", "target missed")}</span>'


def _target_rows(target: Mapping[str, Any] | None) -> str:
    if not target or not target.get("target_set"):
        return _fig(bi("目标", "Targets"), bi("未设目标", "no target set"))

    def line(met: Any, label: str, actual: str, minimum: str, short: str) -> str:
        mark = (
            f'<span class="plm-ok">✓ {bi("达标", "met")}</span>'
            if met
            else f'<span class="plm-short">✗ {bi("差", "short by")} {short}</span>'
        )
        return f"<div>{label} {actual} / ≥ {minimum} {mark}</div>"

    reserve = line(
        target.get("reserve_met"),
        bi("储备", "Reserve"),
        f"{_n(target.get('actual_reserve_mu'))} 亩",
        f"{_n(target.get('min_reserve_mu'))} 亩",
        f"{_n(target.get('reserve_short_mu'))} 亩",
    )
    floor = line(
        target.get("floor_met"),
        bi("空置厂房", "Vacant floor"),
        f"{m2(target.get('actual_vacant_floor_m2'))} m²",
        f"{m2(target.get('min_vacant_floor_m2'))} m²",
        f"{m2(target.get('floor_short_m2'))} m²",
    )
    return _fig(bi("目标", "Targets") + " " + target_badge(target), reserve + floor)


def _n(value: Any) -> str:
    v = num(value)
    return DASH if v is None else f"{v:,.1f}"


def _fig(label: str, value: str) -> str:
    return f'<div class="plm-fig"><div class="plm-fig-label">{label}</div><div>{value}</div></div>'


def _projects(by_status: Mapping[str, Any], statuses: Mapping[str, tuple]) -> str:
    chips = []
    for code, (zh, en, colour, _dashed) in statuses.items():
        count = int(num(by_status.get(code)) or 0)
        chips.append(
            f'<span class="plm-chip" style="border-color:{colour}">{bi(zh, en)} <b>{count}</b>'
            "</span>"
        )
    total = sum(int(num(v) or 0) for v in by_status.values())
    return f'<b>{total}</b> {bi("个", "projects")}<div class="plm-chips">{"".join(chips)}</div>'


def figures_card(fig: Mapping[str, Any], statuses: Mapping[str, tuple]) -> str:
    """One park's (or the city's) key figures: manufacturing land, reserve and ready land,
    vacant factory floor, projects by status, and the targets."""
    floor = num(fig.get("factory_floor_m2")) or 0.0
    vacant = num(fig.get("factory_vacant_m2")) or 0.0
    share = f" ({vacant / floor:.0%})" if floor else ""
    parts = [
        _fig(
            bi("制造业用地", "Manufacturing land"),
            f"<b>{mu(fig.get('manufacturing_m2'))}</b> 亩 · "
            f"{(num(fig.get('manufacturing_m2')) or 0) / M2_PER_HA:,.1f} ha",
        ),
        _fig(
            bi("储备用地", "Reserve land"),
            f"<b>{mu(fig.get('reserve_m2'))}</b> 亩 · {bi('待供应', 'ready')} "
            f"{mu(fig.get('ready_m2'))} 亩",
        ),
        _fig(
            bi("标准化厂房空置", "Vacant factory floor"),
            f"<b>{m2(vacant)}</b> m² {bi('共', 'of')} {m2(floor)} m²{share} · "
            f"{int(num(fig.get('factory_buildings')) or 0)} {bi('栋', 'buildings')}",
        ),
        _fig(
            bi("重点项目", "Key projects"), _projects(fig.get("projects_by_status") or {}, statuses)
        ),
    ]
    if "target" in fig:
        parts.append(_target_rows(fig.get("target")))
    return "".join(parts)


def _park_row(p: Mapping[str, Any], *, total: bool = False) -> str:
    projects = p.get("projects_by_status") or {}
    count = sum(int(num(v) or 0) for v in projects.values())
    detail = " · ".join(f"{k} {v}" for k, v in sorted(projects.items()))
    name = bi("全市", "City") if total else bi(p.get("name_zh"), p.get("name_en"))
    attr = "" if total else f' data-plm-park="{html.escape(str(p.get("park")), quote=True)}"'
    badge = "" if total else target_badge(p.get("target"))
    return (
        f"<tr{attr}{' class=plm-total' if total else ''}><td>{name}</td>"
        f"<td>{mu(p.get('manufacturing_m2'), 0)}</td><td>{mu(p.get('reserve_m2'), 0)}</td>"
        f"<td>{m2(p.get('factory_vacant_m2'))}</td>"
        f'<td title="{esc(detail)}">{count}</td><td>{badge}</td></tr>'
    )


def panel_html(
    figures: Mapping[str, Any] | None, statuses: Mapping[str, tuple], *, single_park: bool
) -> str:
    """The key-figures panel: the park's card on a park's map; on the city's, a row per
    park (its figures and target badge; a click fits the map to it) and the city's total."""
    if not figures:
        return ""
    parks = list(figures.get("parks") or [])
    if single_park and parks:
        body = figures_card(parks[0], statuses)
    else:
        city = figures.get("city")
        rows = "".join(_park_row(p) for p in parks) + (_park_row(city, total=True) if city else "")
        body = (
            '<table class="plm-park-table"><thead><tr>'
            f"<th>{bi('园区', 'Park')}</th><th>{bi('制造业', 'Mfg')}<br>亩</th>"
            f"<th>{bi('储备', 'Reserve')}<br>亩</th><th>{bi('空置厂房', 'Vacant')}<br>m²</th>"
            f"<th>{bi('项目', 'Projects')}</th><th>{bi('目标', 'Targets')}</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        '<div class="plm-panel"><details open><summary>'
        f"{bi('关键指标', 'Key figures')}</summary>{body}"
        '<div class="plm-draw-result" hidden></div></details></div>'
    )


# --- legend ---------------------------------------------------------------------------------


def swatch(colour: str, *, hatch: str | None = None, outline: str | None = None) -> str:
    """A small filled box, hatched and outlined for manufacturing land."""
    style = f"background-color:{colour}"
    if hatch:
        style += (
            f";background-image:repeating-linear-gradient(135deg,{hatch} 0 1.6px,"
            "transparent 1.6px 5px)"
        )
    if outline:
        style += f";border:2px solid {outline}"
    return f'<span class="plm-sw" style="{style}"></span>'


def line(colour: str, *, dashed: bool = False, width: int = 3) -> str:
    """A short line in the legend."""
    kind = "dashed" if dashed else "solid"
    return f'<span class="plm-line" style="border-top:{width}px {kind} {colour}"></span>'


def row(symbol: str, label: str) -> str:
    """A legend row: symbol, then label."""
    return f'<div class="plm-row">{symbol}<span>{label}</span></div>'


def section(key: str, title: tuple[str, str], body: str) -> str:
    """A legend section tied to the layer *key* (greyed out while the layer is off); the
    key, which holds a context layer's name, is escaped like any text from the data."""
    key_attr = html.escape(key, quote=True)
    return f'<section data-plm-section="{key_attr}"><h4>{bi(*title)}</h4>{body}</section>'


def legend_html(sections: Iterable[str]) -> str:
    """The legend box around *sections*."""
    return (
        '<div class="plm-legend"><details open><summary>'
        f"{bi('图例', 'Legend')}</summary>{''.join(sections)}</details></div>"
    )
