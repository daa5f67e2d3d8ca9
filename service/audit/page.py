"""The /audit page: verification, the last signed digest of the ledger (and whether the
ledger still carries what it signed), the manufacturing total over time, totals as of a
date, recent ledger rows and refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from service.audit import digests, queries
from service.audit.chart import step_chart_svg
from service.audit.verify import verify
from service.pages.templates import templates


def audit_page_html(
    conn: Connection, *, as_of: datetime | None, zone: str, refusal_details: bool = False
) -> str:
    """Render the audit page (as of *as_of*, default now); refusals show their actor and
    message only with *refusal_details* (an auditor's or admin's request)."""
    now = datetime.now(ZoneInfo(zone))
    moment = as_of or now
    series = queries.manufacturing_series(conn)
    lines: dict[str, list[tuple[datetime, float]]] = {
        "全市 city": [(s["at"], s["city_m2"]) for s in series]
    }
    for park in sorted({p for s in series for p in s["parks_m2"]}):
        lines[park] = [(s["at"], s["parks_m2"].get(park, 0.0)) for s in series]
    ledger = queries.ledger_rows(conn, limit=1, offset=0)
    recent = queries.ledger_rows(conn, limit=20, offset=max(0, ledger["total"] - 20))["rows"]
    refused = queries.refusals(conn, limit=10, details=refusal_details)
    digest_list = digests.list_digests(conn, limit=1)
    last_digest = digest_list["rows"][0] if digest_list["rows"] else None
    if last_digest:
        last_digest["taken_at"] = (
            datetime.fromisoformat(last_digest["taken_at"]).astimezone(ZoneInfo(zone)).isoformat()
        )
    for row in recent + refused["rows"]:
        row["at"] = datetime.fromisoformat(row["at"]).astimezone(ZoneInfo(zone)).isoformat()
    return (
        templates()
        .get_template("audit.html")
        .render(
            generated_at=now.strftime("%Y-%m-%d %H:%M %Z"),
            verification=verify(conn),
            chart=step_chart_svg(lines, now=now),
            totals=queries.totals_as_of(conn, as_of=moment, group_by=["park"]),
            as_of_label=moment.strftime("%Y-%m-%d %H:%M %Z"),
            as_of_input=moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d"),
            ledger=ledger,
            recent=list(reversed(recent)),
            refused=refused,
            last_digest=last_digest,
            digests_total=digest_list["total"],
        )
    )
