"""``consult import-polis`` and ``consult export-polis``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.polis.exporter import export_polis
from consult.polis.importer import import_polis


@click.command("import-polis")
@click.argument("export_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--consultation", "slug", help="Fill this consultation (created if missing).")
def import_polis_command(export_dir: Path, slug: str | None) -> None:
    """Import a Pol.is export directory as a phase: statements, participants, latest votes."""
    bar = None

    def total(n: int) -> None:
        nonlocal bar
        bar = click.progressbar(length=n, label="Importing", file=sys.stderr)
        bar.__enter__()

    try:
        report = import_polis(export_dir, slug, total=total, progress=lambda n: bar.update(n))
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(report.describe())
    click.echo(
        f"Next: `consult analyze {report.consultation} {report.phase_position}` for opinion groups"
        f" and `consult themes {report.consultation}` for themes."
    )


@click.command("export-polis")
@click.argument("slug")
@click.argument("position", type=int)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def export_polis_command(slug: str, position: int, out_dir: Path) -> None:
    """Write a phase as Pol.is CSVs (summary, comments, votes, participants-votes, groups)."""
    try:
        counts = export_polis(get_phase(slug, position), out_dir)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Wrote {counts['comments']} comments, {counts['votes']} votes and "
        f"{counts['participants']} participants to {out_dir}."
    )
