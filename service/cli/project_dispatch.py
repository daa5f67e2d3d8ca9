"""``parks projects dispatch``: the monthly dispatch report (月调度) as xlsx or docx."""

from __future__ import annotations

from service.cli.projects import projects_app  # noqa: F401 (the group the commands join)
