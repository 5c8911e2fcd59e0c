"""A player's ICS feed (RFC 5545) with `icalendar`: stable UIDs, DTSTAMP = when the contest last changed,
SEQUENCE = its revision, UTC times, STATUS:CANCELLED for removed contests, a VALARM for the reminder.

The body depends only on the stored contests and the preferences, never on the time it is rendered
(no "now" DTSTAMP, no random UID), so its ETag changes exactly when the calendar does.
"""

from __future__ import annotations

import hashlib
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


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
