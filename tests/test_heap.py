"""gateway.heap: a started process's configuration is moved out of the collector's way."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from gateway import heap


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_settle_freezes_what_is_alive_and_raises_the_young_threshold(collector: None) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    kept = [{"profile": n} for n in range(1000)]  # a configuration that stays
    heap.settle()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, 10, 10)
    # a frozen object is still freed when its last reference goes (reference counting)
    holder = Config()
    probe = weakref.ref(holder)
    heap.settle()
    del holder
    assert probe() is None


class Config:
    """An object a weak reference can watch."""


def test_a_larger_threshold_is_kept(collector: None) -> None:
    gc.set_threshold(100_000, 10, 10)
    heap.settle()
    assert gc.get_threshold()[0] == 100_000
