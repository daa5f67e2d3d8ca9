"""The quarterly ranking (``/projects/ranking``, 重点项目季度评比) and the yearly assessment
(``/projects/assessment``, 重点项目年度考核) as pages an official can read and print:
``web/templates/project_ranking.html`` and ``project_assessment.html``.

Rendered by the service's Jinja environment (autoescaping on: every text from the data is
escaped); no external asset (the style is in the page; the one script, the print button,
carries the request's CSP nonce). The ranking page shows the city's table, each park's,
the officials' and, for every project, how its score was made (each criterion's weight,
the figures behind its rate, the rate and the points).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parks.projects.vocabulary import ASSIGNMENT_ROLE_NAMES_ZH
from service.pages.templates import templates

DASH = "—"

#: What each criterion's rate is, as the page explains it.
RULES_ZH = {
    "investment": "年初至季末月累计完成投资 ÷ 同期计划投资（最高 100%）；同期有计划投资时计入",
    "milestones": (
        "本季度（至评比日）计划节点中按期（计划日当天或之前）完成的比例，晚一天即为未按期；"
        "有到期节点时计入"
    ),
    "problems": "本季度（至评比日）到期问题中在到期日当天或之前解决的比例；有到期问题时计入",
    "visits": "本季度（至评比日）观摩评分的平均分 ÷ 100；有评分观摩时计入",
}


def num(value: Any, digits: int = 2) -> str:
    """*value* with thousands separators and *digits* decimals; ``—`` when None."""
    if value is None or isinstance(value, bool):
        return DASH
    return f"{float(value):,.{digits}f}"


def pct(value: Any) -> str:
    """A fraction of 1 as per cent with one decimal; ``—`` when None."""
    return DASH if value is None else f"{float(value) * 100:.1f}%"


def pct_value(value: Any) -> str:
    """A percentage (0..100) with two decimals; ``—`` when None."""
    return DASH if value is None else f"{float(value):.2f}%"


def basis(criterion: dict[str, Any]) -> str:
    """The figures behind a criterion's rate, in Chinese."""
    b, name = criterion["basis"], criterion["criterion"]
    if name == "investment":
        if not b["planned_wan"]:
            return f"1–{b['through_month']} 月无计划投资（不计入）"
        return (
            f"1–{b['through_month']} 月完成 {num(b['completed_wan'])} 万元 / "
            f"计划 {num(b['planned_wan'])} 万元"
        )
    if name == "milestones":
        if not b["due"]:
            return "本季度无到期节点（不计入）"
        return f"到期节点 {b['due']} 个，按期完成 {b['on_time']} 个"
    if name == "problems":
        if not b["due"]:
            return "本季度无到期问题（不计入）"
        return f"到期问题 {b['due']} 项，按期解决 {b['on_time']} 项"
    if name == "visits":
        if not b["scored_visits"]:
            return "本季度无评分观摩（不计入）"
        return f"评分观摩 {b['scored_visits']} 次，平均 {num(b['mean_score'])} 分"
    return ""


def leads(project: dict[str, Any]) -> str:
    """A project's officials: ``name（牵头包抓）、name（配合）``."""
    return "、".join(
        f"{o['name']}（{ASSIGNMENT_ROLE_NAMES_ZH.get(o['role'], o['role'])}）"
        for o in project["officials"]
    )


def ranking_page_html(
    ranking: dict[str, Any],
    *,
    park_names: dict[str, str],
    csp_nonce: str,
    generated_at: datetime,
) -> str:
    """The page of *ranking* (:func:`service.projects.ranking.quarterly_ranking`)."""
    return (
        templates()
        .get_template("project_ranking.html")
        .render(
            r=ranking,
            year=ranking["quarter"][:4],
            park_names=park_names,
            rules=RULES_ZH,
            csp_nonce=csp_nonce,
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
            num=num,
            pct=pct,
            basis=basis,
            leads=leads,
            dash=DASH,
        )
    )


def assessment_page_html(
    assessment: dict[str, Any], *, csp_nonce: str, generated_at: datetime
) -> str:
    """The page of *assessment* (:func:`service.projects.assessment.yearly_assessment`),
    with a link to its workbook."""
    return (
        templates()
        .get_template("project_assessment.html")
        .render(
            r=assessment,
            csp_nonce=csp_nonce,
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
            num=num,
            pct_value=pct_value,
            dash=DASH,
        )
    )
