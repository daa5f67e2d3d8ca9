"""The monthly supervision report as a page an official can print (``/supervision``):
``web/templates/supervision.html``, every text escaped, no external asset (its style is
in the page; its one script, the print button, carries the request's CSP nonce)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from service.pages.templates import templates
from service.supervision.report import SUMMARY_COLUMNS, summary_rows

DASH = "—"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def num(value: Any, digits: int = 2) -> str:
    """*value* with thousands separators and *digits* decimals; ``—`` when not a number."""
    v = _number(value)
    return DASH if v is None else f"{v:,.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """*value* with its sign (``+3``, ``-1.50``, ``0``); ``—`` when not a number."""
    v = _number(value)
    if v is None:
        return DASH
    return f"{v:+,.{digits}f}" if round(v, digits) != 0 else f"{0:.{digits}f}"


def pct(value: Any, digits: int = 1) -> str:
    """A fraction of 1 as per cent (``0.25`` → ``25.0%``); ``—`` when not a number."""
    v = _number(value)
    return DASH if v is None else f"{v * 100:.{digits}f}%"


def figure(value: Any, unit: str | None) -> str:
    """An indicator's figure in its unit: a share as per cent, a ratio with two decimals,
    an amount per 亩 with two."""
    return pct(value) if unit == "share" else num(value, 2)


def commitment(check: Mapping[str, Any]) -> str:
    """What the contract committed to: ``≥ x``, ``≤ x`` or ``x–y`` (a range)."""
    unit, bound = check.get("unit"), check.get("bound")
    low, high = check.get("committed"), check.get("committed_max")
    if bound == "within":
        if high is None:
            return f"≥ {figure(low, unit)}"
        if low is None:
            return f"≤ {figure(high, unit)}"
        return f"{figure(low, unit)}–{figure(high, unit)}"
    return f"{'≤' if bound == 'at_most' else '≥'} {figure(low, unit)}"


def gap(check: Mapping[str, Any]) -> str:
    """How far a missed commitment is missed: ``差 x`` (short of a minimum) or ``超 x``
    (over a maximum)."""
    over = check.get("over_by") is not None or check.get("bound") == "at_most"
    return f"{'超' if over else '差'} {figure(check.get('short_by'), check.get('unit'))}"


def report_page_html(
    report: dict[str, Any], *, csp_nonce: str, today: date, generated_at: datetime
) -> str:
    """The page of *report* (:func:`service.supervision.report.monthly_report`); the month
    picker goes up to the month of *today*."""
    return (
        templates()
        .get_template("supervision.html")
        .render(
            r=report,
            summary=summary_rows(report),
            summary_columns=SUMMARY_COLUMNS,
            current_month=f"{today.year:04d}-{today.month:02d}",
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
            csp_nonce=csp_nonce,
            num=num,
            signed=signed,
            pct=pct,
            figure=figure,
            commitment=commitment,
            gap=gap,
        )
    )
