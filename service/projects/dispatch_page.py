"""The monthly dispatch report of key projects as a page an official can print
(``/projects/dispatch``, ``web/templates/project_dispatch.html``): 重点项目月调度 — the
totals per park and per industry chain, every project (those behind plan first and
highlighted), the milestones due and overdue, the problems new and overdue, and links to
the same report as xlsx and docx.

Every text is escaped (the service's one Jinja environment, autoescaping); no external
asset (its style is in the page; its one script, the print button, carries the request's
CSP nonce)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from service.pages.templates import templates
from service.projects.dispatch import (
    MILESTONE_LISTS,
    NO_CHAIN_ZH,
    PROBLEM_LISTS,
    TOTAL_COLUMNS,
    listed_items,
    whole_line,
)
from service.supervision.report_page import num, pct


def percent(value: Any, digits: int = 1) -> str:
    """A percentage 0..100 as ``84.5%``; ``—`` when not a number."""
    shown = num(value, digits)
    return shown if shown == "—" else f"{shown}%"


def dispatch_urls(report: Mapping[str, Any]) -> dict[str, str]:
    """The page's links to its JSON and files (same month and park)."""
    query = {"month": report["month"]} | ({"park": report["park"]} if report.get("park") else {})
    return {
        "json_url": f"/api/projects/dispatch?{urlencode(query)}",
        "xlsx_url": f"/projects/dispatch?{urlencode(query | {'format': 'xlsx'})}",
        "docx_url": f"/projects/dispatch?{urlencode(query | {'format': 'docx'})}",
    }


def dispatch_page_html(
    report: Mapping[str, Any],
    *,
    csp_nonce: str,
    today: date,
    parks: Sequence[tuple[str, str]],
) -> str:
    """The page of *report* (:func:`service.projects.dispatch.dispatch_report`); the month
    picker goes up to the month of *today*, the park picker offers *parks* (code, name)."""
    park_name = next(
        (name for code, name in parks if code == report.get("park")), report.get("park")
    )
    return (
        templates()
        .get_template("project_dispatch.html")
        .render(
            r=report,
            scope_zh=f"（{park_name}）" if report.get("park") else "",
            city=whole_line(report),
            total_columns=TOTAL_COLUMNS,
            milestones=listed_items(report["projects"], MILESTONE_LISTS),
            problems=listed_items(report["projects"], PROBLEM_LISTS),
            park_options=parks,
            no_chain=NO_CHAIN_ZH,
            behind_below=f"{100 * (1 - report['behind_share']):g}",
            current_month=f"{today.year:04d}-{today.month:02d}",
            csp_nonce=csp_nonce,
            num=num,
            pct=pct,
            percent=percent,
            **dispatch_urls(report),
        )
    )
