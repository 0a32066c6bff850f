"""The pure rules that bound an HTTP connection's phases: body pace and eviction order."""

from __future__ import annotations

from duck.server.phases import NEW_CONNECTION_GRACE, BodyPace, Phase, eviction_rank


def pace(**options: float) -> BodyPace:
    return BodyPace(100.0, **{"stall": 10.0, "min_rate": 240.0, "grace": 5.0, **options})


def test_a_body_is_given_the_grace_period_whatever_its_pace():
    body = pace()
    assert body.deadline() == 105.0
    assert body.too_slow(104.9) is None


def test_a_trickled_body_is_too_slow_once_the_grace_period_ends():
    body = pace()
    for second in range(1, 5):
        body.progress(1, 100.0 + second)  # a byte a second re-arms any stall timer
    assert body.too_slow(105.0) == "The request body came slower than 240 bytes per second."


def test_a_body_ahead_of_the_rate_pushes_its_deadline_back():
    body = pace()
    body.progress(2400, 101.0)
    assert body.deadline() == 110.0  # 2400 bytes buy 10 s at 240 bytes/s (the stall rule: 111)
    assert body.too_slow(109.9) is None
    assert body.too_slow(110.1) is not None


def test_a_stall_is_refused_even_with_the_rate_rule_off():
    body = pace(min_rate=0)
    body.progress(10, 101.0)
    assert body.deadline() == 111.0
    assert body.too_slow(111.0) == "No part of the request body came for 10 seconds."


def test_eviction_order_closing_then_idle_then_slowest_reader():
    ranks = {
        "linger": eviction_rank(Phase.LINGER, 0, 0.0, 240),
        "idle": eviction_rank(Phase.IDLE, 0, 30.0, 240),
        "trickle": eviction_rank(Phase.BODY, 3, 6.0, 240),
        "slow head": eviction_rank(Phase.HEAD, 100, 2.0, 240),
    }
    assert sorted(ranks, key=lambda name: ranks[name]) == ["linger", "idle", "trickle", "slow head"]


def test_connections_that_are_never_evicted():
    assert eviction_rank(Phase.ANSWERING, 0, 100.0, 240) is None  # its request is being answered
    assert eviction_rank(Phase.BODY, 1_000_000, 2.0, 240) is None  # a fair upload
    assert eviction_rank(Phase.BODY, 0, 100.0, 0) is None  # the rate rule is off


def test_a_young_connection_cannot_look_fast_with_one_byte():
    assert eviction_rank(Phase.BODY, 1, 0.001, 240) == 1.0  # judged over one second at least


def test_a_new_connection_keeps_its_slot_for_a_moment():
    assert eviction_rank(Phase.IDLE, 0, 0.1, 240, fresh=True) is None
    assert eviction_rank(Phase.IDLE, 0, NEW_CONNECTION_GRACE, 240, fresh=True) == 0.0
