"""The proposal pages: ``/proposals`` (the list, with filters) and ``/proposals/{id}`` (one
proposal: its operations on a map, its dry run, who did what when, and the buttons to
decide it). Rendered by the one Jinja environment (autoescaping on: every text from the
data is put in as text); no inline script but the page's data block, which carries the
request's CSP nonce. The buttons are wired by ``/static/proposals/proposal.js``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from parks.units import M2_PER_MU
from parks.vocabulary import APPROVE_ROLES, STATUS_NAMES_ZH
from service.auth.tokens import Principal
from service.pages.templates import templates
from service.proposals import store
from service.proposals.staleness import stale_parcels

STATUS_LABELS = {
    "open": ("待审核", "open"),
    "approved": ("已批准", "approved"),
    "rejected": ("已驳回", "rejected"),
    "withdrawn": ("已撤回", "withdrawn"),
}
VERDICT_LABELS = {
    "would_commit": ("可以提交", "would commit"),
    "refused_by_rule": ("将被拒绝", "refused by the rule"),
    "invalid": ("无效", "invalid"),
}
OP_LABELS = {
    "register": "新增 register",
    "rezone": "改变用途 rezone",
    "reshape": "修改边界 reshape",
    "split": "分割 split",
    "merge": "合并 merge",
    "supply": "供地 supply",
    "set_status": "设置状态 set status",
    "retire": "注销 retire",
}


def _status_key(item: dict[str, Any]) -> str:
    return "withdrawn" if item.get("withdrawn") else item["status"]


def _common(principal: Principal | None, nonce: str | None, zone: str) -> dict[str, Any]:
    def local(moment: str | None) -> str:
        """An ISO time from the data as the service's zone's wall time, to the second."""
        if not moment:
            return ""
        return (
            datetime.fromisoformat(moment).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
        )

    return {
        "principal": principal,
        "csp_nonce": nonce,
        "local": local,
        "status_labels": STATUS_LABELS,
        "verdict_labels": VERDICT_LABELS,
        "status_key": _status_key,
    }


def proposals_page_html(
    conn: Connection,
    *,
    status: str | None,
    park: str | None,
    proposed_by: str | None,
    limit: int,
    offset: int,
    principal: Principal | None,
    nonce: str | None,
    zone: str = "Asia/Shanghai",
) -> str:
    """The list page: the proposals matching the filters, newest first, a page at a time."""
    listing = store.list_proposals(
        conn, status=status, park=park, proposed_by=proposed_by, limit=limit, offset=offset
    )
    parks = conn.execute(text("SELECT code, name_zh FROM park ORDER BY code")).all()
    filters = {"status": status, "park": park, "proposed_by": proposed_by, "limit": limit}
    return (
        templates()
        .get_template("proposals.html")
        .render(
            listing=listing,
            parks=[{"code": p.code, "name_zh": p.name_zh} for p in parks],
            filters=filters,
            previous_offset=max(0, offset - limit) if offset > 0 else None,
            next_offset=offset + limit if offset + limit < listing["total"] else None,
            **_common(principal, nonce, zone),
        )
    )


def proposal_page_html(
    conn: Connection,
    row: dict[str, Any],
    *,
    principal: Principal | None,
    nonce: str | None,
    zone: str = "Asia/Shanghai",
) -> str:
    """One proposal's page (*row*: its stored row)."""
    proposal = store.detail(row)
    is_open = proposal["status"] == store.OPEN
    name = principal.name if principal else None
    may_decide = (
        is_open
        and principal is not None
        and principal.role in APPROVE_ROLES
        and name != proposal["proposed_by"]
    )
    may_withdraw = is_open and name is not None and name == proposal["proposed_by"]
    dry_run = proposal["dry_run"] or {}
    operations = dry_run.get("operations", [])
    features = [
        {
            "type": "Feature",
            "geometry": version.get("geometry"),
            "properties": {
                "side": side,
                "operation": op["operation"],
                "parcel_code": version["parcel_code"],
                "land_use_code": version["land_use_code"],
                "status": version["status"],
                "area_mu": round(version["area_m2"] / M2_PER_MU, 4),
            },
        }
        for op in operations
        for side in ("before", "after")
        for version in op[side]
        if version.get("geometry")
    ]
    return (
        templates()
        .get_template("proposal.html")
        .render(
            p=proposal,
            dry_run=dry_run,
            operations=operations,
            op_labels=OP_LABELS,
            parcel_status_zh=STATUS_NAMES_ZH,
            stale=stale_parcels(conn, proposal["basis"]) if is_open else [],
            may_decide=may_decide,
            may_withdraw=may_withdraw,
            map_data={"type": "FeatureCollection", "features": features},
            **_common(principal, nonce, zone),
        )
    )
