"""``python -m clustering polis``: works on the five real exports, fails cleanly on bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clustering.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = [
    "american-assembly.bowling-green",
    "austria-climate.5twd2jsnkf.2022-08-08",
    "london.youth.policing",
    "scoop-hivemind.ubi",
    "vtaiwan.uberx",
]


@pytest.mark.parametrize("name", EXPORTS)
def test_real_export_gives_the_documented_json(polis_datasets, tmp_path, name, capsys):
    out = tmp_path / "result.json"
    assert main(["polis", str(polis_datasets / name), "--out", str(out)]) == 0
    assert "groups of" in capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    export_ids = {
        int(line.split(",", 1)[0])
        for line in (polis_datasets / name / "participants-votes.csv").read_text().splitlines()[1:]
    }
    assert {p["id"] for p in data["participants"]} <= export_ids
    clustered = [p for p in data["participants"] if p["group"] is not None]
    assert clustered and all(isinstance(p["x"], float) for p in data["participants"])
    group_ids = {g["id"] for g in data["groups"]}
    assert 2 <= len(group_ids) <= 5 and {p["group"] for p in clustered} == group_ids
    for g in data["groups"]:
        assert g["size"] == sum(p["group"] == g["id"] for p in clustered)
        for r in g["representative"]:
            assert r["direction"] in ("agree", "disagree") and 0 <= r["agree_share"] <= 1
    s = data["statements"][0]
    assert {"id", "group_informed_consensus", "extremity", "priority"} <= set(s)
    assert set(data["consensus"]) == {"agree", "disagree"}
    assert isinstance(data["divisive"], list)
    assert data["timings"]["total"] > 0 and "pca" in data["timings"]
    expected_source = "participants-votes.csv" if "bowling" in name else "votes.csv"
    assert data["source"]["votes_source"] == expected_source


def test_bad_export_names_the_file_row_and_column_and_writes_nothing(tmp_path, capsys):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "comments.csv").write_text(
        "comment-id,moderated,comment-body\n0,1,hello\n1,1,world\n", encoding="utf-8"
    )
    (folder / "votes.csv").write_text(
        "timestamp,comment-id,voter-id,vote\n1,0,5,1\n2,1,5,agree\n", encoding="utf-8"
    )
    out = tmp_path / "result.json"
    assert main(["polis", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert 'votes.csv: row 2 (line 3), column "vote": expected 1, 0 or -1' in err
    assert not out.exists() and not list(tmp_path.glob(".result.json*"))


def test_missing_directory_and_empty_export(tmp_path, capsys):
    assert main(["polis", str(tmp_path / "nope"), "--out", str(tmp_path / "r.json")]) == 2
    assert "not a directory" in capsys.readouterr().err
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "comments.csv").write_text("comment-id,moderated\n0,1\n", encoding="utf-8")
    (folder / "votes.csv").write_text("comment-id,voter-id,vote\n", encoding="utf-8")
    assert main(["polis", str(folder), "--out", str(tmp_path / "r.json")]) == 2
    assert "no votes" in capsys.readouterr().err


def test_module_entry_point_runs(polis_datasets, tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "clustering",
            "polis",
            str(polis_datasets / "london.youth.policing"),
            "--out",
            str(out),
            "--method",
            "polis",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["params"]["method"] == "polis"
