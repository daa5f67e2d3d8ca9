"""The 亩均效益 evaluation: each enterprise's indicators, score and grade, per park, and the low-
efficiency land."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
