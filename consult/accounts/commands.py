"""``consult create-user EMAIL --role ROLE`` and ``consult user set-role|disable|enable EMAIL``."""

from __future__ import annotations

import sys

import click

from consult.accounts.models import Role
from consult.accounts.services import create_user, set_active, set_role
from consult.errors import ConsultError

ROLES = click.Choice([r.value for r in Role])


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=ROLES, required=True)
@click.option("--name", default="", help="Name shown next to decisions and sign-offs.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account (asks for the password unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role, name)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role.value} account {user.email}.")


@click.group("user")
def user_group() -> None:
    """Change a staff account: its role, or whether it may sign in (each change is audited)."""


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=ROLES)
def set_role_command(email: str, role: str) -> None:
    """Give the account ROLE; it applies from the account's next request."""
    try:
        previous = set_role(email, role)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    if previous.value == role:
        click.echo(f"{email} already has the role {role}: nothing changed.")
    else:
        click.echo(f"{email}: role changed from {previous.value} to {role}.")


def _set_active(email: str, active: bool) -> None:
    try:
        was_active = set_active(email, active)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    state = "enabled" if active else "disabled"
    if was_active == active:
        click.echo(f"{email} is already {state}: nothing changed.")
    elif active:
        click.echo(f"{email} is enabled: it can sign in again.")
    else:
        click.echo(f"{email} is disabled: it cannot sign in, and its sessions have ended.")


@user_group.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Stop the account signing in, and end its sessions at their next request."""
    _set_active(email, False)


@user_group.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Let a disabled account sign in again (its old sessions stay ended)."""
    _set_active(email, True)
