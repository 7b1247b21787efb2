"""``consult phase ...``: list phases, open, close (freeze) and publish them."""

from __future__ import annotations

import click

from consult.consultations.models import PhaseState
from consult.consultations.services import get_phase, list_consultations, set_phase_state
from consult.errors import ConsultError


@click.group("phase")
def phase_group() -> None:
    """Phases of a consultation, named by consultation slug and position (e.g. demo 1)."""


@phase_group.command("list")
def list_phases() -> None:
    """Every consultation with its phases and their states."""
    for consultation in list_consultations(include_drafts=True):
        click.echo(f"{consultation.slug}: {consultation.title}")
        for phase in consultation.phases:
            click.echo(f"  {phase.position}. {phase.title} [{phase.state.value}]")


@phase_group.command("open")
@click.argument("slug")
@click.argument("position", type=int)
def open_phase(slug: str, position: int) -> None:
    """Open a phase for votes and statements."""
    try:
        phase = set_phase_state(get_phase(slug, position), PhaseState.OPEN)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Phase {phase.position} of {slug} is open.")


@phase_group.command("close")
@click.argument("slug")
@click.argument("position", type=int)
def close_phase(slug: str, position: int) -> None:
    """Close a phase and freeze its record (analysis, themes and the votes behind them)."""
    from consult.reports.commands import close_phase_cli

    close_phase_cli(slug, position)


@phase_group.command("publish")
@click.argument("slug")
@click.argument("position", type=int)
def publish_phase(slug: str, position: int) -> None:
    """Publish a closed phase's report; refuses, listing what is missing, until it may."""
    from consult.reports.commands import publish_phase_cli

    publish_phase_cli(slug, position)
