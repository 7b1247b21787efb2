"""``benchmarks/reports.py`` keeps working as the record format changes (it builds its own)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_report_benchmark_builds_every_format_of_the_demo_sized_phase():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "reports.py"), "--size", "demo", "--no-pdf"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "demo: compute_figures:" in done.stdout
    assert "demo: HTML identical on rebuild: True" in done.stdout
