"""Reading notes files: each format in English and French, source references, every bad input."""

from __future__ import annotations

import pytest

from consult.notes.parsing import MAX_BYTES, NotesError, candidate_key, parse_notes
from tests.notes.samples import DATA, PARTNER_EVENT_EN, PARTNER_EVENT_FR, write_docx


def read(name: str):
    return parse_notes(name, (DATA / name).read_bytes())


def kept_texts(parsed) -> list[str]:
    return [c.text for c in parsed.candidates if not c.dropped]


def by_start(parsed, prefix: str):
    matches = [c for c in parsed.candidates if c.text.startswith(prefix)]
    assert len(matches) == 1, f"{prefix!r}: {[c.text for c in parsed.candidates]}"
    return matches[0]


def assert_sources_exact(parsed) -> None:
    """Every candidate points at its passage in the kept text, at the line/paragraph it names."""
    lines = parsed.raw_text.split("\n")
    for c in parsed.candidates:
        assert parsed.raw_text[c.start : c.end] == c.passage, c
        assert c.passage.strip()
        if c.location.startswith(("line", "row")) and "table" not in c.location:
            first_line = parsed.raw_text.count("\n", 0, c.start) + 1
            assert first_line == c.number, (c.location, first_line)
            assert lines[c.number - 1].strip() and lines[c.number - 1] in parsed.raw_text


# --- each format, English and French -------------------------------------------------------------


def test_markdown_regional_dialogue_in_english():
    parsed = read("regional-dialogue-north.md")
    assert (parsed.file_type, parsed.encoding, parsed.encoding_note) == ("md", "utf-8", None)
    assert_sources_exact(parsed)
    radio = by_start(parsed, "Read out the main budget figures")
    assert (radio.location, radio.section) == ("line 16", "Access to information")
    assert radio.passage == "- Read out the main budget figures on community radio every quarter."
    # A bullet with a continuation line is one point spanning both lines.
    boards = by_start(parsed, "Notice boards at the health centre")
    assert boards.location == "lines 17–18" and boards.text.endswith("and the deadline.")
    # Numbered items, with the heading above them as their section.
    seats = by_start(parsed, "Reserve seats for young people")
    assert (seats.location, seats.section) == ("line 24", "Participation in decisions")
    # The long paragraph is split into its five sentences, all on line 27.
    sentences = [c for c in parsed.candidates if c.location == "line 27"]
    assert len(sentences) == 5
    assert sentences[2].text == (
        "A teacher proposed that the minutes of every committee meeting be posted at the school "
        "within a week."
    )
    assert sentences[2].passage == sentences[2].text
    # Markdown emphasis goes from the text but stays in the passage.
    bribe = by_start(parsed, "Create a phone line")
    assert "anonymously, and" in bribe.text and "**anonymously**" in bribe.passage
    # Labels and a one-word answer are set aside (dropped, visible, restorable), not lost.
    dropped = {c.text: c.note for c in parsed.candidates if c.dropped}
    assert set(dropped) == {
        "Date: 14 March 2026",
        "Place: Community hall, Lakeview",
        "Host: Highlands Civic Forum",
        "Participants: 46 (18 women, 12 under 30)",
        "Yes",
    }
    assert "Too short" in dropped["Yes"]
    assert not any(t.startswith(("Regional dialogue", "Opening round")) for t in kept_texts(parsed))


def test_markdown_womens_organisations_in_french():
    parsed = read("atelier-femmes-leaders.md")
    assert_sources_exact(parsed)
    texts = kept_texts(parsed)
    assert "Former les élues locales à la lecture et au contrôle du budget communal." in texts
    tiers = by_start(parsed, "Réserver au moins un tiers")
    assert (tiers.location, tiers.section) == ("line 12", "Propositions")
    # Two sentences typed one per line are two points.
    assert by_start(parsed, "Les femmes des zones rurales").location == "line 7"
    assert by_start(parsed, "Les réunions de planification").location == "line 8"
    quote = by_start(parsed, "« On nous invite pour la photo")
    assert quote.passage.startswith("> «")
    intro = by_start(parsed, "Atelier organisé par")
    assert not intro.text.startswith("*") and intro.passage.startswith("*Atelier")


def test_text_regional_dialogue_in_french():
    parsed = read("dialogue-regional-sud.txt")
    assert parsed.file_type == "txt"
    assert_sources_exact(parsed)
    affiche = by_start(parsed, "Les comptes rendus des conseils municipaux")
    assert affiche.location == "line 12"
    assert affiche.section == "Accès à l'information"  # "1) Accès …" heads the bullets below it
    assert affiche.passage.startswith("• ")
    assert by_start(parsed, "Rendre publics les noms").section == "Lutte contre la corruption"
    split = [c for c in parsed.candidates if c.location == "line 20"]
    assert [c.text[:30] for c in split] == [
        "Plusieurs participants ont sou",
        "Un élu local présent a reconnu",
        "Les associations de femmes dem",
    ]
    labels = {c.text for c in parsed.candidates if c.dropped}
    assert "Lieu : Maison des jeunes, Ziguinchor" in labels
    assert "Nombre de participants : 38" in labels
    assert "Accès à l'information" not in kept_texts(parsed)


def test_text_youth_session_in_english():
    parsed = read("youth-session-coast.txt")
    assert_sources_exact(parsed)
    lines = {c.location: c.text for c in parsed.candidates if not c.dropped}
    assert lines["line 6"] == "A youth hearing before the county budget is adopted, not after."
    assert lines["line 11"].startswith("Adverts should go out on WhatsApp")
    # The title line right above a paragraph is a heading, not the start of its first sentence.
    disagreement = [c for c in parsed.candidates if c.section == "Disagreement"]
    assert disagreement[0].text.startswith("Some participants wanted a fixed share")
    assert len(disagreement) == 3 and {c.location for c in disagreement} == {"line 15"}


def test_csv_youth_session_in_english_with_room_counts():
    parsed = read("youth-session-votes.csv")
    assert parsed.file_type == "csv"
    assert_sources_exact(parsed)
    rows = {c.location: c for c in parsed.candidates}
    assert list(rows) == ["row 2", "row 3", "row 4", "row 5", "row 6", "row 8"]
    internships = rows["row 4"]
    assert (internships.speaker_group, internships.votes_for, internships.votes_against) == (
        "young graduates",
        24,
        1,
    )
    assert internships.text.startswith("Internships in county departments should be advertised")
    assert rows["row 6"].text == (
        'Stop the "youth forums" that happen after the decisions are already made.'
    )
    assert rows["row 6"].passage.startswith('"Stop the ""youth forums""')
    assert (rows["row 8"].votes_for, rows["row 8"].votes_against) == (None, None)
    assert "1 row with an empty text" in parsed.skipped
    assert "columns not used: facilitator_notes" in parsed.skipped


def test_csv_in_french_saved_by_a_spreadsheet_in_windows_1252():
    parsed = read("seance-jeunes-votes.csv")
    assert parsed.encoding == "cp1252"
    assert "read as Windows-1252 (detected)" in parsed.encoding_note
    assert "line 2, column 3" in parsed.encoding_note  # where UTF-8 first failed
    assert_sources_exact(parsed)
    first = parsed.candidates[0]
    assert first.text == "Créer un conseil municipal des jeunes élu, avec un vrai budget à gérer"
    assert (first.speaker_group, first.votes_for, first.votes_against) == ("élèves", 19, 3)
    assert "dans un délai d’un mois" in parsed.candidates[3].text  # ’ exists only in cp1252
    assert len(parsed.candidates) == 5


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        (
            PARTNER_EVENT_EN,
            {
                "paragraph 5": "Local governments need their own track, with peer learning "
                "between cities.",
                "paragraph 8, sentence 3": "Several government reformers warned that naming a "
                "country too early can weaken the reformers inside it.",
                "paragraph 9": "Publish the findings of every review within three months.",
                "table 1, row 3": "Create a rapid response fund for members where civic space "
                "is closing — most",
            },
        ),
        (
            PARTNER_EVENT_FR,
            {
                "paragraph 4": "Accompagner les collectivités locales qui veulent rejoindre le "
                "partenariat.",
                "paragraph 8": "Protéger les lanceurs d’alerte par une loi dans chaque pays "
                "membre.",
                "table 1, row 2": "Créer un réseau francophone des points de contact du "
                "partenariat — unanime",
            },
        ),
    ],
    ids=["en", "fr"],
)
def test_word_partner_event(tmp_path, blocks, expected):
    path = write_docx(tmp_path / "partner-event.docx", blocks)
    parsed = parse_notes(path.name, path.read_bytes())
    assert parsed.file_type == "docx"
    for c in parsed.candidates:
        assert parsed.raw_text[c.start : c.end] == c.passage
    found = {c.location: c.text for c in parsed.candidates}
    for location, text in expected.items():
        assert found[location] == text
    # Headings name sections; list items appear as such in the text kept for publication.
    assert all(not t.startswith(("Priorities for", "Priorités pour")) for t in found.values())
    assert "\n- " in parsed.raw_text and "\n1. " in parsed.raw_text
    assert parsed.candidates[-1].section not in (None, "Proposal — Support in the room")


def test_sentence_split_keeps_abbreviations_and_initials():
    text = (
        "M. Diallo, maire de la commune, a rappelé que le budget est voté en mars, p. ex. cette "
        "année le 12 mars, sans débat public préalable dans les quartiers. Les habitants "
        "proposent des réunions de quartier avant le vote, e.g. dans les écoles ou les centres "
        "de santé, avec une traduction en wolof. Oui. Le Dr. Ba a soutenu l'idée au nom des "
        "associations de santé communautaire."
    )
    assert len(text) > 280
    parsed = parse_notes("notes.txt", text.encode())
    assert [c.text[:12] for c in parsed.candidates] == [
        "M. Diallo, m",
        "Les habitant",
        "Le Dr. Ba a ",
    ]
    assert parsed.candidates[1].text.endswith("en wolof. Oui.")  # too short alone: joins


def test_candidate_key_ignores_case_spacing_and_punctuation():
    assert candidate_key("Publish the budget  online.") == candidate_key(
        "publish the budget online"
    )
    assert candidate_key("Publish the budget online") != candidate_key("Publish the budget")


# --- bad input: a clear message naming the problem, nothing returned ----------------------------


def test_empty_and_blank_files():
    with pytest.raises(NotesError, match=r"^notes\.txt: the file is empty\.$"):
        parse_notes("notes.txt", b"")
    with pytest.raises(NotesError, match="has no text in it"):
        parse_notes("notes.md", b"\n   \n\t\n")
    with pytest.raises(NotesError, match="no points to import"):
        parse_notes("notes.md", b"# Only a heading\n\n## And another\n")


@pytest.mark.parametrize("name", ["minutes.pdf", "minutes.doc", "minutes.xlsx", "minutes"])
def test_unsupported_types(name):
    with pytest.raises(NotesError) as error:
        parse_notes(name, b"Some notes from the session.")
    assert error.value.message.startswith(f"{name}: ")
    assert "Upload notes as .txt, .md, .docx or .csv" in error.value.message


def test_file_over_the_limit():
    data = b"- A point repeated to make a large file.\n" * (MAX_BYTES // 40 + 10)
    assert len(data) > MAX_BYTES
    with pytest.raises(NotesError, match=r"big\.txt: the file is 5\.\d MB; the limit is 5 MB"):
        parse_notes("big.txt", data)


def test_too_many_points_for_one_file():
    data = b"".join(b"- Point number %d raised by the group.\n" % i for i in range(2001))
    with pytest.raises(NotesError, match=r"many\.md: 2,001 points were found; one file can hold"):
        parse_notes("many.md", data)


def test_wrong_encoding_declared_by_the_host_names_line_and_column():
    data = "Compte rendu\nLes élus doivent rendre compte.\n".encode("cp1252")
    with pytest.raises(NotesError) as error:
        parse_notes("notes.txt", data, declared_encoding="utf-8")
    assert error.value.line == 2 and error.value.column == 5
    assert "notes.txt (line 2, column 5): byte 0xE9 cannot be read as UTF-8" in error.value.message
    with pytest.raises(NotesError, match="'klingon' is not an encoding we know"):
        parse_notes("notes.txt", data, declared_encoding="klingon")
    ok = parse_notes("notes.txt", data, declared_encoding="cp1252")
    assert ok.candidates[-1].text == "Les élus doivent rendre compte."
    assert ok.encoding_note == "Read as Windows-1252, as you chose."


def test_encoding_declared_in_the_file_is_used_and_said():
    data = ("<!-- coding: latin-1 -->\nLes élèves demandent un conseil des jeunes élu.\n").encode(
        "latin-1"
    )
    parsed = parse_notes("notes.md", data)
    assert parsed.encoding == "iso8859-1"
    assert "the encoding it declares" in parsed.encoding_note
    assert "line 2, column 5" in parsed.encoding_note
    assert "ISO-8859-1 (Latin-1)" in parsed.encoding_note
    assert [c.text for c in parsed.candidates] == [
        "Les élèves demandent un conseil des jeunes élu."
    ]


def test_binary_content_is_refused_with_its_line():
    data = b"Notes\nPK\x03\x04\x00\x00\xff\xfe binary"
    with pytest.raises(NotesError) as error:
        parse_notes("notes.txt", data)
    assert "not a text file (it contains NUL bytes)" in error.value.message
    assert error.value.line == 2


def test_control_characters_are_refused_with_line_and_column():
    with pytest.raises(NotesError) as error:
        parse_notes("notes.txt", b"First point of the session.\nSecond \x1b[31m point.\n")
    assert (error.value.line, error.value.column) == (2, 8)
    assert "control character U+001B" in error.value.message


def test_csv_without_a_text_column_lists_the_columns_it_has():
    data = "idée;votes_pour\nPublier le budget communal;12\n".encode()
    with pytest.raises(NotesError) as error:
        parse_notes("seance.csv", data)
    message = error.value.message
    assert message.startswith("seance.csv (line 1): the CSV has no 'text' column")
    assert "'idée', 'votes_pour'" in message


def test_csv_bad_count_names_row_and_column():
    data = b"text,votes_for\nPublish the county budget online,12\nHold forums on weekends,twelve\n"
    with pytest.raises(NotesError) as error:
        parse_notes("votes.csv", data)
    assert (error.value.line, error.value.column) == (3, "votes_for")
    assert error.value.message.startswith("votes.csv (line 3, column votes_for): 'twelve'")


def test_csv_unquoted_separator_and_broken_quotes_name_the_line():
    with pytest.raises(NotesError, match=r"line 3.*3 values but the header has 2 columns"):
        parse_notes("a.csv", b"text,votes_for\nPublish the budget,3\nPublish it, online,4\n")
    with pytest.raises(NotesError, match=r"\(line 2\): this row cannot be read as CSV"):
        parse_notes("b.csv", b'text,votes_for\n"Publish the "budget" online,3\n')
    with pytest.raises(NotesError, match="no rows with text"):
        parse_notes("c.csv", b"text,votes_for\n,3\n")


def test_docx_that_is_not_a_word_document():
    with pytest.raises(NotesError, match=r"notes\.docx: this is not a Word \.docx document"):
        parse_notes("notes.docx", b"Plain text saved with the wrong extension.")


def test_empty_word_document(tmp_path):
    path = write_docx(tmp_path / "empty.docx", [])
    with pytest.raises(NotesError, match=r"empty\.docx: the Word document has no text"):
        parse_notes("empty.docx", path.read_bytes())
