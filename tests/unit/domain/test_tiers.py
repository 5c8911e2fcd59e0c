"""Activity tiers and their sync intervals."""

from datetime import UTC, datetime, timedelta

import pytest

from contest_pipelines.domain.tiers import next_due, tier_for

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "tier"),
    [
        (timedelta(0), "active"),
        (timedelta(days=7), "active"),
        (timedelta(days=7, seconds=1), "moderate"),
        (timedelta(days=30), "moderate"),
        (timedelta(days=31), "inactive"),
        (None, "inactive"),
    ],
)
def test_tier_boundaries(age, tier):
    assert tier_for(None if age is None else NOW - age, NOW) == tier


@pytest.mark.parametrize(
    ("tier", "interval"),
    [("active", timedelta(minutes=30)), ("moderate", timedelta(hours=2)), ("inactive", timedelta(hours=8))],
)
def test_next_due_follows_the_tier_sla(tier, interval):
    assert next_due(tier, NOW) - NOW == interval
