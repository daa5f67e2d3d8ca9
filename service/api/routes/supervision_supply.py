"""批而未供 and 供而未用: approval batches and their disposal, supplied land not started or under-
built, and contract compliance (履约)."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["supervision"], responses=READ_ERRORS)
