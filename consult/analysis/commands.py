"""``consult analyze SLUG [PHASE]``: recompute opinion groups now, from the command line."""

from __future__ import annotations

import click

from consult.analysis.services import recompute
from consult.consultations.services import get_consultation, get_phase
from consult.errors import ConsultError


@click.command("analyze")
@click.argument("slug")
@click.argument("position", type=int, required=False)
@click.option("--force", is_flag=True, help="Recompute even when the votes did not change.")
def analyze_command(slug: str, position: int | None, force: bool) -> None:
    """Analyse the votes of one phase (or of every phase of the consultation)."""
    try:
        phases = [get_phase(slug, position)] if position else list(get_consultation(slug).phases)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    for phase in phases:
        outcome = recompute(phase, force=force)
        label = f"{slug} phase {phase.position}"
        if not outcome.changed:
            click.echo(f"{label}: {outcome.reason}.")
            continue
        summary, timings = outcome.snapshot.summary, outcome.snapshot.timings
        click.echo(
            f"{label}: {summary['n_participants']} participants ({summary['n_clustered']} in "
            f"{summary['n_groups']} opinion groups), {summary['n_statements']} statements, "
            f"{summary['n_votes']} votes; analysed in {timings.get('total', 0):.2f} s "
            f"(snapshot {outcome.snapshot.id})."
        )
