"""Reading the SQL kept in ``.sql`` files: the queries in ``service/sql/``, the schema and
triggers in ``service/db/sql/``."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(package: str, name: str) -> str:
    """The text of ``<package>/<name>`` (e.g. ``sql("service.sql", "stats.sql")``)."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def statements(script: str) -> list[str]:
    """Split a script of plain statements (no function bodies) at the semicolons that end
    a line, dropping comment-only chunks."""
    out = []
    for chunk in script.split(";\n"):
        lines = [ln for ln in chunk.strip().splitlines() if not ln.strip().startswith("--")]
        body = "\n".join(lines).strip().rstrip(";")
        if body:
            out.append(body)
    return out
