"""Reading Pol.is export directories: real exports, and bad files named by file, row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clustering.polis_export import PolisExportError, read_export

COMMENTS = (
    "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
    '1,x,0,1,1,0,1,"First, with a comma"\n'
    "2,x,1,2,0,1,-1,Rejected\n"
    "3,x,2,1,0,0,1,Third\n"
)
VOTES = (
    "timestamp,datetime,comment-id,voter-id,vote\n"
    "10,x,0,1,1\n"
    "11,x,1,1,-1\n"
    "12,x,0,2,-1\n"
    "9,x,0,1,-1\n"  # older than the first row: superseded
)
PVOTES = (
    "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n"
    "1,0,0,2,1,1,1,-1,\n"
    "2,,0,1,0,1,-1,,\n"
)


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name.replace('_', '-')}.csv").write_text(text, encoding="utf-8")
    return folder


def test_reads_votes_csv_latest_vote_wins_and_polis_groups(tmp_path):
    export = read_export(write(tmp_path, comments=COMMENTS, votes=VOTES, participants_votes=PVOTES))
    assert export.votes_source == "votes.csv"
    assert [s.id for s in export.statements] == [0, 1, 2]
    assert export.statements[0].text == "First, with a comma"
    assert export.moderated_out == {1}
    votes = export.vote_matrix()
    assert votes.n_votes == 3
    assert votes.values[votes.indptr[0]] == 1  # participant 1's latest vote on comment 0
    assert export.polis_groups == {1: 0, 2: None}
    assert export.group_labels(np.array([2, 1, 5])).tolist() == [-1, 0, -1]


def test_participants_votes_matrix_is_used_without_votes_csv(tmp_path):
    export = read_export(write(tmp_path, comments=COMMENTS, participants_votes=PVOTES))
    assert export.votes_source == "participants-votes.csv"
    assert export.timestamps is None
    assert sorted(
        zip(
            export.participant_ids.tolist(),
            export.statement_ids.tolist(),
            export.values.tolist(),
            strict=True,
        )
    ) == [(1, 0, 1), (1, 1, -1), (2, 0, -1)]


def test_real_exports_match_their_documented_vote_counts(polis_datasets):
    vtaiwan = read_export(polis_datasets / "vtaiwan.uberx")
    assert len(vtaiwan.values) == 49_997 and vtaiwan.vote_matrix().n_votes == 49_443
    bowling = read_export(polis_datasets / "american-assembly.bowling-green")
    assert bowling.votes_source == "participants-votes.csv"
    assert bowling.vote_matrix().n_votes == 225_524
    assert sum(g is not None for g in bowling.polis_groups.values()) == 1_581


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"votes": VOTES}, r"comments\.csv: file not found"),
        ({"comments": COMMENTS}, "neither votes.csv nor participants-votes.csv"),
        (
            {"comments": "comment-id,comment-body\n0,x\n", "votes": VOTES},
            r"comments\.csv: row 0 \(line 1\): header lacks column\(s\) 'moderated'",
        ),
        (
            {
                "comments": COMMENTS.replace("3,x,2,1,0,0,1,Third", "3,x,2,1,0,0,maybe,Third"),
                "votes": VOTES,
            },
            r'comments\.csv: row 3 \(line 4\), column "moderated": expected an integer',
        ),
        (
            {
                "comments": COMMENTS.replace("3,x,2,1,0,0,1,Third", "3,x,0,1,0,0,1,Again"),
                "votes": VOTES,
            },
            r'comments\.csv: row 3 \(line 4\), column "comment-id": duplicate comment id 0',
        ),
        (
            {"comments": COMMENTS, "votes": VOTES.replace("12,x,0,2,-1", "12,x,0,2,2")},
            r'votes\.csv: row 3 \(line 4\), column "vote": expected 1, 0 or -1, got \'2\'',
        ),
        (
            {"comments": COMMENTS, "votes": VOTES.replace("12,x,0,2,-1", "12,x,7,2,-1")},
            r'votes\.csv: row 3 \(line 4\), column "comment-id": comment 7 is not in comments\.csv',
        ),
        (
            {"comments": COMMENTS, "votes": VOTES.replace("12,x,0,2,-1", "12,x,0,abc,-1")},
            r'votes\.csv: row 3 \(line 4\), column "voter-id": expected an integer, got \'abc\'',
        ),
        (
            {"comments": COMMENTS, "votes": VOTES.replace("12,x,0,2,-1", "12,x,0")},
            r'votes\.csv: row 3 \(line 4\), column "voter-id": value missing',
        ),
        (
            {
                "comments": COMMENTS,
                "participants_votes": PVOTES.replace("2,,0,1,0,1,-1,,", "2,,0,1,0,1,x,,"),
            },
            r'participants-votes\.csv: row 2 \(line 3\), column "0": expected 1, 0 or -1',
        ),
        (
            {"comments": COMMENTS, "participants_votes": PVOTES.replace(",0,1,2\n", ",0,1,9\n")},
            r'participants-votes\.csv: row 0 \(line 1\), column "9": comment 9 is not in',
        ),
        (
            {"comments": COMMENTS, "participants_votes": PVOTES + "1,1,0,0,0,0,,,\n"},
            r'participants-votes\.csv: row 3 \(line 4\), column "participant": participant 1 '
            "appears twice",
        ),
    ],
)
def test_bad_files_name_file_row_and_column(tmp_path, files, message):
    with pytest.raises(PolisExportError, match=message):
        read_export(write(tmp_path, **files))


def test_undecodable_and_empty_files(tmp_path):
    folder = write(tmp_path, votes=VOTES)
    (folder / "comments.csv").write_bytes(b"comment-id,moderated\n0,\xff\xfe\n")
    with pytest.raises(PolisExportError, match=r"comments\.csv: not UTF-8"):
        read_export(folder)
    (folder / "comments.csv").write_text("")
    with pytest.raises(PolisExportError, match=r"comments\.csv: file is empty"):
        read_export(folder)
    with pytest.raises(PolisExportError, match="not a directory"):
        read_export(tmp_path / "missing")
