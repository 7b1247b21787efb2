"""Theme labels the system writes ("Other", "New theme", "Part of “…”") in the reader's language.

Those labels are stored and frozen into phase records in English, like keyword labels and the
Support Unit's own names; pages and reports show them through :func:`theme_label_text`.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from clustering.themes import OTHER_LABEL

PART_OF = re.compile(r"Part of “(.*)”", re.S)


def theme_label_text(label: str | None) -> str:
    """``"Other"`` → "Autre" in French; a label someone wrote or keywords stay as they are."""
    if not label:
        return label or ""
    if label == OTHER_LABEL:
        return _("Other")
    if label == "New theme":
        return _("New theme")
    match = PART_OF.fullmatch(label)
    if match:
        return _("Part of “%(name)s”", name=theme_label_text(match.group(1)))
    return label
