"""The monthly dispatch report (月调度): /projects/dispatch and /api/projects/dispatch, as a
page, JSON, xlsx or docx."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["projects"], responses=READ_ERRORS)
