"""``consult worker`` (RQ worker) and ``consult jobs list|sweep`` (inspect and recover jobs)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import ScriptInfo, pass_script_info, with_appcontext
from sqlalchemy import select

from consult.extensions import db
from consult.jobs.models import Job, JobState


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--max-jobs", type=click.IntRange(1), help="Exit after this many jobs.")
@click.option("--name", help="Worker name shown in RQ (default: random).")
@pass_script_info
def worker_command(info: ScriptInfo, burst: bool, max_jobs: int | None, name: str | None) -> None:
    """Run background jobs from Redis (needs REDIS_URL); SIGTERM stops after the current job."""
    app = info.load_app()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set. Without Redis, jobs run in a thread of each web process "
            "and no worker is needed; set REDIS_URL on the web processes and here to use workers."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from consult.jobs.worker import run_worker

    run_worker(app, burst=burst, max_jobs=max_jobs, name=name)


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: list them, recover lost ones."""


@jobs_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in JobState]), help="Only this state.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@with_appcontext
def list_command(state: str | None, limit: int) -> None:
    """The latest jobs, newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == JobState(state))
    for job in db.session.scalars(query):
        took = f"{job.duration:.2f}s" if job.duration is not None else "-"
        line = (
            f"{job.id:>6} {job.state.value:<8} {job.kind} {job.key} "
            f"attempts {job.attempts}/{job.max_attempts} {took}"
        )
        if job.error:
            line += f"  error: {job.error}"
        click.echo(line)


@jobs_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Re-queue jobs whose worker died and hand over due ones (workers do this every few s).

    With Redis the due jobs go to the RQ queue; without it they run here, one after another.
    """
    from consult.jobs.services import mode, sweep

    if mode() == "thread":  # this process's job thread would die with the command
        current_app.config["CONSULT_JOBS_INLINE"] = True
    report = sweep()
    click.echo(
        f"requeued {len(report.requeued)}, failed {len(report.failed)}, "
        f"dispatched {len(report.dispatched)}"
    )
    current_app.logger.info("sweep: %s", report)
