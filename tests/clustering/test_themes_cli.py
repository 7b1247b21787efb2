"""``python -m clustering themes``: the JSON it writes, and clean failures on bad CSV files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from clustering.commands import themes as command

DATA = Path(__file__).resolve().parents[1] / "data"


def run(argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args([str(a) for a in argv]))


@pytest.mark.model
def test_writes_the_documented_json_with_every_statement_once(tmp_path, embedder, capsys):
    out = tmp_path / "themes.json"
    assert run([DATA / "themes_labelled.csv", "--out", out, "--random-state", "3"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"themes", "timings", "events", "model", "next_id"} <= set(data)
    assert data["model"] == embedder.name
    for theme in data["themes"]:
        assert {"id", "label", "keywords", "statement_ids"} <= set(theme)
    placed = [sid for theme in data["themes"] for sid in theme["statement_ids"]]
    assert sorted(placed) == list(range(1, 105))  # ids are numbers, each exactly once
    assert data["themes"][-1]["id"] == "other"
    assert {"embed", "cluster", "label", "total"} <= set(data["timings"])
    assert "104 statements" in capsys.readouterr().out

    again = tmp_path / "again.json"
    assert run([DATA / "themes_labelled.csv", "--out", again, "--previous", out]) == 0
    second = json.loads(again.read_text(encoding="utf-8"))
    assert [t["id"] for t in second["themes"]] == [t["id"] for t in data["themes"]]
    assert {e["kind"] for e in second["events"]} == {"continued"}


@pytest.mark.model
def test_string_ids_languages_and_constraints(tmp_path):
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(
        "text,id,language,extra\n"
        "Bus and train tickets are too expensive.,a1,en,x\n"
        "The buses in our town are always late.,a2,en,x\n"
        "We need more trains between the suburbs and the city.,a3,,x\n"
        "Hospital waiting lists are far too long.,b1,en,x\n"
        "We need more doctors in rural hospitals.,b2,en,x\n"
        "Hospital emergency rooms are overcrowded.,b3,en,x\n",
        encoding="utf-8",
    )
    constraints = tmp_path / "c.json"
    constraints.write_text(json.dumps({"moves": [["b1", "t9"]], "labels": {"t9": "Mine"}}))
    out = tmp_path / "t.json"
    assert run([csv_path, "--out", out, "--constraints", constraints]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    by_id = {t["id"]: t for t in data["themes"]}
    assert by_id["t9"]["statement_ids"] == ["b1"] and by_id["t9"]["label"] == "Mine"
    placed = sorted(s for t in data["themes"] for s in t["statement_ids"])
    assert placed == ["a1", "a2", "a3", "b1", "b2", "b3"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,body\n1,hello\n", "missing column 'text'"),
        (b"", "empty"),
        (b"id,text\n", "no statements"),
        (b"id,text\n1,ok\n2,caf\xe9 au lait\n", "line 3: not valid UTF-8"),
        (b"id,text\n1,ok\n2,   \n", "row 3: column 'text' is empty"),
        (b"id,text\n1,ok\n,no id\n", "row 3: column 'id' is empty"),
        (b"id,text\n1,ok\n1,again\n", "row 3: column 'id': id '1' repeats row 2"),
        (b"text,id\nonly text\n", "row 2: column 'id' is missing"),
        (b'id,text\n1,"open quote\n', "unreadable CSV"),
    ],
)
def test_bad_csv_fails_cleanly_and_writes_nothing(tmp_path, capsys, content, message):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_bytes(content)
    out = tmp_path / "out.json"
    assert run([csv_path, "--out", out]) == 2
    err = capsys.readouterr().err
    assert message in err and str(csv_path) in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [csv_path]


def test_missing_file_and_bad_previous(tmp_path, capsys):
    assert run([tmp_path / "nope.csv", "--out", tmp_path / "o.json"]) == 2
    assert "cannot read" in capsys.readouterr().err
    good = tmp_path / "ok.csv"
    good.write_text("id,text\n1,hello\n", encoding="utf-8")
    previous = tmp_path / "prev.json"
    previous.write_text("{not json", encoding="utf-8")
    assert run([good, "--out", tmp_path / "o.json", "--previous", previous]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()


def test_the_module_entry_point_dispatches_to_the_themes_command(tmp_path, capsys, monkeypatch):
    from clustering import __main__ as entry

    # Only our command: the dispatcher imports every registered command module.
    monkeypatch.setattr(entry, "COMMANDS", {"themes": entry.COMMANDS["themes"]})
    bad = tmp_path / "bad.csv"
    bad.write_text("id,body\n1,x\n", encoding="utf-8")
    assert entry.main(["themes", str(bad), "--out", str(tmp_path / "o.json")]) == 2
    assert "missing column 'text'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        entry.main(["themes", "--help"])
    assert "--random-state" in capsys.readouterr().out
