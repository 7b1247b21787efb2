"""``consult import-notes``: import a community conversation's notes without the preview."""

from __future__ import annotations

from pathlib import Path

import click

from consult.accounts.models import User
from consult.consultations.services import get_phase
from consult.errors import ConsultError
from consult.extensions import db
from consult.notes import services


@click.command("import-notes")
@click.argument("slug")
@click.argument("phase", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", "host_organisation", required=True, help="Host organisation.")
@click.option("--date", "held_on", required=True, help="Date of the conversation, YYYY-MM-DD.")
@click.option("--title", help="Title (default: 'Community conversation hosted by HOST').")
@click.option("--region", help="Region.")
@click.option("--place", help="Place (or use --online).")
@click.option("--online", is_flag=True, help="The conversation was held online.")
@click.option("--participants", "participant_count", help="Number of participants.")
@click.option("--language", help="Language code of the notes (default: the consultation's).")
@click.option("--groups", help="Groups that took part, comma-separated (e.g. 'youth, media').")
@click.option("--consent", is_flag=True, help="Participants agreed to publish the raw notes.")
@click.option(
    "--voting/--no-voting",
    "open_for_voting",
    default=True,
    show_default=True,
    help="Put the new statements up for online voting once accepted.",
)
@click.option("--encoding", help="Encoding of a text file when it is not UTF-8 (e.g. cp1252).")
@click.option("--host-user", help="E-mail of the host account the conversation belongs to.")
def import_notes_command(
    slug: str,
    phase: int,
    file: Path,
    host_organisation: str,
    held_on: str,
    title: str | None,
    region: str | None,
    place: str | None,
    online: bool,
    participant_count: str | None,
    language: str | None,
    groups: str | None,
    consent: bool,
    open_for_voting: bool,
    encoding: str | None,
    host_user: str | None,
) -> None:
    """Import notes FILE (.txt, .md, .docx, .csv) into phase PHASE of consultation SLUG.

    Every point becomes a statement with origin "imported", pending moderation, linked to its
    conversation and to the line it came from. Importing the same file again imports nothing.
    """
    try:
        target = get_phase(slug, phase)
        user = None
        if host_user:
            user = db.session.scalar(User.by_email(host_user))
            if user is None:
                raise click.ClickException(f"no account with the e-mail {host_user}")
        if not file.exists():
            raise click.ClickException(f"{file}: no such file")
        if file.stat().st_size > services.MAX_UPLOAD_BYTES:
            size = file.stat().st_size / 1024 / 1024
            raise click.ClickException(
                f"{file.name}: the file is {size:.1f} MB; the limit is "
                f"{services.MAX_UPLOAD_BYTES // 1024 // 1024} MB. Nothing was imported."
            )
        result = services.import_notes_file(
            target,
            file.name,
            file.read_bytes(),
            host_organisation=host_organisation,
            held_on=held_on,
            title=title,
            region=region,
            participant_count=participant_count,
            language=language,
            place=place,
            online=online,
            groups=groups,
            consent_to_publish=consent,
            open_for_voting=open_for_voting,
            declared_encoding=encoding,
            host_user=user,
        )
    except services.AlreadyImported as exc:
        click.echo(exc.message)
        return
    except ConsultError as exc:
        raise click.ClickException(f"{exc.message} Nothing was imported.") from None
    upload = result.upload
    conversation = upload.conversation
    if upload.encoding_note:
        click.echo(upload.encoding_note)
    click.echo(
        f"Conversation {conversation.id}: “{conversation.title}”, "
        f"{conversation.host_organisation}, {conversation.held_on.isoformat()}."
    )
    for statement, candidate in result.created:
        click.echo(f"  new #{statement.id}  {candidate['parts'][0]['location']}: {statement.text}")
    for statement, candidate in result.linked:
        click.echo(f"  +src #{statement.id}  {candidate['parts'][0]['location']}: {statement.text}")
    for candidate in upload.candidates:
        if candidate["dropped"]:
            click.echo(f"  skipped  {candidate['parts'][0]['location']}: {candidate['note']}")
    for line in upload.skipped:
        click.echo(f"  note: {line}")
    click.echo(result.summary())
