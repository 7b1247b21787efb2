"""``consult themes SLUG``: refresh a consultation's themes now and print them."""

from __future__ import annotations

import click

from consult.consultations.services import get_consultation
from consult.errors import ConsultError
from consult.themes.services import current_themes, refresh_themes


@click.command("themes")
@click.argument("slug")
@click.option("--force", is_flag=True, help="Recompute even when nothing changed.")
@click.option("--statements", "show_statements", is_flag=True, help="List each theme's statements.")
def themes_command(slug: str, force: bool, show_statements: bool) -> None:
    """Embed the consultation's statements, find their themes, store the run and print it."""
    try:
        consultation = get_consultation(slug)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    outcome = refresh_themes(consultation, force=force)
    if outcome.run is None:
        click.echo(f"{slug}: {outcome.reason}.")
        return
    run = outcome.run
    if outcome.changed:
        timings = run.timings
        click.echo(
            f"{slug}: {run.n_statements} statements in {run.n_themes} themes (run {run.id}); "
            f"embedded in {timings.get('embed', 0):.2f} s, themes in "
            f"{timings.get('total', 0) - timings.get('embed', 0):.2f} s."
        )
    else:
        click.echo(f"{slug}: {outcome.reason}; run {run.id} is current.")
    view = current_themes(consultation)
    if view.pending_edits:
        click.echo("(curation added since this run is shown applied)")
    for theme in view.result.themes if view.result else ():
        if theme.is_other and not theme.size:
            continue
        keywords = ", ".join(theme.keywords[:5])
        curated = " [curated label]" if theme.label_source == "curator" else ""
        click.echo(f"{theme.id:>6}  {theme.size:>4}  {theme.label}{curated}  ({keywords})")
        if show_statements:
            for sid in theme.statement_ids:
                marker = "*" if sid == theme.central_statement_id else " "
                click.echo(f"        {marker} {sid}: {view.texts.get(sid, '')}")
