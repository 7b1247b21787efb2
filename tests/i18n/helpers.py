"""Finding English interface text left on a page or in a report shown in another language."""

from __future__ import annotations

import html
import re

from babel.messages.pofile import read_po

from consult.i18n import TRANSLATIONS_DIR

PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|<[^>]+>|&shy;")
ENGLISH_ELEMENT = re.compile(r'<(?!html\b)(\w+)\b[^>]*\slang="en"[^>]*>.*?</\1>', re.S)


def english_fragments(code: str, where: str | None = None) -> list[str]:
    """Pieces of English interface text (two words or more) that the catalogue translates.

    ``where`` keeps only the entries used in files whose path starts with it.
    """
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    fragments = set()
    for message in catalogue:
        if not message.id:
            continue
        if where and not any(path.startswith(where) for path, _ in message.locations):
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            for piece in PLACEHOLDER.split(msgid.replace("%%", "%")):
                piece = piece.strip(" .,:;()“”—·")
                if len(piece.split()) >= 2 and len(piece) >= 8 and piece not in "".join(strings):
                    fragments.add(piece)
    return sorted(fragments)


def visible_text(page: str) -> str:
    """What a reader sees or hears: text and labels, minus content marked as English."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = ENGLISH_ELEMENT.sub(" ", page)
    labels = " ".join(re.findall(r'(?:aria-label|title|placeholder|alt)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page) + " " + labels
    return squash(html.unescape(text))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def found_in(text: str, fragments: list[str]) -> list[str]:
    return [f for f in fragments if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)]


def report_user_text(document: dict) -> list[str]:
    """Everything people wrote that a report shows as written (statements, theme labels and
    keywords, rationales, the strategy outline, names, conversations), longest first."""
    from consult.responses.outline import render_markdown

    def shown(markdown: str) -> list[str]:
        return [squash(html.unescape(p)) for p in re.split(r"<[^>]+>", render_markdown(markdown))]

    figures = document["figures"]
    process = figures["process"]
    pieces = [
        document["consultation"]["title"],
        document["phase"]["title"],
        document["phase"]["purpose"] or "",
        *(row["text"] for row in figures["statements"]),
        *(theme["label"] for theme in figures["themes"]),
        *(", ".join(theme["keywords"]) for theme in figures["themes"] if theme.get("keywords")),
        *(s["name"] for s in document["sign_offs"]),
        *(region for region in process.get("regions", {})),
        *(tag for tag in process.get("conversation_groups", {})),
    ]
    for section in document["strategy"]["sections"]:
        pieces += [section["title"], *shown(section.get("body") or "")]
    responses = document["responses"]
    for response in [*responses["themes"].values(), *responses["statements"].values()]:
        pieces += [response["answered_by"], *shown(response["rationale"])]
    for conversation in process.get("conversation_list", []):
        pieces += [conversation[k] or "" for k in ("title", "host_organisation", "where", "region")]
    unique = {squash(p) for p in pieces if p and len(squash(p)) >= 3}
    return sorted(unique, key=len, reverse=True)


def theme_labels(document: dict) -> list[str]:
    """The theme labels of a report (keywords or names people gave), longest first."""
    labels = {squash(theme["label"]) for theme in document["figures"]["themes"]}
    return sorted(labels, key=len, reverse=True)


def without(text: str, pieces: list[str]) -> str:
    """``text`` with every occurrence of ``pieces`` (people's own words) blanked out."""
    for piece in pieces:
        text = text.replace(piece, " ")
    return text
