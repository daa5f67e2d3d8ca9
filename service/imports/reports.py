"""An import's validation report in the format a file name asks for: ``.html`` (the page,
its map over the parks the import touches, Leaflet inlined so it opens offline),
``.xlsx`` (a sheet per section, Chinese headers) or ``.geojson`` (the problems as
features)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from service.imports.outcome import ImportOutcome

#: The report formats, by file suffix.
REPORT_SUFFIXES = (".html", ".xlsx", ".geojson")


def check_report_path(out: Path) -> None:
    """:class:`InvalidParameter` (``report``) unless *out* names a report format."""
    if Path(out).suffix.lower() not in REPORT_SUFFIXES:
        raise InvalidParameter(
            "report",
            f"{out}: the report is written as {', '.join(REPORT_SUFFIXES)} (by its suffix)",
        )


def import_parks(conn: Connection, import_id: int) -> list[str]:
    """The parks an import's features are in."""
    return list(
        conn.execute(
            text(
                "SELECT DISTINCT park FROM import_feature WHERE import_id = :id "
                "AND park IS NOT NULL ORDER BY park"
            ),
            {"id": import_id},
        ).scalars()
    )


def html_page(
    conn: Connection, outcome: ImportOutcome, *, inline_assets: bool, csp_nonce: str | None = None
) -> str:
    """The HTML report of *outcome*, its map over the parks it touches (its scripts
    carrying *csp_nonce*, for a served page)."""
    from service.imports import report_html

    outlines = report_html.park_outlines(conn, import_parks(conn, outcome.id))
    return report_html.render_report(
        outcome, park_outlines=outlines, inline_assets=inline_assets, csp_nonce=csp_nonce
    )


def write_report(conn: Connection, outcome: ImportOutcome, out: Path) -> None:
    """Write *outcome*'s report to *out*, in the format its suffix names."""
    out = Path(out)
    check_report_path(out)
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(html_page(conn, outcome, inline_assets=True), encoding="utf-8")
    elif suffix == ".xlsx":
        from service.imports.report_xlsx import write_workbook

        write_workbook(outcome, out)
    else:
        from service.imports.report_geojson import problems_feature_collection

        out.write_text(
            json.dumps(problems_feature_collection(outcome), ensure_ascii=False),
            encoding="utf-8",
        )
