"""Stored remarks about notes (source locations, parser notes) shown in the reader's language.

The parser and the import store their remarks in English (``"line 12"``, ``"Too short to be a
statement (8 characters)."``): they are data, kept with the upload and the statement sources, and
the command line prints them as they are. Pages show them through :func:`location_text` and
:func:`remark_text`, which recognise each stored form and give it in the interface language; a
text they do not recognise is shown unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _n(match: re.Match[str], group: int | str = 1) -> int:
    return int(match.group(group))


LOCATIONS: list[Rule] = [
    (re.compile(r"line (\d+)"), lambda m: _("line %(n)d", n=_n(m))),
    (
        re.compile(r"lines (\d+)–(\d+)"),
        lambda m: _("lines %(first)d–%(last)d", first=_n(m), last=_n(m, 2)),
    ),
    (re.compile(r"row (\d+)"), lambda m: _("row %(n)d", n=_n(m))),
    (
        re.compile(r"table (\d+), row (\d+)"),
        lambda m: _("table %(table)d, row %(row)d", table=_n(m), row=_n(m, 2)),
    ),
    (re.compile(r"paragraph (\d+)"), lambda m: _("paragraph %(n)d", n=_n(m))),
    (
        re.compile(r"paragraph (\d+), sentence (\d+)"),
        lambda m: _("paragraph %(n)d, sentence %(sentence)d", n=_n(m), sentence=_n(m, 2)),
    ),
    (re.compile(r"added in the preview"), lambda m: _("added in the preview")),
]

REMARKS: list[Rule] = [
    (
        re.compile(r"Too short to be a statement \((\d+) characters\)\."),
        lambda m: _("Too short to be a statement (%(n)d characters).", n=_n(m)),
    ),
    (
        re.compile(r"Looks like a heading: restore it if it is a point\."),
        lambda m: _("Looks like a heading: restore it if it is a point."),
    ),
    (
        re.compile(
            r"Looks like a label \(such as a date, place or name\): restore it if it is a point\."
        ),
        lambda m: _(
            "Looks like a label (such as a date, place or name): restore it if it is a point."
        ),
    ),
    (
        re.compile(
            r"Too long for a statement \((\d+) characters; at most (\d+)\): "
            r"edit or shorten it\."
        ),
        lambda m: _(
            "Too long for a statement (%(n)d characters; at most %(max)d): edit or shorten it.",
            n=_n(m),
            max=_n(m, 2),
        ),
    ),
    (
        re.compile(
            r"Too long for a statement \((\d+) characters; at most (\d+)\): edit or split it\."
        ),
        lambda m: _(
            "Too long for a statement (%(n)d characters; at most %(max)d): edit or split it.",
            n=_n(m),
            max=_n(m, 2),
        ),
    ),
    (
        re.compile(
            r"Too short for a statement \((\d+) characters; at least (\d+)\): edit or drop it\."
        ),
        lambda m: _(
            "Too short for a statement (%(n)d characters; at least %(min)d): edit or drop it.",
            n=_n(m),
            min=_n(m, 2),
        ),
    ),
    (
        re.compile(r"(\d+) rows? with an empty text"),
        lambda m: ngettext(
            "%(num)d row with an empty text", "%(num)d rows with an empty text", _n(m)
        ),
    ),
    (
        re.compile(r"columns not used: (.+)"),
        lambda m: _("columns not used: %(columns)s", columns=m.group(1)),
    ),
    (
        re.compile(r"every point found was too short or looked like a heading"),
        lambda m: _("every point found was too short or looked like a heading"),
    ),
    (
        re.compile(
            r"Near-duplicate check unavailable \((.*)\); only exact repeats are shown\.", re.S
        ),
        lambda m: _(
            "Near-duplicate check unavailable (%(error)s); only exact repeats are shown.",
            error=m.group(1),
        ),
    ),
    (
        re.compile(r"Read as (.+), as you chose\."),
        lambda m: _("Read as %(encoding)s, as you chose.", encoding=m.group(1)),
    ),
    (
        re.compile(r"Read as UTF-16 \(the file starts with its mark\)\."),
        lambda m: _("Read as UTF-16 (the file starts with its mark)."),
    ),
    (
        re.compile(
            r"This file is not UTF-8 \(first at line (\d+), column (\d+)\); it was read as (.+), "
            r"the encoding it declares\."
        ),
        lambda m: _(
            "This file is not UTF-8 (first at line %(line)d, column %(column)d); it was read as "
            "%(encoding)s, the encoding it declares.",
            line=_n(m),
            column=_n(m, 2),
            encoding=m.group(3),
        ),
    ),
    (
        re.compile(
            r"This file is not UTF-8 \(first at line (\d+), column (\d+)\); it was read as (.+) "
            r"\(detected\)\. Check accents and special characters below; if they look wrong, "
            r"upload it again and choose its encoding\."
        ),
        lambda m: _(
            "This file is not UTF-8 (first at line %(line)d, column %(column)d); it was read as "
            "%(encoding)s (detected). Check accents and special characters below; if they look "
            "wrong, upload it again and choose its encoding.",
            line=_n(m),
            column=_n(m, 2),
            encoding=m.group(3),
        ),
    ),
]


def _translate(rules: list[Rule], text: str | None) -> str:
    if not text:
        return text or ""
    for pattern, render in rules:
        match = pattern.fullmatch(text)
        if match:
            return render(match)
    return text


def location_text(location: str | None) -> str:
    """``"table 2, row 3"`` → "tableau 2, ligne 3" in French (unknown forms unchanged)."""
    return _translate(LOCATIONS, location)


def remark_text(remark: str | None) -> str:
    """A stored parser or import remark (dropped point, left-out rows, encoding) translated."""
    return _translate(REMARKS, remark)


def group_text(tag: str | None) -> str:
    """A group tag in the reader's language when it is one the form suggests (stored in English)."""
    from consult.notes.services import GROUP_SUGGESTIONS

    if tag and tag.lower() in GROUP_SUGGESTIONS:
        return _(tag.lower())
    return tag or ""


def where_text(conversation: Any) -> str:
    """Where a conversation took place (an object or a report's dict), "Online" translated."""
    if isinstance(conversation, dict):
        where, online = conversation.get("where") or "", conversation.get("online")
    else:
        where, online = conversation.where or "", conversation.online
    if online and where == "Online":
        return _("Online")
    if online and where.startswith("Online (") and where.endswith(")"):
        return _("Online (%(place)s)", place=where[len("Online (") : -1])
    return where
