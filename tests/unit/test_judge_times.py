"""Time-zone and duration edges of the judge adapters: every judge's rendering of an instant parses back to the
same UTC instant whatever the machine's time zone (the fake renders with fixed offsets, the adapters parse with
zoneinfo or the offset in the text)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contest_pipelines.clients.judges import atcoder, code360, codechef, codeforces, geeksforgeeks, hackerrank
from contest_pipelines.clients.judges.base import Malformed
from contest_pipelines.domain.contests import LONG_RUNNING
from tests.fakes.judges import atcoder_duration, atcoder_time, codechef_iso, gfg_time

INSTANTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda at: at.replace(microsecond=0)
)
DURATIONS = st.integers(min_value=0, max_value=1000 * 60).map(lambda minutes: timedelta(minutes=minutes))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------- GeeksforGeeks: naive IST


def test_gfg_naive_times_are_ist() -> None:
    assert geeksforgeeks.parse_ist("2022-08-28T19:00:00", "start_time") == utc(2022, 8, 28, 13, 30)


def test_gfg_late_evening_ist_stays_on_the_same_utc_day() -> None:
    assert geeksforgeeks.parse_ist("2026-12-04T23:30:00", "start_time") == utc(2026, 12, 4, 18, 0)


def test_gfg_early_morning_ist_lands_on_the_previous_utc_day() -> None:
    assert geeksforgeeks.parse_ist("2026-12-05T02:00:00", "start_time") == utc(2026, 12, 4, 20, 30)


def test_gfg_an_explicit_offset_wins_over_ist() -> None:
    assert geeksforgeeks.parse_ist("2026-12-05T02:00:00+00:00", "start_time") == utc(2026, 12, 5, 2, 0)


# ---------------------------------------------------------------------- CodeChef: ISO with +05:30


def test_codechef_iso_with_ist_offset() -> None:
    assert codechef.parse_iso("2026-08-12T20:00:00+05:30", "start") == utc(2026, 8, 12, 14, 30)
    assert codechef.parse_iso("2026-08-13T01:00:00+05:30", "start") == utc(2026, 8, 12, 19, 30)  # previous UTC day


def test_codechef_iso_without_offset_is_malformed() -> None:
    with pytest.raises(Malformed, match="has no UTC offset"):
        codechef.parse_iso("2026-08-12T20:00:00", "contest_start_date_iso")


# ---------------------------------------------------------------------- AtCoder: +0900 text, H:MM durations


def test_atcoder_time_text_with_jst_offset() -> None:
    assert atcoder.parse_start("2026-10-03 21:00:00+0900") == utc(2026, 10, 3, 12, 0)
    assert atcoder.parse_start(" 2026-10-04 08:00:00+0900 ") == utc(2026, 10, 3, 23, 0)  # previous UTC day


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("01:40", timedelta(minutes=100)),
        ("240:00", timedelta(hours=240)),
        ("239:50", timedelta(hours=239, minutes=50)),
        ("365:00", timedelta(hours=365)),
        ("25:30", timedelta(hours=25, minutes=30)),
        ("1:30:15", timedelta(hours=1, minutes=30, seconds=15)),
    ],
)
def test_atcoder_durations_beyond_24_hours(text: str, duration: timedelta) -> None:
    assert atcoder.parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "abc", "1:60", "-1:00", "90"])
def test_atcoder_bad_durations_are_malformed(text: str) -> None:
    with pytest.raises(Malformed, match="is not H:MM"):
        atcoder.parse_duration(text)


def test_atcoder_reference_markup_parses_by_div() -> None:
    page = (
        '<div id="contest-table-recent"><table><tbody><tr><td><time>2026-09-01 21:00:00+0900</time></td>'
        '<td><a href="/contests/abc470">Old</a></td><td>01:40</td><td>-</td></tr></tbody></table></div>'
        '<div id="contest-table-upcoming"><table class="table table-default table-bordered"><thead><tr><th>Start</th>'
        "</tr></thead><tbody>"
        '<tr><td class="text-center"><a href="http://www.timeanddate.com/worldclock/fixedtime.html?iso=20261003T2100'
        '&amp;p1=248" target="blank"><time class="fixtime fixtime-full">2026-10-03 21:00:00+0900</time></a></td>'
        '<td><span aria-hidden="true" data-placement="top" data-toggle="tooltip" title="Algorithm">Ⓐ</span> '
        '<span class="user-blue">◉</span> <a href="/contests/abc478">AtCoder Beginner Contest 478</a></td>'
        '<td class="text-center">01:40</td><td class="text-center"> - 1999</td></tr>'
        '<tr><td class="text-center"><a href="..."><time class="fixtime fixtime-full">2026-10-30 19:00:00+0900</time>'
        '</a></td><td><span aria-hidden="true" data-placement="top" data-toggle="tooltip" title="Heuristic">Ⓗ</span> '
        '<span class="user-red">◉</span> <a href="/contests/ahc074">Tea &amp; Cake&#39;s Contest</a></td>'
        '<td class="text-center">240:00</td><td class="text-center">All</td></tr></tbody></table></div>'
    )
    parser = atcoder.ContestTables()
    parser.feed(page)

    contests = [atcoder.parse_row(row.as_dict()) for row in parser.rows]

    assert parser.found == {"contest-table-upcoming"}
    assert [(c.key, c.kind, c.start, c.duration) for c in contests] == [
        ("abc478", "algorithm", utc(2026, 10, 3, 12, 0), timedelta(minutes=100)),
        ("ahc074", LONG_RUNNING, utc(2026, 10, 30, 10, 0), timedelta(hours=240)),
    ]
    assert contests[1].title == "Tea & Cake's Contest"


# ---------------------------------------------------------------------- unix-second judges


def test_codeforces_start_is_unix_utc_and_unscheduled_or_finished_contests_are_dropped() -> None:
    element = {"id": 2257, "name": "Codeforces Round (Div. 2)", "type": "CF", "phase": "BEFORE",
               "durationSeconds": 7200, "startTimeSeconds": 1786977300}  # fmt: skip

    contest = codeforces.parse_contest(element)

    assert contest is not None and contest.start == utc(2026, 8, 17, 14, 35) and contest.kind == "CF"
    assert codeforces.parse_contest(element | {"phase": "FINISHED"}) is None
    assert codeforces.parse_contest({k: v for k, v in element.items() if k != "startTimeSeconds"}) is None


def test_hackerrank_pseudo_contests_are_dropped() -> None:
    euler = {"id": 1881, "name": "ProjectEuler+", "slug": "projecteuler", "epoch_starttime": 1404747480,
             "epoch_endtime": 1722364200 + 10 * 365 * 86400, "ended": False}  # fmt: skip

    assert hackerrank.parse_contest(euler) is None
    assert hackerrank.parse_contest(euler | {"epoch_starttime": 0, "epoch_endtime": 1790949600}) is None


def test_code360_end_before_start_is_clamped_to_the_start() -> None:
    event = {"name": "Weekly Contest 252", "slug": "weekly-contest-252", "event_category": "CONTEST",
             "event_start_time": 1791646200, "event_end_time": 1791646100}  # fmt: skip

    contest = code360.parse_event(event)

    assert contest.start == contest.end == datetime.fromtimestamp(1791646200, UTC)


# ---------------------------------------------------------------------- properties


@given(INSTANTS)
def test_atcoder_rendered_time_parses_back_to_the_instant(at: datetime) -> None:
    assert atcoder.parse_start(atcoder_time(at)) == at


@given(DURATIONS)
def test_atcoder_rendered_duration_parses_back(duration: timedelta) -> None:
    assert atcoder.parse_duration(atcoder_duration(duration)) == duration


@given(INSTANTS)
def test_codechef_rendered_iso_parses_back_to_the_instant(at: datetime) -> None:
    assert codechef.parse_iso(codechef_iso(at), "start") == at


@given(INSTANTS)
def test_gfg_rendered_ist_parses_back_to_the_instant(at: datetime) -> None:
    assert geeksforgeeks.parse_ist(gfg_time(at), "start_time") == at
