"""``consult serve`` (gunicorn) and ``consult db copy --to URL`` (move a pilot to PostgreSQL)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from consult.production.server import DEFAULT_THREADS, DEFAULT_WORKERS


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Web processes (one per CPU core is a good start).",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per process: requests one process serves at once.",
)
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=int,
    help="Seconds before a stuck worker is restarted.",
)
@click.option("--access-log", is_flag=True, help="Log every request to standard output.")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies trusted to set X-Forwarded-* (gunicorn's default: 127.0.0.1).",
)
def serve_command(
    host: str,
    port: int,
    workers: int,
    threads: int,
    timeout: int,
    access_log: bool,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve Consult in production with gunicorn."""
    from consult.production.server import serve

    serve(
        host,
        port,
        workers,
        threads,
        timeout=timeout,
        access_log=access_log,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@click.command("copy")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The empty target database, e.g. postgresql://consult@db.example.org/consult.",
)
@with_appcontext
def copy_command(target: str) -> None:
    """Copy every table of this database into an empty one (moving a pilot to PostgreSQL).

    Stop the web processes and workers first: rows written during the copy would be missed.
    """
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from consult import create_app
    from consult.extensions import db
    from consult.production.copy import CopyError, copy_database

    def migrate_target(url: str) -> None:
        click.echo("Migrating the target database ...")
        target_app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with target_app.app_context():
            upgrade()
            db.engine.dispose()

    def progress(table: str, rows: int) -> None:
        if rows % 100_000 == 0:
            click.echo(f"  {table}: {rows:,} rows ...")

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    try:
        counts = copy_database(
            db.engine,
            target,
            db.metadata,
            migrate_target=migrate_target,
            head_revision=head,
            progress=progress,
        )
    except CopyError as exc:
        raise click.ClickException(exc.message) from None
    width = max(len(c.table) for c in counts)
    for count in counts:
        click.echo(f"  {count.table:<{width}}  {count.target:>10,} rows (source {count.source:,})")
    total = sum(c.target for c in counts)
    click.echo(f"Copied {len(counts)} tables, {total:,} rows; counts match on both sides.")
