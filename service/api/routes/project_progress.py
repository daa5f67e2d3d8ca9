"""The key-project list (/projects, /api/projects/progress): every project's progress against
its year's plan, late milestones and open or overdue problems, filtered and sorted; and
the park map's marks on projects behind plan."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["projects"], responses=READ_ERRORS)
