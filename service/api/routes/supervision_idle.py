"""Idle land (闲置土地): the clocks of supplied land not started or stalled, by stage."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
