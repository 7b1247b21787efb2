"""``consult report build|verify`` and the close / publish steps behind ``consult phase``."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.i18n import LANGUAGES
from consult.reports import render, services
from consult.reports.verify import verify_phase


@click.group("report")
def report_group() -> None:
    """Phase reports: build them in any format, verify their figures."""


@report_group.command("build")
@click.argument("slug")
@click.argument("position", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(render.FORMATS), default="html", show_default=True
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--version", "version", type=int, help="A published version (default: the latest).")
@click.option("--draft", is_flag=True, help="Build the unpublished draft of a closed phase.")
@click.option(
    "--lang",
    "lang",
    type=click.Choice(list(LANGUAGES)),
    default="en",
    show_default=True,
    help="Language of the HTML or PDF report (JSON and CSV are the same in every language).",
)
def build_command(
    slug: str, position: int, fmt: str, out: Path, version: int | None, draft: bool, lang: str
) -> None:
    """Build the report of phase POSITION of SLUG from its frozen record."""
    started = time.perf_counter()
    try:
        phase = get_phase(slug, position)
        if draft:
            document = services.draft_document(phase)
            if document is None:
                raise ConsultError(f"phase {position} is not closed: there is no draft report")
            label = "draft"
        else:
            report = services.get_published(phase.id, version)
            document = services.load_document(report)
            label = f"version {report.version}"
    except ConsultError as exc:
        message = exc.message
        if not draft and "no published report" in message:
            message += " (use --draft for the unpublished report of a closed phase)"
        raise click.ClickException(message) from None
    data = render.render(document, fmt, lang)
    _write_atomically(out, data)
    language = f", {LANGUAGES[lang]}" if fmt in ("html", "pdf") and lang != "en" else ""
    click.echo(
        f"Wrote {out} ({fmt}{language}, {len(data):,} bytes) — {slug} phase {position} report, "
        f"{label}, in {time.perf_counter() - started:.2f} s."
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@report_group.command("verify")
@click.argument("slug")
@click.argument("position", type=int)
@click.option("--version", "version", type=int, help="Check one published version only.")
def verify_command(slug: str, position: int, version: int | None) -> None:
    """Recompute every figure from the frozen record; fail on any mismatch."""
    try:
        phase = get_phase(slug, position)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    result = verify_phase(phase, version)
    for check in result.checks:
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"{mark} {check.name}" + (f" — {check.detail}" if check.detail else ""))
        for problem in check.problems:
            click.echo(f"       {problem}")
    if not result.ok:
        raise click.ClickException(f"{slug} phase {position}: the report does not verify")
    reports = services.published_reports(phase.id)
    what = f"{len(reports)} published version(s)" if reports else "the record (nothing published)"
    click.echo(f"{slug} phase {position}: verified {what}.")


def close_phase_cli(slug: str, position: int) -> None:
    """``consult phase close``: freeze and close, then say what the report still needs."""
    try:
        phase = get_phase(slug, position)
        outcome = services.close_phase(phase, None)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    summary = outcome.frozen.payload["analysis"]["result"]["counts"]
    click.echo(
        f"Phase {position} of {slug} is closed. Frozen record {outcome.frozen.content_hash} "
        f"({summary['n_votes']} votes by {summary['n_participants']} participants on "
        f"{summary['n_statements']} statements)."
    )
    for note in outcome.notes:
        click.echo(f"Note: {note}.")
    missing = services.missing_responses(phase)
    if missing:
        click.echo(f"{len(missing)} theme(s) still need a published response:")
        for item in missing:
            state = "draft only" if item.state == "draft" else "no response"
            click.echo(f"  - {item.theme.id} “{item.theme.label}” ({item.theme.size}): {state}")


def publish_phase_cli(slug: str, position: int) -> None:
    """``consult phase publish``: publish, or refuse listing everything missing."""
    try:
        phase = get_phase(slug, position)
        report = services.publish(phase, None)
    except services.PublishRefused as exc:
        click.echo(f"Phase {position} of {slug} cannot be published yet:", err=True)
        for item in exc.detail or []:
            click.echo(f"  - {item}", err=True)
        raise click.exceptions.Exit(1) from None
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Published version {report.version} of the phase {position} report of {slug} "
        f"(report {report.body_hash})."
    )
