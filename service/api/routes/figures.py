"""Enterprises' yearly figures (亩均效益 data) brought in from a workbook or CSV."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
