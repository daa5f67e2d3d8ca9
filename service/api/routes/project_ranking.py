"""The quarterly ranking (季评比), the yearly assessment (年考核) and the weekly visit list
(周观摩): pages and JSON."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["projects"], responses=READ_ERRORS)
