"""A key project's page (/projects/{project_code}) and its summary as JSON
(/api/projects/{project_code}). Included after every other project router: its path
parameter would otherwise take their fixed paths."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["projects"], responses=READ_ERRORS)
