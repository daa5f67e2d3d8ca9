"""The sign-in and sign-out pages, where a sign-in may send the browser next, and the way
to the sign-in page from a page that needs it.

``next`` is followed only to a path of this site: it must start with one ``/`` (not
``//`` or ``/\\``, which a browser takes for another host), hold no scheme, host,
whitespace or control character, and be at most 2,000 characters; anything else goes to
``/map``.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

from service.pages.templates import templates

DEFAULT_NEXT = "/map"
MAX_NEXT_CHARS = 2000
LOGIN_PATH = "/login"
# Browsers drop tabs and newlines inside a URL ("/\t/evil" becomes "//evil").
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def safe_next(value: str | None) -> str:
    """*value* when it is a path of this site, else ``/map``."""
    if not value or len(value) > MAX_NEXT_CHARS or _UNSAFE.search(value):
        return DEFAULT_NEXT
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def login_url(path: str, query: str = "") -> str:
    """The sign-in page that comes back to *path* (and *query*) afterwards."""
    target = f"{path}?{query}" if query else path
    return f"{LOGIN_PATH}?{urlencode({'next': safe_next(target)})}"


def login_page_html(*, next_path: str, error: str | None = None, signed_in_as: str | None) -> str:
    """The sign-in form (用户名 / 密码 / 登录), keeping *next_path*, with *error* above it."""
    return (
        templates()
        .get_template("login.html")
        .render(next=safe_next(next_path), error=error, signed_in_as=signed_in_as)
    )


def logout_page_html(*, user: str | None, csrf_token: str | None) -> str:
    """The sign-out page: a button that posts the session's CSRF token to /logout (or,
    signed out, a link to sign in)."""
    return templates().get_template("logout.html").render(user=user, csrf_token=csrf_token)
