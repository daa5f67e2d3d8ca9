"""The monthly supervision report (月调度) as a page an official can print."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
