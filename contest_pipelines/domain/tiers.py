"""Activity tiers of game-platform competitors, pure: who is synced how often (seed 001, section 20)."""

from datetime import datetime, timedelta
from typing import Literal

Tier = Literal["active", "moderate", "inactive"]

# How often each tier is synced (its staleness SLA), and how recent activity puts a competitor in it.
SYNC_INTERVAL: dict[Tier, timedelta] = {
    "active": timedelta(minutes=30),
    "moderate": timedelta(hours=2),
    "inactive": timedelta(hours=8),
}
ACTIVE_WITHIN = timedelta(days=7)
MODERATE_WITHIN = timedelta(days=30)


def tier_for(last_activity_at: datetime | None, now: datetime) -> Tier:
    """Active: a solve in the last 7 days; moderate: in the last 30; inactive otherwise (or never)."""
    if last_activity_at is None:
        return "inactive"
    age = now - last_activity_at
    if age <= ACTIVE_WITHIN:
        return "active"
    if age <= MODERATE_WITHIN:
        return "moderate"
    return "inactive"


def next_due(tier: Tier, synced_at: datetime) -> datetime:
    return synced_at + SYNC_INTERVAL[tier]
