"""Why a sign-in or a signed-in request is refused: a subclass per condition of the
domain's 401, 403 and base errors (the API maps each to an HTTP status in its one table,
``service/api/errors.py``)."""

from __future__ import annotations

from typing import Any

from parks.errors import Forbidden, ParksError, Unauthorized

#: The one answer to a failed sign-in, whichever of name or password was wrong.
WRONG_NAME_OR_PASSWORD = "用户名或密码错误 / wrong name or password"


class WrongNameOrPassword(Unauthorized):
    """A sign-in whose name is unknown or disabled, or whose password is wrong: the same
    answer for each, so it tells nobody which names exist."""

    code = "wrong_name_or_password"

    def __init__(self) -> None:
        super().__init__(WRONG_NAME_OR_PASSWORD)


class SignInLocked(ParksError):
    """Too many failed sign-ins for the name, or from the address, lately: refused for
    *retry_after_s* seconds without the password being looked at (the same answer whether
    the name exists or not)."""

    code = "sign_in_locked"

    def __init__(self, *, retry_after_s: int) -> None:
        super().__init__(
            f"登录失败次数过多，请 {retry_after_s} 秒后再试 / too many failed sign-ins: "
            f"try again in {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "retry_after_s": self.retry_after_s, "message": self.message}


class CsrfRefused(Forbidden):
    """A write borne by the session cookie without the session's CSRF token."""

    code = "csrf"
