"""Reading community-conversation notes (.txt, .md, .docx, .csv) into candidate statements.

Every candidate keeps where it came from: the unit (line, paragraph or row), its number and the
exact source passage as it stands in the text kept for publication (``ParsedNotes.raw_text``), so
``raw_text[start:end] == passage`` holds for every candidate read from a file.

Splitting rules: bullets and numbered items are one candidate each (continuation lines join the
item); other paragraphs are one candidate; a block longer than a statement may be (280 characters)
is split into sentences. Headings (Markdown ``#``, Word heading styles, a line ending in ``:``) are
not candidates: they name the section of the candidates under them. Lines that look like a heading
or a ``key: value`` label, and fragments too short to be a statement, become candidates that start
*dropped*, so the host sees them and can restore one.

Decoding: UTF-8 first (a byte-order mark is honoured), then the encoding the host declared (form or
``--encoding``) or that the file declares (``coding: …``, ``charset=…``), then detection
(charset-normalizer). ``ParsedNotes.encoding_note`` says which was used. Anything that cannot be
read raises :class:`NotesError` naming the file, the line and the column, and nothing is kept.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from flask_babel import gettext

from consult.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_CANDIDATES = 2000  # points per file: a conversation yields dozens, a preview stays usable
TEXT_MIN = 10  # same rule as consult.participation.services (not imported: this module is pure)
TEXT_MAX = 280
FILE_TYPES = {
    "txt": "txt",
    "text": "txt",
    "md": "md",
    "markdown": "md",
    "docx": "docx",
    "csv": "csv",
}
CSV_COLUMNS = ("text", "speaker_group", "votes_for", "votes_against")
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with byte-order mark)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "iso8859-1": "ISO-8859-1 (Latin-1)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "cp1251": "Windows-1251",
    "mac-roman": "Mac Roman",
    "cp850": "DOS code page 850",
}


class NotesError(InvalidInput):
    """Notes that cannot be read; the message names the file and, when known, line and column."""

    def __init__(
        self,
        message: str,
        *,
        filename: str = "",
        line: int | None = None,
        column: int | str | None = None,
    ) -> None:
        where = []
        if line is not None:
            where.append(gettext("line %(n)d", n=line))
        if column is not None:
            where.append(gettext("column %(column)s", column=column))
        prefix = filename + (f" ({', '.join(where)})" if where else "")
        located = gettext("%(where)s: %(message)s", where=prefix, message=message)
        super().__init__(located if prefix else message, field="file")
        self.filename = filename
        self.line = line
        self.column = column


@dataclass
class Candidate:
    """A point found in the notes, with its source reference (``start``/``end`` in raw_text)."""

    key: str
    text: str
    location: str
    number: int  # first line, paragraph or row it comes from
    passage: str
    start: int | None = None
    end: int | None = None
    section: str | None = None
    speaker_group: str | None = None
    votes_for: int | None = None
    votes_against: int | None = None
    dropped: bool = False
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedNotes:
    filename: str
    file_type: str
    size: int
    sha256: str
    encoding: str
    encoding_note: str | None
    raw_text: str
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what was left out, said plainly

    @property
    def kept(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.dropped]


# --- entry point -------------------------------------------------------------------------------


def file_type_of(filename: str) -> str:
    """'txt', 'md', 'docx' or 'csv' from the file name; NotesError for anything else."""
    name = PurePath(filename or "").name
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in FILE_TYPES:
        if suffix:
            message = gettext(
                "files of type .%(suffix)s cannot be read. Upload notes as .txt, .md, .docx or "
                ".csv (save a .doc as .docx, a PDF or spreadsheet as .txt or .csv).",
                suffix=suffix,
            )
        else:
            message = gettext(
                "files without an extension cannot be read. Upload notes as .txt, .md, .docx or "
                ".csv."
            )
        raise NotesError(message, filename=name or gettext("the file"))
    return FILE_TYPES[suffix]


def parse_notes(filename: str, data: bytes, *, declared_encoding: str | None = None) -> ParsedNotes:
    """Read notes from ``data`` (the file's bytes) into candidates; raises NotesError."""
    name = PurePath(filename or "notes").name
    kind = file_type_of(name)
    size = len(data)
    if size > MAX_BYTES:
        raise NotesError(
            gettext(
                "the file is %(size).1f MB; the limit is %(limit)d MB. Split the notes into "
                "smaller files.",
                size=size / 1024 / 1024,
                limit=MAX_BYTES // 1024 // 1024,
            ),
            filename=name,
        )
    if size == 0:
        raise NotesError(gettext("the file is empty."), filename=name)
    digest = hashlib.sha256(data).hexdigest()
    if kind == "docx":
        raw_text, blocks = _docx_blocks(name, data)
        encoding, note = "utf-8", None
        skipped: list[str] = []
    else:
        text, encoding, note = decode(name, data, declared_encoding)
        _check_control_characters(name, text)
        if not text.strip():
            raise NotesError(gettext("the file has no text in it."), filename=name)
        raw_text = text
        if kind == "csv":
            blocks, skipped = _csv_blocks(name, raw_text)
        else:
            blocks, skipped = _text_blocks(raw_text, markdown=kind == "md"), []
    candidates = _candidates(blocks, raw_text, unit="paragraph" if kind == "docx" else None)
    if not candidates:
        raise NotesError(
            gettext("no points to import were found (only headings or empty lines)."), filename=name
        )
    if len(candidates) > MAX_CANDIDATES:
        raise NotesError(
            gettext(
                "%(found)s points were found; one file can hold at most %(max)s. Split the notes "
                "into one file per conversation or session.",
                found=f"{len(candidates):,}",
                max=f"{MAX_CANDIDATES:,}",
            ),
            filename=name,
        )
    if not any(not c.dropped for c in candidates):
        skipped.append("every point found was too short or looked like a heading")
    return ParsedNotes(
        filename=name,
        file_type=kind,
        size=size,
        sha256=digest,
        encoding=encoding,
        encoding_note=note,
        raw_text=raw_text,
        candidates=candidates,
        skipped=skipped,
    )


# --- decoding ----------------------------------------------------------------------------------

DECLARATION_RE = re.compile(
    rb"(?:coding[:=]\s*|charset\s*=\s*[\"']?|encoding\s*[:=]\s*[\"']?)([A-Za-z0-9_.\-]{2,40})", re.I
)


def encoding_label(codec: str) -> str:
    """A readable name for a codec ('cp1252' → 'Windows-1252')."""
    try:
        canonical = codecs.lookup(codec).name
    except LookupError:
        return codec
    return ENCODING_NAMES.get(canonical, canonical.upper())


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as far as they can be read) of a byte offset."""
    line = data.count(b"\n", 0, offset) + 1
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _lookup(name: str, filename: str) -> str:
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise NotesError(
            gettext(
                "%(name)s is not an encoding we know (try UTF-8, Windows-1252 or ISO-8859-1).",
                name=repr(name),
            ),
            filename=filename,
        ) from None


def decode(filename: str, data: bytes, declared: str | None = None) -> tuple[str, str, str | None]:
    """Text of ``data`` and the codec used, plus a note for the host when it was not UTF-8."""
    if declared:
        codec = _lookup(declared, filename)
        try:
            text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except UnicodeDecodeError as exc:
            line, column = _position(data, exc.start)
            raise NotesError(
                gettext(
                    "byte 0x%(byte)s cannot be read as %(encoding)s, the encoding chosen for this "
                    "file. Choose another encoding, or save the file as UTF-8.",
                    byte=f"{data[exc.start]:02X}",
                    encoding=encoding_label(codec),
                ),
                filename=filename,
                line=line,
                column=column,
            ) from None
        note = None if codec == "utf-8" else f"Read as {encoding_label(codec)}, as you chose."
        return _newlines(text), codec, note
    if data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-8"
    try:
        text = data.decode(codec)
        note = None if codec != "utf-16" else "Read as UTF-16 (the file starts with its mark)."
        return _newlines(text), codec, note
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        bad = data[exc.start]
    if b"\x00" in data:
        line0, column0 = _position(data, data.index(b"\x00"))
        raise NotesError(
            gettext(
                "this is not a text file (it contains NUL bytes). Save the notes as plain text "
                "(UTF-8), Word (.docx) or CSV."
            ),
            filename=filename,
            line=line0,
            column=column0,
        )
    where = f"line {line}, column {column}"
    match = DECLARATION_RE.search(data[:1024])
    if match:
        name = match.group(1).decode("ascii")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            codec = ""
        if codec and codec != "utf-8":
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                pass
            else:
                return (
                    _newlines(text),
                    codec,
                    f"This file is not UTF-8 (first at {where}); it was read as "
                    f"{encoding_label(codec)}, the encoding it declares.",
                )
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding.replace("_", "-") in ("utf-8", "ascii"):
        raise NotesError(
            gettext(
                "byte 0x%(byte)s is not UTF-8 and the file's encoding could not be recognised. "
                "Save it as UTF-8, or choose its encoding.",
                byte=f"{bad:02X}",
            ),
            filename=filename,
            line=line,
            column=column,
        )
    codec = codecs.lookup(best.encoding).name
    return (
        _newlines(str(best)),
        codec,
        f"This file is not UTF-8 (first at {where}); it was read as {encoding_label(codec)} "
        "(detected). Check accents and special characters below; if they look wrong, upload it "
        "again and choose its encoding.",
    )


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _check_control_characters(filename: str, text: str) -> None:
    match = CONTROL_RE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        raise NotesError(
            gettext(
                "control character U+%(code)s found: this does not look like a text file. Save "
                "the notes as plain text (UTF-8), Word (.docx) or CSV.",
                code=f"{ord(match.group()):04X}",
            ),
            filename=filename,
            line=line,
            column=column,
        )


# --- blocks: runs of source text that become one or more candidates ------------------------------


@dataclass
class _Block:
    kind: str  # "item" (bullet / numbered), "paragraph", "heading", "label", "row"
    pieces: list[tuple[int, int, str]]  # (line/paragraph/row number, offset in raw_text, text)
    start: int  # passage span in raw_text (marker included)
    end: int
    unit: str = "line"
    extra: dict[str, Any] = field(default_factory=dict)


BULLET_RE = re.compile(r"^[ \t]*(?:[-*+•·–—▪‣◦]|\[[ xX]\])[ \t]+")
NUMBERED_RE = re.compile(r"^[ \t]*(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}\))[ \t]+")
HEADING_RE = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+")
COMMENT_RE = re.compile(r"^[ \t]*<!--.*-->[ \t]*$")
QUOTE_RE = re.compile(r"^[ \t]*>[ \t]?")
RULE_RE = re.compile(r"^[ \t]*([-=*_])(?:[ \t]*\1){2,}[ \t]*$")
TABLE_SEPARATOR_RE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$"
)
LABEL_RE = re.compile(r"^[\w’'()/ -]{1,30}\s?:\s*\S")


def _text_blocks(raw: str, *, markdown: bool) -> list[_Block]:
    """Blocks of a .txt or .md file; numbers are 1-based line numbers."""
    lines = raw.split("\n")
    starts = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    blocks: list[_Block] = []
    current: _Block | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            blocks.append(current)
        current = None

    for index, line in enumerate(lines):
        number, begin = index + 1, starts[index]
        end = begin + len(line)
        if not line.strip():
            close()
            continue
        if markdown and COMMENT_RE.match(line):
            close()
            continue
        if RULE_RE.match(line):
            # A Markdown setext underline turns the one-line paragraph above into a heading.
            if (
                current is not None
                and current.kind == "paragraph"
                and len(current.pieces) == 1
                and line.strip()[0] in "=-"
            ):
                current.kind = "heading"
            close()
            continue
        heading = HEADING_RE.match(line) if markdown else None
        if heading:
            close()
            body = line[heading.end() :].rstrip().rstrip("#").rstrip()
            blocks.append(_Block("heading", [(number, begin + heading.end(), body)], begin, end))
            continue
        if line.lstrip().startswith("|"):
            close()
            if TABLE_SEPARATOR_RE.match(line):
                if blocks and blocks[-1].kind == "row":
                    blocks[-1].kind = "heading"  # the row above the separator is the table header
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            body = " — ".join(c for c in cells if c)
            if body:
                blocks.append(_Block("row", [(number, begin, body)], begin, end))
            continue
        bullet = BULLET_RE.match(line)
        marker = bullet or NUMBERED_RE.match(line)
        if marker:
            close()
            piece = (number, begin + marker.end(), line[marker.end() :])
            current = _Block("item", [piece], begin, end)
            current.extra.update(marker="bullet" if bullet else "number", lines=[(begin, end)])
            continue
        quote = QUOTE_RE.match(line)
        skip = quote.end() if quote else len(line) - len(line.lstrip())
        piece = (number, begin + skip, line[skip:])
        if current is not None:
            current.pieces.append(piece)  # continuation of an item or a paragraph
            current.extra["lines"].append((begin, end))
            current.end = end
            continue
        current = _Block("paragraph", [piece], begin, end, extra={"lines": [(begin, end)]})
    close()
    return _outline(_one_point_per_line(blocks))


def _ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’»)]*_ ").endswith((".", "!", "?", "…"))


def _short_title(text: str) -> bool:
    text = " ".join(text.split())
    return len(text.split()) <= 6 and len(text) <= 60 and not _ends_sentence(text)


def _one_point_per_line(blocks: list[_Block]) -> list[_Block]:
    """Split paragraphs written one sentence per line, or made of short title-like lines.

    Hard-wrapped prose (lines ending mid-sentence) stays one paragraph.
    """
    out: list[_Block] = []
    for block in blocks:
        if block.kind != "paragraph" or len(block.pieces) < 2:
            out.append(block)
            continue
        first = block.pieces[0][2].strip()
        if _short_title(first) and len(first) < 0.6 * len(block.pieces[1][2].strip()):
            # A title line right above its paragraph ("Disagreement" / "Some participants …").
            (begin, end), *rest = block.extra["lines"]
            out.append(
                _Block("paragraph", [block.pieces[0]], begin, end, extra={"lines": [(begin, end)]})
            )
            block = _Block(
                "paragraph", block.pieces[1:], rest[0][0], block.end, extra={"lines": rest}
            )
            if len(block.pieces) < 2:
                out.append(block)
                continue
        ends = [_ends_sentence(body) for _, _, body in block.pieces]
        titles = not any(ends) and all(len(body.strip()) <= 80 for _, _, body in block.pieces)
        if not (all(ends) or titles):
            out.append(block)
            continue
        for piece, (begin, end) in zip(block.pieces, block.extra["lines"], strict=True):
            out.append(_Block("paragraph", [piece], begin, end, extra={"lines": [(begin, end)]}))
    return out


def _outline(blocks: list[_Block]) -> list[_Block]:
    """A short numbered line directly followed by bullets is the heading of those bullets."""
    for block, following in zip(blocks, blocks[1:], strict=False):
        if (
            block.kind == "item"
            and block.extra.get("marker") == "number"
            and len(block.pieces) == 1
            and _short_title(block.pieces[0][2])
            and following.kind == "item"
            and following.extra.get("marker") == "bullet"
        ):
            block.kind = "heading"
    return blocks


def _docx_blocks(filename: str, data: bytes) -> tuple[str, list[_Block]]:
    """The text of a .docx (one paragraph per line, blank lines between) and its blocks."""
    from docx import Document
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise NotesError(
            gettext(
                "this is not a Word .docx document (an older .doc? Save it as .docx, or as text)."
            ),
            filename=filename,
        )
    try:
        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, …
        raise NotesError(
            gettext(
                "the Word document cannot be read (%(error)s). Open it in Word or LibreOffice and "
                "save it again as .docx.",
                error=type(exc).__name__,
            ),
            filename=filename,
        ) from None
    out: list[str] = []
    blocks: list[_Block] = []
    length = 0
    paragraph_no = 0
    table_no = 0
    counter = 0  # position in a run of numbered paragraphs

    def emit(prefix: str, body: str) -> tuple[int, int, int]:
        nonlocal length
        if out:
            out.append("\n\n")
            length += 2
        begin = length
        out.append(prefix + body)
        length += len(prefix) + len(body)
        return begin, begin + len(prefix), length

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            table_no += 1
            for row_no, row in enumerate(item.rows, start=1):
                cells: list[str] = []
                for cell in row.cells:
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):  # merged cells repeat
                        cells.append(text)
                if not cells:
                    continue
                begin, body_at, end = emit("", " — ".join(cells))
                kind = "heading" if row_no == 1 and len(item.rows) > 1 else "row"
                block = _Block(kind, [(row_no, body_at, " — ".join(cells))], begin, end, unit="row")
                block.extra["table"] = table_no
                blocks.append(block)
            continue
        text = item.text.replace("\t", " ").replace("\v", "\n").strip()
        if not text:
            continue
        paragraph_no += 1
        style = (item.style.name if item.style is not None else "") or ""
        if "Number" not in style:
            counter = 0
        numbered = item._p.pPr is not None and item._p.pPr.numPr is not None
        if style.startswith(("Heading", "Title", "Subtitle")):
            begin, body_at, end = emit("", text)
            kind = "heading"
        elif style.startswith("List") or numbered:
            counter = counter + 1 if "Number" in style else 0
            begin, body_at, end = emit(f"{counter}. " if counter else "- ", text)
            kind = "item"
        else:
            begin, body_at, end = emit("", text)
            kind = "paragraph"
        blocks.append(
            _Block(kind, [(paragraph_no, body_at, " ".join(text.split()))], begin, end, "paragraph")
        )
    raw = "".join(out)
    if not raw.strip():
        raise NotesError(gettext("the Word document has no text in it."), filename=filename)
    # The docx pieces were joined with single spaces: keep raw offsets exact by re-reading them.
    for block in blocks:
        number, at, _ = block.pieces[0]
        block.pieces = [(number, at, raw[at : block.end])]
    return raw, blocks


def _csv_blocks(filename: str, raw: str) -> tuple[list[_Block], list[str]]:
    """One block per CSV row with text; numbers are the row's line in the file (header = 1)."""
    lines = raw.split("\n")
    header_line = lines[0] if lines else ""
    delimiter = max(",;\t", key=header_line.count) if any(d in header_line for d in ",;\t") else ","
    starts = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise NotesError(
            gettext("the header row cannot be read (%(error)s).", error=str(exc)),
            filename=filename,
            line=1,
        ) from None
    names = [_column_name(h) for h in header]
    if "text" not in names:
        found = ", ".join(repr(h.strip()) for h in header if h.strip()) or gettext("none")
        raise NotesError(
            gettext(
                "the CSV has no 'text' column (the columns found are %(found)s). Name the column "
                "that holds the points 'text' (speaker_group, votes_for and votes_against are "
                "optional).",
                found=found,
            ),
            filename=filename,
            line=1,
        )
    index = {name: names.index(name) for name in CSV_COLUMNS if name in names}
    blocks: list[_Block] = []
    skipped: list[str] = []
    empty_rows = 0
    ignored = [h.strip() for h, n in zip(header, names, strict=True) if n not in CSV_COLUMNS]
    previous_end = reader.line_num
    while True:
        row_line = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise NotesError(
                gettext(
                    'this row cannot be read as CSV (%(error)s); check the quotes (") in it.',
                    error=str(exc),
                ),
                filename=filename,
                line=row_line,
            ) from None
        row_end = reader.line_num
        previous_end = row_end
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise NotesError(
                gettext(
                    "this row has %(values)d values but the header has %(columns)d columns. Put "
                    'text that contains the separator (%(separator)s) in double quotes (").',
                    values=len(row),
                    columns=len(header),
                    separator=_separator_name(delimiter),
                ),
                filename=filename,
                line=row_line,
            )
        cells = row + [""] * (len(header) - len(row))
        text = cells[index["text"]]
        if not text.strip():
            empty_rows += 1
            continue
        extra: dict[str, Any] = {}
        for column in ("votes_for", "votes_against"):
            if column in index:
                extra[column] = _count(cells[index[column]], filename, row_line, column)
        if "speaker_group" in index:
            extra["speaker_group"] = " ".join(cells[index["speaker_group"]].split())[:120] or None
        begin = starts[row_line - 1]
        end = starts[row_end - 1] + len(lines[row_end - 1])
        at = raw.find(text, begin, end)
        piece_at = at if at >= 0 else begin
        block = _Block("row", [(row_line, piece_at, text)], begin, end, unit="row", extra=extra)
        block.extra["quoted"] = at < 0
        blocks.append(block)
    if empty_rows:
        skipped.append(f"{empty_rows} row{'s' if empty_rows != 1 else ''} with an empty text")
    if ignored:
        skipped.append("columns not used: " + ", ".join(ignored))
    if not blocks:
        raise NotesError(
            gettext("the CSV has no rows with text under the 'text' column."), filename=filename
        )
    return blocks, skipped


def _column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").strip().lower())


def _separator_name(delimiter: str) -> str:
    return {",": gettext("comma"), ";": gettext("semicolon"), "\t": gettext("tab")}[delimiter]


def _count(value: str, filename: str, line: int, column: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise NotesError(
            gettext(
                "%(value)s is not a whole number of people (leave it empty when not counted).",
                value=repr(value),
            ),
            filename=filename,
            line=line,
            column=column,
        )
    number = int(value)
    if number > 1_000_000:
        raise NotesError(
            gettext("%(number)d is more people than a count can hold.", number=number),
            filename=filename,
            line=line,
            column=column,
        )
    return number


# --- candidates ----------------------------------------------------------------------------------


def _candidates(blocks: list[_Block], raw: str, unit: str | None = None) -> list[Candidate]:
    out: list[Candidate] = []
    section: str | None = None
    outside_table: str | None = None  # the section to come back to after a table
    for block in blocks:
        in_table = "table" in block.extra
        if not in_table and outside_table is not None:
            section, outside_table = outside_table or None, None
        if block.kind == "heading":
            if in_table and outside_table is None:
                outside_table = section or ""
            section = clean_text(" ".join(p[2] for p in block.pieces)).rstrip(":").strip()[:200]
            continue
        text, offsets = _joined(block.pieces)
        if not text:
            continue
        first_number = block.pieces[0][0]
        if block.kind in ("paragraph", "item") and text.endswith(":") and len(text) <= 80:
            section = clean_text(text).rstrip(":").strip()[:200]  # "Points raised by youth:"
            continue
        quoted = block.extra.get("quoted", False)
        spans = [(0, len(text))] if block.kind == "row" else _sentence_spans(text)
        for n, (a, b) in enumerate(spans, start=1):
            piece_text = clean_text(text[a:b])
            if not piece_text:
                continue
            if len(spans) == 1 or quoted:
                start, end = block.start, block.end
            else:
                start, end = offsets[a], offsets[b - 1] + 1
            numbers = sorted({_number_at(block, offsets[i]) for i in (a, b - 1)})
            candidate = Candidate(
                key=f"c{len(out) + 1}",
                text=piece_text,
                location=_location(block, numbers, n if len(spans) > 1 else None, unit),
                number=numbers[0] if numbers else first_number,
                passage=raw[start:end],
                start=start,
                end=end,
                section=section,
                speaker_group=block.extra.get("speaker_group"),
                votes_for=block.extra.get("votes_for"),
                votes_against=block.extra.get("votes_against"),
            )
            _set_aside(candidate, block, len(spans))
            out.append(candidate)
        if block.kind == "paragraph" and out and out[-1].note == HEADING_NOTE:
            section = out[-1].text[:200]
    return out


HEADING_NOTE = "Looks like a heading: restore it if it is a point."
LABEL_NOTE = "Looks like a label (such as a date, place or name): restore it if it is a point."


def _set_aside(candidate: Candidate, block: _Block, n_spans: int) -> None:
    text = candidate.text
    if len(text) < TEXT_MIN:
        candidate.dropped = True
        candidate.note = f"Too short to be a statement ({len(text)} characters)."
    elif block.kind == "paragraph" and n_spans == 1 and len(block.pieces) == 1:
        words = text.split()
        if LABEL_RE.match(text) and len(text) <= 80 and not text.endswith((".", "!", "?")):
            candidate.dropped = True
            candidate.note = LABEL_NOTE
        elif len(words) <= 6 and len(text) <= 60 and not _ends_sentence(text.rstrip(";")):
            candidate.dropped = True
            candidate.note = HEADING_NOTE
    if not candidate.dropped and len(text) > TEXT_MAX:
        candidate.note = (
            f"Too long for a statement ({len(text)} characters; at most {TEXT_MAX}): "
            "edit or shorten it."
        )


def _joined(pieces: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """Pieces joined with single spaces (whitespace collapsed), and each character's raw offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for _, at, body in pieces:
        if chars and chars[-1] != " ":
            chars.append(" ")
            offsets.append(offsets[-1])
        for i, char in enumerate(body):
            if char.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    offsets.append(at + i)
                continue
            chars.append(char)
            offsets.append(at + i)
    while chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def _number_at(block: _Block, offset: int) -> int:
    starts = [at for _, at, _ in block.pieces]
    index = max(bisect_right(starts, offset) - 1, 0)
    return block.pieces[index][0]


def _location(block: _Block, numbers: list[int], sentence: int | None, unit: str | None) -> str:
    unit = unit or block.unit
    if block.unit == "row":
        where = f"row {numbers[0]}"
        if "table" in block.extra:
            where = f"table {block.extra['table']}, row {numbers[0]}"
        return where
    if unit == "paragraph":
        where = f"paragraph {numbers[0]}"
        return f"{where}, sentence {sentence}" if sentence else where
    if len(numbers) > 1:
        return f"lines {numbers[0]}–{numbers[-1]}"
    return f"line {numbers[0]}"


ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "etc", "e.g", "i.e", "cf", "eg", "ie",
    "m", "mme", "mlle", "me", "p", "ex", "art", "al", "approx", "min", "dept", "gov", "inc",
}  # fmt: skip
SENTENCE_BREAK_RE = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+")
SENTENCE_START_RE = re.compile(r"[\"'“‘«(\[]?\s*[A-ZÀ-ÖØ-Þ0-9]")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """The whole block when it fits in a statement, else its sentences (short ones join up)."""
    if len(text) <= TEXT_MAX:
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in SENTENCE_BREAK_RE.finditer(text):
        end = match.end()
        if not SENTENCE_START_RE.match(text, end):
            continue
        before = text[begin : match.start()].split()
        word = before[-1].lower().rstrip(".") if before else ""
        if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        stop = len(text[:end].rstrip())
        spans.append((begin, stop))
        begin = end
    spans.append((begin, len(text)))
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and b - a < TEXT_MIN:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    if len(merged) > 1 and merged[0][1] - merged[0][0] < TEXT_MIN:
        merged[1] = (merged[0][0], merged[1][1])
        merged.pop(0)
    return merged


MARKDOWN_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
EMPHASIS_RE = re.compile(r"(\*\*|__|`)")
ITALIC_RE = re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")


def clean_text(text: str) -> str:
    """Candidate text without Markdown emphasis or link targets, whitespace collapsed."""
    text = MARKDOWN_LINK_RE.sub(r"\1", text)
    text = EMPHASIS_RE.sub("", text)
    text = ITALIC_RE.sub(r"\1", text)
    return " ".join(text.split())


def normalized(text: str) -> str:
    """The form two statements share when they say exactly the same thing (idempotence key)."""
    words = re.sub(r"[^\w\s]", " ", clean_text(text).casefold()).split()
    return " ".join(words)


def candidate_key(text: str) -> str:
    """Per-candidate key stored as ``Statement.external_id`` of imported statements."""
    return "note:" + hashlib.sha256(normalized(text).encode()).hexdigest()[:40]
