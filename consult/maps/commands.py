"""``consult maps compute SLUG [PHASE]``: bridging and robustness for the latest snapshots."""

from __future__ import annotations

import click

from consult.analysis.services import latest_snapshot
from consult.consultations.services import get_consultation, get_phase
from consult.errors import ConsultError
from consult.maps.services import compute_extras


@click.group("maps")
def maps_group() -> None:
    """Consensus maps."""


@maps_group.command("compute")
@click.argument("slug")
@click.argument("position", type=int, required=False)
def compute_command(slug: str, position: int | None) -> None:
    """Compute the map extras of the latest analysis of one phase (or of every phase)."""
    try:
        phases = [get_phase(slug, position)] if position else list(get_consultation(slug).phases)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    for phase in phases:
        snapshot = latest_snapshot(phase.id)
        label = f"{slug} phase {phase.position}"
        if snapshot is None:
            click.echo(f"{label}: no analysis yet.")
            continue
        outcome = compute_extras(snapshot.id)
        click.echo(f"{label}, snapshot {snapshot.id}: {outcome.reason}.")
