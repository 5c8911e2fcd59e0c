"""A player's ICS feed (RFC 5545) with `icalendar`: stable UIDs, DTSTAMP = when the contest last changed,
SEQUENCE = its revision, UTC times, STATUS:CANCELLED for removed contests, a VALARM for the reminder.

The body depends only on the stored contests and the preferences, never on the time it is rendered
(no "now" DTSTAMP, no random UID), so its ETag changes exactly when the calendar does.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from icalendar import Alarm, Calendar, Event

from contest_pipelines.calendar.players import Preferences

PRODID = "-//contest-pipelines//contest calendars//EN"
UID_DOMAIN = "contest-pipelines"
REFRESH = timedelta(hours=1)  # advisory: apps poll on their own schedule


def uid(judge: str, key: str) -> str:
    return f"{judge}-{key}@{UID_DOMAIN}"


def render(contests: Iterable[sa.Row], prefs: Preferences, name: str = "Contests") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for c in contests:
        event = Event()
        event.add("uid", uid(c.judge, c.key))
        event.add("dtstamp", c.changed_at)
        event.add("sequence", c.sequence)
        event.add("dtstart", c.start_at)
        event.add("dtend", c.end_at)
        event.add("summary", c.title)
        event.add("url", c.url)
        event.add("description", f"{c.title} on {c.judge}: {c.url}")
        event.add("categories", [c.judge] + ([c.kind] if c.kind else []))
        event.add("transp", "TRANSPARENT")
        cancelled = c.removed_at is not None
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        if prefs.reminder_minutes is not None and not cancelled:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{c.title} starts in {prefs.reminder_minutes} minutes")
            alarm.add("trigger", -timedelta(minutes=prefs.reminder_minutes))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


def etag(version: str) -> str:
    """The feed's ETag from its version (calendar.players.calendar_version): the body is a function of it."""
    return '"' + hashlib.sha256(f"{PRODID}|{version}".encode()).hexdigest()[:32] + '"'


class RenderedFeeds:
    """Rendered feeds by ETag, least recently used evicted past `max_bytes`: a feed is a pure function of its
    version, so a hit is always current. Shared by the threads of one API process."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes, self.size = max_bytes, 0
        self._feeds: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self._lock:
            body = self._feeds.get(tag)
            if body is not None:
                self._feeds.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes) -> None:
        with self._lock:
            if tag in self._feeds or len(body) > self.max_bytes:
                return
            self._feeds[tag] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                self.size -= len(self._feeds.popitem(last=False)[1])
