"""``consult demo load``: the demo consultation, for trying Consult out."""

from __future__ import annotations

import click

from consult.analysis.services import recompute
from consult.consultations.services import get_phase
from consult.demo import content
from consult.demo.loader import is_loaded, load_conversations, load_demo
from consult.themes.services import refresh_themes


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has consultations.")
def load_command(if_empty: bool) -> None:
    """Load the demo consultation with simulated votes and demo staff accounts."""
    if is_loaded():
        if if_empty:
            click.echo("Demo data: the database already has consultations; nothing loaded.")
            return
        raise click.ClickException("the database already has consultations; demo not loaded")
    counts = load_demo()
    phase = get_phase(content.CONSULTATION["slug"], 1)
    imported = load_conversations(phase)
    outcome = recompute(phase)
    themes = refresh_themes(phase.consultation)
    click.echo(
        f"Loaded the demo consultation: {counts['statements']} statements, "
        f"{counts['participants']} simulated participants, {counts['votes']} votes."
    )
    click.echo(
        f"Imported {imported} points from {len(content.CONVERSATIONS)} community conversations "
        "(waiting for moderation)."
    )
    click.echo(f"Analysed phase 1: {outcome.snapshot.summary['n_groups']} opinion groups.")
    if themes.run is not None:
        click.echo(f"Found {themes.run.n_themes} themes.")
    click.echo(
        f"Demo accounts (password {content.DEMO_PASSWORD!r}): "
        + ", ".join(f"{email} ({role})" for email, role, _ in content.DEMO_USERS)
    )
