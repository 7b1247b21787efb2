"""``consult create-user EMAIL --role ROLE``."""

from __future__ import annotations

import sys

import click

from consult.accounts.models import Role
from consult.accounts.services import create_user
from consult.errors import ConsultError


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
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
