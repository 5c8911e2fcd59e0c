"""The board page store's freshness rules (pure: a clock and a dict)."""

import pytest

from contest_pipelines.api import board_cache
from contest_pipelines.api.board_cache import PageStore


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(board_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_page_is_fresh_for_its_period_then_stale_for_one_more_then_gone(clock):
    store = PageStore(ttl=1.0, max_pages=10)
    store.put(("/p", b""), 100.0, [], b"page")
    assert store.get(("/p", b"")) == ((101.0, [], b"page"), True)
    clock[0] = 101.2
    assert store.get(("/p", b"")) == ((101.0, [], b"page"), False)  # served while one request re-renders
    clock[0] = 102.0
    assert store.get(("/p", b"")) == (None, False)
    assert store.get(("/q", b"")) == (None, False)


def test_the_render_time_not_the_store_time_sets_the_expiry(clock):
    store = PageStore(ttl=1.0, max_pages=10)
    store.put(("/p", b""), 99.5, [], b"rendered half a second ago")
    clock[0] = 100.6
    assert store.get(("/p", b""))[1] is False


def test_the_oldest_pages_go_first_beyond_the_limit(clock):
    store = PageStore(ttl=1.0, max_pages=2)
    for name in ("/a", "/b", "/c"):
        store.put((name, b""), 100.0, [], name.encode())
    assert [k for k, _ in store.pages] == ["/b", "/c"]
    store.clear()
    assert not store.pages
