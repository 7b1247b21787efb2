"""Fixtures for job tests: the test Redis database (TEST_REDIS_URL, flushed) and a clean sweeper."""

from __future__ import annotations

import os

import pytest

from consult.jobs import services

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    """TEST_REDIS_URL (.ci/run: redis://127.0.0.1:6379/15), emptied before and after the test.

    Only that database number is flushed, never the whole server.
    """
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped (.ci/run sets it)")
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except RedisError as exc:
        pytest.skip(f"Redis at {TEST_REDIS_URL} unusable: {exc}")
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _no_leftover_background_work():
    """Each test starts and ends without a sweeper thread or a skipped-Redis window."""
    from consult.jobs import queue

    queue.reset_for_tests()
    yield
    services.stop_sweeper()
    queue.reset_for_tests()
