"""``consult translate ...``: titles and descriptions of consultations and phases per language."""

from __future__ import annotations

import click

from consult.consultations.services import get_consultation, get_phase, set_translation
from consult.errors import ConsultError


@click.group("translate")
def translate_group() -> None:
    """Give a consultation or a phase its title and description in another language."""


@translate_group.command("consultation")
@click.argument("slug")
@click.argument("language")
@click.option("--title", help="The title in LANGUAGE (an empty string removes it).")
@click.option("--description", help="The description in LANGUAGE.")
def translate_consultation(
    slug: str, language: str, title: str | None, description: str | None
) -> None:
    """Translate consultation SLUG into LANGUAGE (e.g. fr)."""
    try:
        consultation = set_translation(
            get_consultation(slug), language, title=title, description=description
        )
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    fields = ", ".join(sorted(consultation.translations.get(language.lower(), {}))) or "nothing"
    click.echo(f"{slug} in {language}: {fields}")


@translate_group.command("phase")
@click.argument("slug")
@click.argument("position", type=int)
@click.argument("language")
@click.option("--title", help="The title in LANGUAGE (an empty string removes it).")
@click.option("--purpose", help="The purpose (description) in LANGUAGE.")
def translate_phase(
    slug: str, position: int, language: str, title: str | None, purpose: str | None
) -> None:
    """Translate phase POSITION of consultation SLUG into LANGUAGE (e.g. es)."""
    try:
        phase = set_translation(get_phase(slug, position), language, title=title, purpose=purpose)
    except ConsultError as exc:
        raise click.ClickException(exc.message) from None
    fields = ", ".join(sorted(phase.translations.get(language.lower(), {}))) or "nothing"
    click.echo(f"{slug} phase {position} in {language}: {fields}")
