"""How abuse limits count, in memory and in Redis: a refused request stops at the limit that
refused it (it does not use up the others), Redis counts a request's limits in one round trip
and shares them between web processes, Retry-After comes from the counters, and a storage that
fails lets requests through."""

from __future__ import annotations

import logging

import pytest

# Two votes a minute per participant (and an hourly limit, so a vote counts three counters), five
# a minute per address: the test client's three participants share 127.0.0.1.
SMALL = {
    "RATELIMIT_ENABLED": True,
    "CONSULT_RATELIMIT_VOTES": "2 per minute;50 per hour",
    "CONSULT_RATELIMIT_VOTES_PER_IP": "5 per minute",
}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request) -> str:
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("redis_url")


@pytest.fixture
def serve(another_app):
    """Factory: an app on ``app``'s database with these limits (as a web process would be)."""
    return lambda **config: another_app(**SMALL, **config)


def _voter(client, token: str | None = None):
    """A vote function for a new participant (or the one of ``token``), sent through ``client``."""
    token = token or client.post("/api/v1/participants", json={}).json["token"]

    def vote(phase, statement):
        return client.post(
            f"/api/v1/phases/{phase.id}/votes",
            json={"statement_id": statement.id, "vote": "agree"},
            headers={"Authorization": f"Bearer {token}"},
        )

    vote.token = token
    return vote


def test_a_refused_vote_does_not_count_against_the_address(storage, serve, make_phase):
    phase = make_phase(3)
    one, two, three = phase.statements
    client = serve(RATELIMIT_STORAGE_URI=storage).test_client()
    a, b, c = _voter(client), _voter(client), _voter(client)
    assert a(phase, one).status_code == 200 and a(phase, two).status_code == 200
    for _ in range(3):  # refused by the participant's limit, never counted for the address
        refused = a(phase, three)
        assert refused.status_code == 429
        assert refused.json["error"].startswith("You are voting very fast.")
        # Read back from the counters: a Redis window starts at its first vote, so it frees one
        # about a minute later; memory windows start at whole minutes.
        earliest = 1 if storage == "memory://" else 30
        assert earliest <= int(refused.headers["Retry-After"]) <= 61
    assert b(phase, one).status_code == 200 and b(phase, two).status_code == 200
    assert c(phase, one).status_code == 200  # the address's fifth vote
    refused = c(phase, two)
    assert refused.status_code == 429
    assert refused.json["error"].startswith("Too many votes from your network")


@pytest.mark.redis
def test_redis_counts_a_vote_in_one_round_trip_shared_by_processes(redis_url, serve, make_phase):
    phase = make_phase(3)
    one, two, three = phase.statements
    first, second = (serve(RATELIMIT_STORAGE_URI=redis_url) for _ in range(2))
    on_first = _voter(first.test_client())
    on_second = _voter(second.test_client(), on_first.token)  # the same participant
    assert on_first(phase, one).status_code == 200  # also loads the script into Redis

    connection = second.extensions["consult_limiter"].storage.get_connection()
    commands = []
    send = connection.execute_command

    def counted(*args, **options):
        commands.append(args[0])
        return send(*args, **options)

    connection.execute_command = counted
    assert on_second(phase, two).status_code == 200
    assert commands == ["EVALSHA"]  # three counters, one round trip
    # Both processes counted against the same limit: the participant's third vote is refused.
    assert on_first(phase, three).status_code == 429
    assert on_second(phase, three).status_code == 429


def test_a_storage_that_fails_lets_votes_through(serve, make_phase, caplog):
    phase = make_phase(1)
    client = serve(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()  # nobody there
    vote = _voter(client)
    with caplog.at_level(logging.ERROR):
        assert vote(phase, phase.statements[0]).status_code == 200
    assert "rate limit storage unreachable" in caplog.text
