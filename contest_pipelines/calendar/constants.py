"""Names the calendar's Dagster definitions share."""

CALENDAR_GROUP = "contest_calendars"
COUNT_CHECK = "upcoming_count_as_usual"
