"""The rendered-feed cache: bounded by bytes, least recently used out first."""

from contest_pipelines.calendar.ics import RenderedFeeds


def test_the_least_recently_used_feed_leaves_first_and_the_size_stays_bounded():
    feeds = RenderedFeeds(max_bytes=10)
    feeds.put("a", b"aaaa")
    feeds.put("b", b"bbbb")
    assert feeds.get("a") == b"aaaa"  # a is now the most recent
    feeds.put("c", b"cccc")
    assert feeds.get("b") is None and feeds.get("a") == b"aaaa" and feeds.get("c") == b"cccc"
    assert feeds.size == 8
    feeds.put("huge", b"x" * 11)
    assert feeds.get("huge") is None and feeds.size == 8
