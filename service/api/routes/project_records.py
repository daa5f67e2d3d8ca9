"""Key projects' records: annual plans, monthly reports, site visits (观摩), problems (问题清单),
the officials who take charge of projects (包抓领导) and the rhythm's settings — read and
written."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.params import READ_ERRORS

router = APIRouter(tags=["projects"], responses=READ_ERRORS)
