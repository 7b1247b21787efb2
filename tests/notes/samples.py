"""Sample notes as Word documents (written by us), built with python-docx when a test needs them."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "notes"

PARTNER_EVENT_EN = [
    ("title", "Strategic session at the Partners Summit, Lisbon"),
    (
        "para",
        "Session hosted by the Transparency Partners Network on 9 April 2026. 31 participants "
        "from 14 countries: government reformers, civil society, two journalists and a "
        "private-sector representative.",
    ),
    ("heading", "Priorities for the next strategy"),
    ("bullet", "Focus on fewer commitments and follow each one through to implementation."),
    ("bullet", "Local governments need their own track, with peer learning between cities."),
    (
        "bullet",
        "Make beneficial ownership transparency a standard that every member is assessed against.",
    ),
    ("heading", "Role of the partnership"),
    (
        "para",
        "Participants were divided on how far the partnership should go when a member backslides. "
        "Civil society representatives asked for a clear procedure with public deadlines. "
        "Several government reformers warned that naming a country too early can weaken the "
        "reformers inside it. Everyone agreed that the current review process is too slow to "
        "be of use during a crisis.",
    ),
    ("number", "Publish the findings of every review within three months."),
    ("number", "Give civil society a formal role in the review of each action plan."),
    (
        "table",
        [
            ["Proposal", "Support in the room"],
            [
                "Publish an annual report on the state of civic space in member countries",
                "24 of 31",
            ],
            ["Create a rapid response fund for members where civic space is closing", "most"],
        ],
    ),
    ("para", "Next steps: the host will send these notes to participants for comment."),
]

PARTNER_EVENT_FR = [
    ("title", "Session stratégique au Forum des partenaires, Dakar"),
    (
        "para",
        "Séance animée par l’Alliance ouest-africaine pour la redevabilité, le 16 avril 2026. "
        "27 participants : administrations, organisations de la société civile, universitaires.",
    ),
    ("heading", "Priorités pour la prochaine stratégie"),
    ("bullet", "Accompagner les collectivités locales qui veulent rejoindre le partenariat."),
    ("bullet", "Traduire systématiquement les documents du partenariat en français."),
    (
        "bullet",
        "Mesurer les résultats des engagements, et pas seulement leur adoption sur le papier.",
    ),
    ("heading", "Espace civique"),
    ("number", "Protéger les lanceurs d’alerte par une loi dans chaque pays membre."),
    ("number", "Associer les médias communautaires au suivi des plans d’action."),
    (
        "table",
        [
            ["Proposition", "Soutien"],
            ["Créer un réseau francophone des points de contact du partenariat", "unanime"],
        ],
    ),
]


def write_docx(path: Path, blocks: list[tuple[str, object]]) -> Path:
    """Write ``blocks`` (title, heading, para, bullet, number, table) as a .docx at ``path``."""
    from docx import Document

    document = Document()
    for kind, content in blocks:
        if kind == "title":
            document.add_heading(str(content), level=0)
        elif kind == "heading":
            document.add_heading(str(content), level=1)
        elif kind == "para":
            document.add_paragraph(str(content))
        elif kind == "bullet":
            document.add_paragraph(str(content), style="List Bullet")
        elif kind == "number":
            document.add_paragraph(str(content), style="List Number")
        elif kind == "table":
            rows = list(content)  # type: ignore[call-overload]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        else:
            raise ValueError(kind)
    document.save(str(path))
    return path


# name → (host organisation, date, language, region, participants, groups)
SAMPLES = {
    "regional-dialogue-north.md": (
        "Highlands Civic Forum", "2026-03-14", "en", "Northern Highlands", 46, "civil society"
    ),
    "atelier-femmes-leaders.md": (
        "Collectif des femmes leaders", "2026-03-28", "fr", "Centre", 25, "women's organisations"
    ),
    "dialogue-regional-sud.txt": (
        "Réseau citoyen pour la transparence", "2026-03-21", "fr", "Sud", 38, "civil society"
    ),
    "youth-session-coast.txt": ("Coast Youth Network", "2026-04-02", "en", "Coast", 22, "youth"),
    "youth-session-votes.csv": ("Coast Youth Network", "2026-04-03", "en", "Coast", 24, "youth"),
    "seance-jeunes-votes.csv": ("Conseil des jeunes", "2026-04-05", "fr", "Sud", 30, "youth"),
}  # fmt: skip
WORD_SAMPLES = {
    "partner-event-en.docx": (
        "Transparency Partners Network", "2026-04-09", "en", "Lisbon", 31, "government, media"
    ),
    "partner-event-fr.docx": (
        "Alliance ouest-africaine pour la redevabilité", "2026-04-16", "fr", "Dakar", 27, "academia"
    ),
}  # fmt: skip


def sample_bytes(name: str, tmp_path: Path | None = None) -> bytes:
    """The bytes of a sample file; the Word ones are built on the fly."""
    if name == "partner-event-en.docx":
        return write_docx(tmp_path / name, PARTNER_EVENT_EN).read_bytes()  # type: ignore[operator]
    if name == "partner-event-fr.docx":
        return write_docx(tmp_path / name, PARTNER_EVENT_FR).read_bytes()  # type: ignore[operator]
    return (DATA / name).read_bytes()


def import_sample(phase, name: str, tmp_path: Path | None = None, **overrides):
    """Import a sample through the command-line service (no preview)."""
    from consult.notes.services import import_notes_file

    host, held_on, language, region, participants, groups = {**SAMPLES, **WORD_SAMPLES}[name]
    options = {
        "host_organisation": host,
        "held_on": held_on,
        "language": language,
        "region": region,
        "participant_count": participants,
        "groups": groups,
        "place": region,
        **overrides,
    }
    return import_notes_file(phase, name, sample_bytes(name, tmp_path), **options)
