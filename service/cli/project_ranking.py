"""``parks projects ranking``, ``parks projects assessment`` and ``parks projects visit-
list``: the quarterly ranking (季评比), the yearly assessment (年考核) and the weekly visit list
(周观摩)."""

from __future__ import annotations

from service.cli.projects import projects_app  # noqa: F401 (the group the commands join)
