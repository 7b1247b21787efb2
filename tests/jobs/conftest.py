"""Fixtures for job tests: a clean sweeper (``redis_url`` lives in tests/conftest.py)."""

from __future__ import annotations

import pytest

from consult.jobs import services


@pytest.fixture(autouse=True)
def _no_leftover_background_work():
    """Each test starts and ends without a sweeper thread or a skipped-Redis window."""
    from consult.jobs import queue

    queue.reset_for_tests()
    yield
    services.stop_sweeper()
    queue.reset_for_tests()
