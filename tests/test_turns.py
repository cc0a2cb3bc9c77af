"""Turns at the searches: at most N at once, the others served in the order they came."""

from __future__ import annotations

import threading

import pytest

from fixtures.timeouts import wait_until
from icc_assistant.retrieve.turns import Turns


def _waiter(turns: Turns, name: str, order: list[str]) -> threading.Thread:
    def take() -> None:
        with turns:
            order.append(name)

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def test_waiters_get_their_turns_in_the_order_they_came() -> None:
    turns, order = Turns(1), []
    with turns:
        threads = []
        for number in range(1, 5):
            threads.append(_waiter(turns, f"t{number}", order))
            wait_until(lambda n=number: turns.waiting == n, f"waiter {number} queued")
    for thread in threads:
        thread.join(timeout=30)
    assert order == ["t1", "t2", "t3", "t4"]


def test_a_released_turn_goes_to_the_waiter_not_back_to_its_holder() -> None:
    """The holder asking again at once queues behind the thread already waiting (a
    threading.Semaphore lets it take the turn straight back)."""
    turns, order = Turns(1), []
    with turns:
        waiter = _waiter(turns, "waiter", order)
        wait_until(lambda: turns.waiting == 1, "the waiter queued")
    with turns:
        order.append("holder again")
    waiter.join(timeout=30)
    assert order == ["waiter", "holder again"]


def test_two_at_once_and_a_third_waits() -> None:
    turns, order = Turns(2), []
    with turns, turns:
        third = _waiter(turns, "third", order)
        wait_until(lambda: turns.waiting == 1, "the third queued")
        assert order == []
    third.join(timeout=30)
    assert order == ["third"] and turns.waiting == 0


def test_no_turns_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Turns(0)
