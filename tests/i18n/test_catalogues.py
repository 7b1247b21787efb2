"""Catalogues: every string marked in code and templates is translated in French and Spanish.

The template is extracted afresh from the code (as ``make translations`` does), so a string
wrapped in ``_()`` but not yet in a catalogue fails here, as does an empty or fuzzy entry, a
placeholder lost in translation, or a compiled catalogue older than its source.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from consult.i18n import LANGUAGES, TRANSLATIONS_DIR, catalogue_problems

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """Messages found in the code right now, keyed like a catalogue (msgid, context)."""
    output = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(output),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(output, "rb") as handle:
        return {(m.id, m.context): m for m in read_po(handle) if m.id}


def _words(text: str) -> int:
    """Words of a message, placeholders aside (a copied msgid of three words is suspicious)."""
    return len(re.findall(r"[^\W\d_]{2,}", re.sub(r"%\(\w+\)[sdr]", "", text)))


def _load(code: str):
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_the_committed_template_holds_every_marked_string(extracted):
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as handle:
        template = {(m.id, m.context) for m in read_po(handle) if m.id}
    missing = sorted(str(key[0]) for key in set(extracted) - template)
    assert not missing, f"run `make translations`: not in messages.pot: {missing}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_marked_string_is_translated(extracted, code):
    catalogue = _load(code)
    problems = []
    for (msgid, context), _message in extracted.items():
        found = catalogue.get(msgid, context)
        label = msgid if isinstance(msgid, str) else msgid[0]
        if found is None:
            problems.append(f"missing: {label!r}")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if found.fuzzy:
            problems.append(f"fuzzy: {label!r}")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"empty: {label!r}")
        elif all(s == label for s in strings) and _words(label) > 2:
            problems.append(f"left in English: {label!r}")
    assert not problems, f"{code} catalogue:\n" + "\n".join(problems)


@pytest.mark.parametrize("code", [*TRANSLATED, "en"])
def test_placeholders_and_plural_forms_survive_translation(code):
    catalogue = _load(code)
    errors = [
        f"{message.id!r}: {error}"
        for message, message_errors in catalogue.check()
        for error in message_errors
    ]
    assert not errors, "\n".join(errors)
    assert catalogue.num_plurals == 2


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogues_are_current(code):
    # make install compiles them; the check also reports entries missing against the template.
    assert catalogue_problems(code) == []
