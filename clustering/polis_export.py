"""Reader for Pol.is export directories (comments.csv + votes.csv, or participants-votes.csv).

``read_export(path)`` returns a :class:`PolisExport` holding the statements, one row per vote
(participant id, statement id, value, timestamp) and, when ``participants-votes.csv`` is present,
the groups Pol.is assigned. Votes come from ``votes.csv`` (which keeps superseded votes: the latest
per participant and statement wins when the matrix is built); when ``votes.csv`` is absent the
latest-vote matrix of ``participants-votes.csv`` is used instead (no timestamps).

Formats (export sign: agree = +1, disagree = −1, pass = 0):

* ``comments.csv``: ``timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,
  comment-body`` (``moderated`` is −1 rejected / 0 unmoderated / 1 accepted; newer exports add
  ``is-meta``, ``is-seed`` and may drop ``datetime``). Required: ``comment-id``, ``moderated``.
* ``votes.csv``: ``timestamp,datetime,comment-id,voter-id,vote``. Required: ``comment-id``,
  ``voter-id``, ``vote``.
* ``participants-votes.csv``: ``participant,[xid,]group-id,n-comments,n-votes,n-agree,n-disagree``
  then one column per comment id holding 1 / −1 / 0 or blank (not voted). Blank ``group-id`` means
  not clustered.

Every problem raises :class:`PolisExportError` naming the file, the row (data row, 1-based, and
the line in the file) and the column, e.g.
``votes.csv: row 3 (line 4), column "vote": expected 1, 0 or -1, got '2'``. Nothing is returned
half-read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from clustering.votes import VoteMatrix

__all__ = ["PolisExportError", "PolisStatement", "PolisExport", "read_export"]

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n", ""}
_PV_FIXED = {"participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"}


class PolisExportError(ValueError):
    """A Pol.is export file is missing or malformed; the message names file, row and column."""


@dataclass(frozen=True)
class PolisStatement:
    """One row of comments.csv."""

    id: int
    text: str
    author_id: int | None
    moderated: int
    is_meta: bool = False
    is_seed: bool = False
    timestamp: int | None = None


@dataclass(frozen=True, eq=False)
class PolisExport:
    """The contents of a Pol.is export directory.

    Attributes
    ----------
    directory : Path
    statements : tuple of PolisStatement, in file order
    participant_ids, statement_ids, values : ndarray, one entry per vote row
    timestamps : ndarray of float or None
        Vote timestamps (ms) from votes.csv; None when votes came from participants-votes.csv.
    votes_source : str
        ``"votes.csv"`` or ``"participants-votes.csv"``.
    polis_groups : dict or None
        Participant id → Pol.is group id (None = not clustered), from participants-votes.csv.
    xids : dict
        Participant id → xid, when participants-votes.csv has an ``xid`` column with values.
    summary : dict
        key → value rows of summary.csv (empty when absent).
    """

    directory: Path
    statements: tuple[PolisStatement, ...]
    participant_ids: NDArray[np.int64]
    statement_ids: NDArray[np.int64]
    values: NDArray[np.int8]
    timestamps: NDArray[np.float64] | None
    votes_source: str
    polis_groups: dict[int, int | None] | None = None
    xids: dict[int, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)

    @property
    def moderated_out(self) -> frozenset[int]:
        """Ids of rejected statements (moderated = −1)."""
        return frozenset(s.id for s in self.statements if s.moderated == -1)

    @property
    def meta(self) -> frozenset[int]:
        """Ids of meta statements."""
        return frozenset(s.id for s in self.statements if s.is_meta)

    def group_labels(self, participant_ids: NDArray) -> NDArray[np.int64]:
        """Pol.is' group of each given participant (-1 when not clustered or unknown)."""
        groups = self.polis_groups or {}
        out = np.full(len(participant_ids), -1, dtype=np.int64)
        for i, pid in enumerate(np.asarray(participant_ids).tolist()):
            g = groups.get(pid)
            if g is not None:
                out[i] = g
        return out

    def vote_matrix(self, *, strict_moderation: bool = False) -> VoteMatrix:
        """The latest-vote matrix; with ``strict_moderation`` unmoderated statements are out too."""
        out = set(self.moderated_out)
        if strict_moderation:
            out |= {s.id for s in self.statements if s.moderated == 0}
        return VoteMatrix.from_votes(
            self.participant_ids,
            self.statement_ids,
            self.values,
            order=self.timestamps,
            moderated_out=out,
            meta=self.meta,
            all_statement_ids=[s.id for s in self.statements],
        )


# ---------------------------------------------------------------------------- CSV helpers
def _where(name: str, row: int, line: int, column: str | None = None) -> str:
    col = f', column "{column}"' if column is not None else ""
    return f"{name}: row {row} (line {line}){col}"


def _records(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    """(data row number, line number, cells) for each non-empty record after the header."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        row = 0
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise PolisExportError(f"{path.name}: line {start}: bad CSV ({exc})") from None
            if start == 1:
                yield 0, 1, cells
                continue
            if not cells or all(not c.strip() for c in cells):
                continue
            row += 1
            yield row, start, cells


def _open_table(path: Path, required: tuple[str, ...]) -> tuple[list[str], Iterator]:
    if not path.is_file():
        raise PolisExportError(f"{path.name}: file not found in {path.parent}")
    try:
        records = _records(path)
        first = next(records, None)
    except UnicodeDecodeError as exc:
        raise PolisExportError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    if first is None:
        raise PolisExportError(f"{path.name}: file is empty (expected a header row)")
    header = [h.strip() for h in first[2]]
    missing = [c for c in required if c not in header]
    if missing:
        raise PolisExportError(
            f"{path.name}: row 0 (line 1): header lacks column(s) {', '.join(map(repr, missing))}"
        )
    return header, records


def _int(value: str, where: str) -> int:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        try:
            f = float(text)
        except ValueError:
            f = float("nan")
        if f == f and f == int(f):
            return int(f)
        raise PolisExportError(f"{where}: expected an integer, got {value!r}") from None


def _vote(value: str, where: str) -> int:
    try:
        v = _int(value, where) if value.strip() else None
    except PolisExportError:
        v = None
    if v not in (-1, 0, 1):
        raise PolisExportError(f"{where}: expected 1, 0 or -1, got {value!r}")
    return v


def _bool(value: str, where: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise PolisExportError(f"{where}: expected true or false, got {value!r}")


def _cell(cells: list[str], idx: int, name: str, row: int, line: int, column: str) -> str:
    if idx >= len(cells):
        raise PolisExportError(f"{_where(name, row, line, column)}: value missing (short row)")
    return cells[idx]


# ---------------------------------------------------------------------------- readers
def _read_comments(path: Path) -> tuple[PolisStatement, ...]:
    header, records = _open_table(path, ("comment-id", "moderated"))
    col = {h: i for i, h in enumerate(header)}
    out: list[PolisStatement] = []
    seen: dict[int, int] = {}
    for row, line, cells in records:

        def get(name: str, cells: list[str] = cells, row: int = row, line: int = line) -> str:
            return _cell(cells, col[name], path.name, row, line, name)

        sid = _int(get("comment-id"), _where(path.name, row, line, "comment-id"))
        if sid in seen:
            raise PolisExportError(
                f"{_where(path.name, row, line, 'comment-id')}: duplicate comment id {sid} "
                f"(first on row {seen[sid]})"
            )
        seen[sid] = row
        moderated = _int(get("moderated"), _where(path.name, row, line, "moderated"))
        if moderated not in (-1, 0, 1):
            raise PolisExportError(
                f"{_where(path.name, row, line, 'moderated')}: expected -1, 0 or 1, "
                f"got {get('moderated')!r}"
            )
        author = None
        if "author-id" in col and get("author-id").strip():
            author = _int(get("author-id"), _where(path.name, row, line, "author-id"))
        timestamp = None
        if "timestamp" in col and get("timestamp").strip():
            timestamp = _int(get("timestamp"), _where(path.name, row, line, "timestamp"))
        flags = {}
        for name in ("is-meta", "is-seed"):
            flags[name] = (
                _bool(get(name), _where(path.name, row, line, name)) if name in col else False
            )
        text = get("comment-body") if "comment-body" in col else ""
        out.append(
            PolisStatement(
                id=sid,
                text=text,
                author_id=author,
                moderated=moderated,
                is_meta=flags["is-meta"],
                is_seed=flags["is-seed"],
                timestamp=timestamp,
            )
        )
    return tuple(out)


def _read_votes(path: Path, known: set[int]) -> tuple[NDArray, NDArray, NDArray, NDArray | None]:
    header, records = _open_table(path, ("comment-id", "voter-id", "vote"))
    col = {h: i for i, h in enumerate(header)}
    has_ts = "timestamp" in col
    pids: list[int] = []
    tids: list[int] = []
    vals: list[int] = []
    stamps: list[float] = []
    for row, line, cells in records:
        w = path.name
        tid = _int(
            _cell(cells, col["comment-id"], w, row, line, "comment-id"),
            _where(w, row, line, "comment-id"),
        )
        if tid not in known:
            raise PolisExportError(
                f"{_where(w, row, line, 'comment-id')}: comment {tid} is not in comments.csv"
            )
        pid = _int(
            _cell(cells, col["voter-id"], w, row, line, "voter-id"),
            _where(w, row, line, "voter-id"),
        )
        val = _vote(_cell(cells, col["vote"], w, row, line, "vote"), _where(w, row, line, "vote"))
        if has_ts:
            raw = _cell(cells, col["timestamp"], w, row, line, "timestamp")
            stamps.append(float(_int(raw, _where(w, row, line, "timestamp"))))
        pids.append(pid)
        tids.append(tid)
        vals.append(val)
    return (
        np.asarray(pids, dtype=np.int64),
        np.asarray(tids, dtype=np.int64),
        np.asarray(vals, dtype=np.int8),
        np.asarray(stamps, dtype=np.float64) if has_ts else None,
    )


def _read_participants_votes(
    path: Path, known: set[int], want_votes: bool
) -> tuple[dict[int, int | None], dict[int, str], tuple[NDArray, NDArray, NDArray] | None]:
    header, records = _open_table(path, ("participant", "group-id"))
    col = {h: i for i, h in enumerate(header)}
    vote_cols: list[tuple[int, int]] = []
    for i, name in enumerate(header):
        if name in _PV_FIXED:
            continue
        sid = _int(name, f"{path.name}: row 0 (line 1), column {i + 1} header")
        if sid not in known:
            raise PolisExportError(
                f'{path.name}: row 0 (line 1), column "{name}": comment {sid} is not in '
                "comments.csv"
            )
        vote_cols.append((i, sid))
    groups: dict[int, int | None] = {}
    xids: dict[int, str] = {}
    pids: list[int] = []
    tids: list[int] = []
    vals: list[int] = []
    w = path.name
    for row, line, cells in records:
        pid = _int(
            _cell(cells, col["participant"], w, row, line, "participant"),
            _where(w, row, line, "participant"),
        )
        if pid in groups:
            raise PolisExportError(
                f"{_where(w, row, line, 'participant')}: participant {pid} appears twice"
            )
        gid_text = _cell(cells, col["group-id"], w, row, line, "group-id").strip()
        groups[pid] = _int(gid_text, _where(w, row, line, "group-id")) if gid_text else None
        if "xid" in col and col["xid"] < len(cells) and cells[col["xid"]].strip():
            xids[pid] = cells[col["xid"]].strip()
        if not want_votes:
            continue
        for i, sid in vote_cols:
            text = cells[i] if i < len(cells) else ""
            if not text.strip():
                continue
            try:
                val = int(text)
            except ValueError:
                val = _vote(text, _where(w, row, line, header[i]))
            if val not in (-1, 0, 1):
                _vote(text, _where(w, row, line, header[i]))
            pids.append(pid)
            tids.append(sid)
            vals.append(val)
    votes = None
    if want_votes:
        votes = (
            np.asarray(pids, dtype=np.int64),
            np.asarray(tids, dtype=np.int64),
            np.asarray(vals, dtype=np.int8),
        )
    return groups, xids, votes


def _read_summary(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for cells in csv.reader(fh):
            if len(cells) >= 2 and cells[0].strip():
                out[cells[0].strip()] = cells[1]
    return out


def read_export(directory: str | Path) -> PolisExport:
    """Read a Pol.is export directory.

    Parameters
    ----------
    directory : str or Path
        Folder holding ``comments.csv`` and ``votes.csv`` and/or ``participants-votes.csv``
        (``summary.csv`` is optional).

    Raises
    ------
    PolisExportError
        When the folder or a required file is missing, or a file is malformed; the message names
        the file, the row and the column.
    """
    path = Path(directory)
    if not path.is_dir():
        raise PolisExportError(f"{path}: not a directory")
    statements = _read_comments(path / "comments.csv")
    known = {s.id for s in statements}
    votes_path = path / "votes.csv"
    pv_path = path / "participants-votes.csv"
    if not votes_path.is_file() and not pv_path.is_file():
        raise PolisExportError(
            f"{path}: neither votes.csv nor participants-votes.csv found (one is needed for votes)"
        )
    groups = None
    xids: dict[int, str] = {}
    if votes_path.is_file():
        pids, tids, vals, stamps = _read_votes(votes_path, known)
        source = "votes.csv"
        if pv_path.is_file():
            groups, xids, _ = _read_participants_votes(pv_path, known, want_votes=False)
    else:
        groups, xids, pv_votes = _read_participants_votes(pv_path, known, want_votes=True)
        assert pv_votes is not None
        pids, tids, vals = pv_votes
        stamps = None
        source = "participants-votes.csv"
    return PolisExport(
        directory=path,
        statements=statements,
        participant_ids=pids,
        statement_ids=tids,
        values=vals,
        timestamps=stamps,
        votes_source=source,
        polis_groups=groups,
        xids=xids,
        summary=_read_summary(path / "summary.csv"),
    )
