"""The demo's phase report built in French and in Spanish: no English interface text left.

The report is built with ``consult report build --lang`` as HTML and PDF (its text read back with
pypdfium2). People's own words (statements, theme labels, rationales, the outline, names) stay as
they were written and are left out of the check; everything else must be translated. The figures
are the same in every language: JSON and CSV are identical, and ``consult report verify`` passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.i18n.helpers import (
    english_fragments,
    found_in,
    report_user_text,
    squash,
    visible_text,
    without,
)
from tests.reports.helpers import publish_demo

pytestmark = [pytest.mark.model, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]

EXPECTED = {
    "fr": ["Rapport de la phase 1", "En bref", "Ce que nous avons fait et pourquoi", "Page 1 sur"],
    "es": ["Informe de la fase 1", "De un vistazo", "Lo que hicimos y por qué", "Página 1 de"],
}


def _build(runner, out: Path, fmt: str, lang: str | None = None) -> bytes:
    args = ["report", "build", "demo", "1", "--format", fmt, "--out", str(out)]
    result = runner.invoke(args=args + (["--lang", lang] if lang else []))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        return squash(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))))
    finally:
        pdf.close()


def test_the_demo_report_builds_in_french_and_spanish(app, runner, embedder, tmp_path):
    publish_demo(embedder)
    english = _build(runner, tmp_path / "en.html", "html")
    assert _build(runner, tmp_path / "en2.html", "html", "en") == english
    data = _build(runner, tmp_path / "en.json", "json")
    annex = _build(runner, tmp_path / "en.csv", "csv")
    people_wrote = report_user_text(json.loads(data))

    for code, phrases in EXPECTED.items():
        html = [_build(runner, tmp_path / f"{code}{i}.html", "html", code) for i in range(2)]
        assert html[0] == html[1], f"{code}: two builds differ"
        assert html[0] != english
        page = html[0].decode()
        assert f'<html lang="{code}">' in page and f'<article class="report" lang="{code}">' in page
        text = without(visible_text(page), people_wrote)
        left = found_in(text, english_fragments(code))
        assert not left, f"English left in the {code} HTML report: {left}"

        pdf = _pdf_text(_build(runner, tmp_path / f"{code}.pdf", "pdf", code))
        report_strings = english_fragments(code, where="templates/reports/")
        left = found_in(without(pdf, people_wrote), report_strings)
        assert not left, f"English left in the {code} PDF report: {left}"
        for phrase in phrases:
            assert phrase in text + " " + pdf, (code, phrase)

        # The figures do not depend on the language.
        assert _build(runner, tmp_path / f"{code}.json", "json", code) == data
        assert _build(runner, tmp_path / f"{code}.csv", "csv", code) == annex

    # Dates and numbers follow the language.
    french = (tmp_path / "fr0.html").read_text()
    spanish = (tmp_path / "es0.html").read_text()
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    assert re.search(rf"\d{{1,2}} ({months}) \d{{4}}", french)
    assert re.search(r"\d{1,2} de [a-z]+ de \d{4}", spanish)
    assert runner.invoke(args=["report", "verify", "demo", "1"]).exit_code == 0
    refused = runner.invoke(
        args=["report", "build", "demo", "1", "--out", str(tmp_path / "x.html"), "--lang", "de"]
    )
    assert refused.exit_code != 0 and "de" in refused.output
