"""Hostile text (script and HTML) in a statement, host names, staff names and a rationale renders
as text on every page, in every fragment and in the report PDF; pages carry a strict CSP."""

from __future__ import annotations

import re

import pytest

from consult.security.access import IDENTITIES
from tests.security.conftest import CSRF_HEADER, FreshClient
from tests.security.test_access_matrix import _call, _client_as, _routes

pytestmark = pytest.mark.slow

# Markup from the payloads that must never reach a page unescaped.
RAW = [
    "<script>alert(",
    "<img src=x onerror",
    "<b>must</b>",
    "<i>Forum</i>",
    "<marquee>merged</marquee>",
    "<b>Region</b>",
]
ESCAPED = {
    "statement": re.compile(r"&lt;script&gt;alert\((&#39;|'|&#x27;)statement"),
    "host": re.compile(r"&lt;script&gt;alert\((&#39;|'|&#x27;)host"),
    "rationale": re.compile(r"&lt;script&gt;alert\((&#39;|'|&#x27;)rationale"),
    "name": re.compile(r"&lt;script&gt;alert\((&#39;|'|&#x27;)(name|signer)"),
    "pending": re.compile(r"&lt;script&gt;alert\((&#39;|'|&#x27;)pending"),
}
PENDING_XSS = "<script>alert('pending')</script> a statement <u>awaiting</u> moderation"


def _add_pending_statement(world) -> None:
    """A participant's statement, pending in a strict phase: it shows in the moderation queue."""
    client = FreshClient(world.app.test_client())
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state

    consultation = create_consultation("xss-open", "XSS <script>alert('title')</script>")
    phase = add_phase(consultation, "Open", "", strict_moderation=True)
    set_phase_state(phase, PhaseState.OPEN)
    page = client.get("/c/xss-open/phase/1/")
    csrf = CSRF_HEADER.search(page.text).group(1)
    client.post("/c/xss-open/phase/1/statements", data={"text": PENDING_XSS, "csrf_token": csrf})


def test_user_text_is_escaped_on_every_page(world):
    _add_pending_statement(world)
    seen: set[str] = set()
    pages = 0
    problems = []
    for identity in IDENTITIES:
        client, token = _client_as(world, identity)
        for key, rule, method in _routes(world.app):
            if method != "GET" or key.startswith("static"):
                continue
            url, response = _call(world, client, token, key, rule, method)
            mimetype = response.mimetype or ""
            if not (mimetype.startswith("text/html") or mimetype == "image/svg+xml"):
                continue
            pages += 1
            text = response.get_data(as_text=True)
            for raw in RAW:
                if raw in text:
                    problems.append(f"{identity} {url}: {raw!r} unescaped")
            seen |= {name for name, pattern in ESCAPED.items() if pattern.search(text)}
            if mimetype.startswith("text/html"):
                policy = response.headers.get("Content-Security-Policy", "")
                assert "unsafe-inline" not in policy and "script-src" in policy, url
    # The moderation queue, fragments and the phase page show the texts (escaped).
    for url in ("/moderation/", "/c/xss-open/phase/1/"):
        client, _ = _client_as(world, "admin")
        text = client.get(url).text
        for raw in RAW + ["<u>awaiting</u>"]:
            assert raw not in text, url
        seen |= {name for name, pattern in ESCAPED.items() if pattern.search(text)}
    assert problems == [], "\n".join(problems)
    assert pages > 50
    assert seen == set(ESCAPED), f"payloads never shown (escaped): {set(ESCAPED) - seen}"


def test_report_pdf_shows_the_hostile_text_as_text(world):
    pdfium = pytest.importorskip("pypdfium2")
    client = FreshClient(world.app.test_client())
    response = client.get("/c/demo/phase/1/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    document = pdfium.PdfDocument(response.data)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    flat = "".join(text.split())  # table cells wrap lines anywhere
    for shown in (
        "<script>alert('statement')</script>Budgets<b>must</b>be<imgsrc=xonerror=alert(1)>open.",
        "We<marquee>merged</marquee>it<script>alert('rationale')</script>intogoal3.",
        "Youth<script>alert('host')</script><i>Forum</i>",
        "Sam<script>alert('name')</script>Support",
    ):
        assert shown in flat, shown
    document.close()


def test_standalone_report_html_runs_no_script(world):
    client = FreshClient(world.app.test_client())
    response = client.get("/c/demo/phase/1/report.html")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "'sha256-" in policy and "unsafe-inline" not in policy
    assert "<script>alert(" not in response.text
