"""``parks user add | passwd | disable | list``: the officials who sign in to the web pages.

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
A password is asked twice at a hidden prompt, or read from standard input with
``--password-stdin`` (one line; for scripts); it is never printed, nor is its hash.
Exit codes: 0 done, 1 refused (an unknown role, park or user, a name taken, a password
that is empty, shorter than 10 characters or not repeated alike), 4 the database is out
of reach.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from service.cli.commands import EXIT_INVALID, app, console, err, handled

user_app = typer.Typer(help="Officials who sign in to the web pages.", no_args_is_help=True)
app.add_typer(user_app, name="user")

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="read the password from standard input (one line)"),
]


def _read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice, hidden."""
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    first = typer.prompt("密码 password", hide_input=True, default="", show_default=False)
    second = typer.prompt("再输一次 again", hide_input=True, default="", show_default=False)
    if first != second:
        err.print("[red]password: the two passwords differ; nothing was changed[/red]")
        raise typer.Exit(EXIT_INVALID)
    return first


def _engine():
    from service.db.engine import get_engine

    return get_engine()


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the user's sign-in name (1–64 characters)")],
    role: Annotated[str, typer.Option(help="viewer, planner, editor, approver, auditor or admin")],
    park: Annotated[
        list[str] | None,
        typer.Option(help="a park the user may change (repeat it; none: every park)"),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Make a user who signs in with NAME and a password (at least 10 characters)."""
    from service.auth.users import check_name, check_role, create_user

    with handled():
        check_name(name)
        check_role(role)
    password = _read_password(password_stdin)
    with handled(), _engine().begin() as conn:
        create_user(conn, name=name, role=role, parks=park or [], password=password)
    where = ", ".join(sorted(set(park))) if park else "every park"
    console.print(f"user {name} ({role}; {where}) made", markup=False, highlight=False)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="the user's name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give user NAME a new password; the user's open sessions end."""
    from service.auth.users import set_password

    password = _read_password(password_stdin)
    with handled(), _engine().begin() as conn:
        ended = set_password(conn, name=name, password=password)
    console.print(
        f"new password for {name}; {ended} open session(s) ended", markup=False, highlight=False
    )


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="the user's name")]) -> None:
    """Disable user NAME at once: no more sign-ins, and every open session ends."""
    from service.auth.users import disable_user

    with handled(), _engine().begin() as conn:
        ended = disable_user(conn, name=name)
    console.print(f"disabled {name}; {ended} open session(s) ended", markup=False, highlight=False)


@user_app.command("list")
def user_list() -> None:
    """List the users, tab-separated: name, role, parks (``*``: every park), created,
    disabled (``-``: not) — never a password's hash."""
    from service.auth.users import list_users

    with handled(), _engine().connect() as conn:
        users = list_users(conn)
    # Plain tab-separated lines (no console styling, tabs kept): scripts read them.
    typer.echo("name\trole\tparks\tcreated\tdisabled")
    for user in users:
        parks = ",".join(user["parks"]) or "*"
        disabled = f"{user['disabled_at']:%Y-%m-%d %H:%M}" if user["disabled_at"] else "-"
        typer.echo(
            f"{user['name']}\t{user['role']}\t{parks}\t"
            f"{user['created_at']:%Y-%m-%d %H:%M}\t{disabled}"
        )
