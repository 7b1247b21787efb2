"""The strategy outline as Markdown: its sections (headings with stable keys) and safe HTML.

A section is a Markdown heading and the text under it, up to the next heading. Its key — what
responses link to — is written after the heading as ``{#key}`` (e.g. ``## Goal 3 — Protect civic
space {#goal-3}``) or, when absent, derived from the heading's words. Raw HTML in the Markdown is
shown as text, never interpreted, and only http(s), mailto and in-page links are kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext
from markdown_it import MarkdownIt

MAX_OUTLINE_CHARS = 200_000
KEY_RE = re.compile(r"\s*\{#([A-Za-z0-9][A-Za-z0-9_-]{0,63})\}\s*$")
SAFE_LINK_RE = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    level: int
    body: str  # Markdown under the heading

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "level": self.level, "body": self.body}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = lambda url: bool(SAFE_LINK_RE.match(url.strip()))  # type: ignore[method-assign]
    return md


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by dashes ("Goal 3 — Civic space" → "goal-3-civic-space")."""
    spaced = re.sub(r"[\W_]+", " ", text)  # dashes and punctuation of any script separate words
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:64].strip("-") or "section"


def parse_sections(markdown: str) -> list[Section]:
    """Every heading of ``markdown`` as a section, in order; keys are unique within the outline."""
    lines = markdown.splitlines()
    tokens = _markdown().parse(markdown)
    headings: list[tuple[int, int, int, str]] = []  # (first line, next line, level, raw title)
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[i + 1]
            headings.append((token.map[0], token.map[1], int(token.tag[1]), inline.content))
    sections: list[Section] = []
    used: set[str] = set()
    for n, (_start, end, level, raw) in enumerate(headings):
        match = KEY_RE.search(raw)
        title = KEY_RE.sub("", raw).strip() if match else raw.strip()
        base = match.group(1).lower() if match else slugify(title)
        key, k = base, 2
        while key in used:
            key, k = f"{base}-{k}", k + 1
        used.add(key)
        stop = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        body = "\n".join(lines[end:stop]).strip("\n")
        sections.append(Section(key=key, title=title or key, level=level, body=body))
    return sections


def render_markdown(text: str) -> str:
    """Markdown → HTML with raw HTML escaped and unsafe links dropped."""
    return _markdown().render(text or "")


def validate_outline(markdown: object) -> str:
    """The outline text, normalised; raises ValueError naming what is wrong."""
    if not isinstance(markdown, str):
        raise ValueError(gettext("the outline must be text"))
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValueError(
            gettext("the outline is empty: paste the strategy's sections as Markdown headings")
        )
    if len(text) > MAX_OUTLINE_CHARS:
        raise ValueError(
            gettext(
                "the outline has %(n)s characters; at most %(max)s are allowed",
                n=f"{len(text):,}",
                max=f"{MAX_OUTLINE_CHARS:,}",
            )
        )
    if not parse_sections(text):
        raise ValueError(
            gettext(
                "the outline has no section: start each section with a Markdown heading, e.g. "
                "'## Goal 3 — Protect and expand civic space'"
            )
        )
    return text + "\n"
