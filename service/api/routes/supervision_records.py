"""Writing land supervision's records: supply contracts, progress on the ground, government-
caused delays, approval batches and the settings supervision judges by."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
