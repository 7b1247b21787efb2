"""Form state of the community-conversation pages: values as typed, and errors per field.

The rules themselves live in ``consult.notes.services`` (so the command line applies the same
ones); a form only carries what the person typed back to the page with the message that fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from consult.notes.models import CommunityConversation

FIELDS = (
    "phase_id",
    "title",
    "host_organisation",
    "held_on",
    "online",
    "place",
    "region",
    "language",
    "participant_count",
    "groups",
    "consent_to_publish",
)
CHECKBOXES = ("online", "consent_to_publish")

ENCODINGS = [
    ("", _l("Find out (UTF-8 first)")),
    ("utf-8", "UTF-8"),
    ("cp1252", _l("Windows-1252 (Western Europe)")),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("iso8859-15", "ISO-8859-15 (Latin-9)"),
    ("cp1251", _l("Windows-1251 (Cyrillic)")),
    ("mac-roman", "Mac Roman"),
]


@dataclass
class ConversationForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, language: str = "en", phase_id: int | None = None) -> ConversationForm:
        values: dict[str, Any] = dict.fromkeys(FIELDS, "")
        values.update(language=language, phase_id=phase_id, online=False, consent_to_publish=False)
        return cls(values)

    @classmethod
    def from_conversation(cls, conversation: CommunityConversation) -> ConversationForm:
        return cls(
            {
                "phase_id": conversation.phase_id,
                "title": conversation.title,
                "host_organisation": conversation.host_organisation,
                "held_on": conversation.held_on.isoformat(),
                "online": conversation.online,
                "place": conversation.place or "",
                "region": conversation.region or "",
                "language": conversation.language,
                "participant_count": (
                    "" if conversation.participant_count is None else conversation.participant_count
                ),
                "groups": ", ".join(conversation.groups or []),
                "consent_to_publish": conversation.consent_to_publish,
            }
        )

    @classmethod
    def from_request(cls, form: MultiDict) -> ConversationForm:
        values: dict[str, Any] = {name: form.get(name, "").strip() for name in FIELDS}
        for name in CHECKBOXES:
            values[name] = form.get(name) in ("1", "on", "true", "yes")
        picked = [g.strip() for g in form.getlist("group") if g.strip()]
        if picked:
            typed = [g for g in values["groups"].split(",") if g.strip()]
            values["groups"] = ", ".join(picked + typed)
        phase = values["phase_id"]
        values["phase_id"] = int(phase) if str(phase).isdigit() else None
        return cls(values)

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``create_conversation`` / ``update_conversation``."""
        return {name: self.values[name] for name in FIELDS if name != "phase_id"}

    @property
    def group_list(self) -> list[str]:
        return [g.strip() for g in str(self.values.get("groups") or "").split(",") if g.strip()]
