"""Signing in and out of the web pages, and who the current request is from.

* ``GET /login`` — the form (用户名 / 密码 / 登录), keeping ``next``.
* ``POST /login`` (form: name, password, next) — success: 303 to ``next`` (a path of this
  site, else ``/map``) with the ``parks_session`` cookie (HttpOnly, SameSite=Lax, Path=/,
  Secure over https); a wrong name or password: 401 and the form again, the same for an
  unknown name as for a wrong password; locked out: 429 with ``Retry-After``
  (``service.auth.sign_in``).
* ``GET /logout`` — a sign-out button; ``POST /logout`` (the session's ``csrf_token`` as a
  form field or ``X-CSRF-Token``) ends the session, clears the cookie, 303 to ``/login``.
* ``GET /api/session`` — the signed-in user (or token) and the session's CSRF token and
  expiry: what a page's script needs to write; 401 for nobody.

``/login`` and ``/logout`` are open to anonymous posts (:data:`OPEN_WRITES`, given to the
authentication guard).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from parks.errors import Unauthorized
from service.api.deps import EngineDep, LiveSessionDep, PrincipalDep, SettingsDep
from service.api.errors import status_for
from service.api.params import READ_ERRORS, WRITE_ERRORS, error_answer
from service.auth.errors import CsrfRefused, SignInLocked, WrongNameOrPassword
from service.auth.sessions import COOKIE_NAME, end_session
from service.auth.sign_in import Limits, sign_in
from service.pages.sign_in import login_page_html, logout_page_html, safe_next

router = APIRouter(tags=["sign-in"])

#: Paths anyone may post to (the guard asks them for no token and no CSRF header).
OPEN_WRITES = frozenset({"/login", "/logout"})
NO_STORE = {"Cache-Control": "no-store"}


def _page(description: str) -> dict:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _redirect(description: str) -> dict:
    return {
        "description": description,
        "headers": {"Location": {"schema": {"type": "string"}, "description": "where to"}},
    }


#: What the pages and forms answer (a form's refusals are pages: the form again).
_PAGE_ANSWERS = {**READ_ERRORS, 200: _page("the page")}
_SIGN_IN_ANSWERS = {
    **WRITE_ERRORS,
    303: _redirect(
        "signed in: on to `next` (a path of this site, else /map), with the session cookie"
    ),
    401: _page("a wrong name or password (the same for an unknown name): the form again"),
    403: error_answer("posted from a page of another site (csrf: its Origin header)"),
    429: _page(
        "too many failed sign-ins for the name, or from the address, lately: the form "
        "again, and Retry-After"
    ),
}
_SIGN_OUT_ANSWERS = {
    **WRITE_ERRORS,
    303: _redirect("signed out (if signed in): on to /login, the session cookie cleared"),
    403: error_answer("a signed-in session without its CSRF token (csrf)"),
}


def _client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _set_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.url.scheme == "https",
    )


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.url.scheme == "https",
    )


@router.get("/login", response_class=HTMLResponse, responses=_PAGE_ANSWERS)
def login_page(
    session: LiveSessionDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> HTMLResponse:
    """The sign-in form."""
    html = login_page_html(
        next_path=next_path or "", signed_in_as=session.user if session else None
    )
    return HTMLResponse(html, headers=NO_STORE)


def _from_this_site(request: Request) -> bool:
    """False when the request's ``Origin`` names another site (a browser sends it with
    every form post): a page elsewhere must not sign a browser in to an account of its
    choosing. No ``Origin`` (scripts, older browsers) passes; ``null`` (a sandboxed or
    opaque page) does not."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin != "null" and urlsplit(origin).netloc.lower() == host.lower()


@router.post("/login", response_class=RedirectResponse, status_code=303, responses=_SIGN_IN_ANSWERS)
def login(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    session: LiveSessionDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Sign in: a session and its cookie, then on to ``next``. Refused (403 ``csrf``) when
    posted from a page of another site."""
    if not _from_this_site(request):
        raise CsrfRefused(
            "POST /login from a page of another site is refused (its Origin header names "
            "another site)"
        )
    try:
        signed_in = sign_in(
            engine,
            name=name,
            password=password,
            address=_client_address(request),
            limits=Limits.from_settings(settings),
        )
    except (WrongNameOrPassword, SignInLocked) as exc:
        headers = dict(NO_STORE)
        if isinstance(exc, SignInLocked):
            headers["Retry-After"] = str(exc.retry_after_s)
        html = login_page_html(next_path=next_path, error=exc.message, signed_in_as=None)
        return HTMLResponse(html, status_code=status_for(exc), headers=headers)
    previous = request.cookies.get(COOKIE_NAME)
    if session is not None and previous:
        with engine.begin() as conn:  # the browser's earlier session ends with this one
            end_session(conn, previous)
    response = RedirectResponse(safe_next(next_path), status_code=303, headers=NO_STORE)
    _set_cookie(response, request, signed_in.session.cookie_value)
    return response


@router.get("/logout", response_class=HTMLResponse, responses=_PAGE_ANSWERS)
def logout_page(session: LiveSessionDep) -> HTMLResponse:
    """A page with the sign-out button."""
    html = logout_page_html(
        user=session.user if session else None,
        csrf_token=session.csrf_token if session else None,
    )
    return HTMLResponse(html, headers=NO_STORE)


@router.post(
    "/logout", response_class=RedirectResponse, status_code=303, responses=_SIGN_OUT_ANSWERS
)
def logout(
    request: Request,
    engine: EngineDep,
    session: LiveSessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Sign out: the session ends (the session's CSRF token must come with the form or in
    ``X-CSRF-Token``), the cookie is cleared, on to ``/login``."""
    if session is not None:
        presented = csrf_token or request.headers.get("x-csrf-token", "")
        if not presented or not hmac.compare_digest(
            presented.encode("utf-8"), session.csrf_token.encode("utf-8")
        ):
            raise CsrfRefused(
                "POST /logout needs the csrf_token field (or the X-CSRF-Token header) of "
                "the signed-in session"
            )
        with engine.begin() as conn:
            end_session(conn, request.cookies[COOKIE_NAME])
    response = RedirectResponse("/login", status_code=303, headers=NO_STORE)
    _clear_cookie(response, request)
    return response


class SessionAnswer(BaseModel):
    """Who a request is from (``GET /api/session``)."""

    user: str
    role: str
    parks: list[str] = Field(description="the parks the user may change; empty: every park")
    via: Literal["session", "token"]
    csrf_token: str | None = Field(
        description="the session's CSRF token: the X-CSRF-Token header of every write a "
        "page makes (null for a token)"
    )
    expires_at: datetime | None = Field(description="the session's end, used or not")
    idle_expires_at: datetime | None = Field(description="its end if no request comes")


@router.get(
    "/api/session",
    response_model=SessionAnswer,
    responses={401: {"description": "no signed-in session and no valid bearer token"}},
)
def current_session(
    principal: PrincipalDep, session: LiveSessionDep, response: Response
) -> SessionAnswer:
    """Who the request is from: the signed-in user (or the bearer token), the user's
    parks, and the session's CSRF token and expiry (a token has neither). A page's script
    reads the CSRF token here and sends it in ``X-CSRF-Token`` on every write."""
    if principal is None:
        raise Unauthorized("no signed-in session (/login) and no valid bearer token")
    response.headers.update(NO_STORE)
    return SessionAnswer(
        user=principal.name,
        role=principal.role,
        parks=list(principal.parks),
        via="session" if principal.via == "session" else "token",
        csrf_token=session.csrf_token if session else None,
        expires_at=session.expires_at if session else None,
        idle_expires_at=session.idle_expires_at if session else None,
    )
