"""Browser hardening: Content-Security-Policy (no inline script or style), HSTS, trusted proxies."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Scripts and styles come from our own static files only: no inline <script>, no inline <style>,
# no style="" attributes, no eval (htmx runs with allowEval false and includeIndicatorStyles false).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
PERMISSIONS = "camera=(), microphone=(), geolocation=()"
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def standalone_csp(html: str) -> str:
    """Policy of a standalone document (the report as one HTML file): its one inline <style>,
    named by hash, and nothing else: no script at all."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in _STYLE.findall(html)
    ]
    style = " ".join(hashes) or "'none'"
    return f"default-src 'none'; style-src {style}; img-src data:; base-uri 'none'; sandbox"


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("CONSULT_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def security_policy(response):
        if "Content-Security-Policy" not in response.headers:
            if (
                request.endpoint == "reports.report_download"
                and response.mimetype == "text/html"
                and not response.direct_passthrough
            ):
                response.headers["Content-Security-Policy"] = standalone_csp(
                    response.get_data(as_text=True)
                )
            else:
                response.headers["Content-Security-Policy"] = CSP
        if app.config.get("CONSULT_HSTS"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
