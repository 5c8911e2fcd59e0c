"""Request and response models of the HTTP API (camelCase on the wire, like the events)."""

from datetime import datetime
from functools import cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from contest_pipelines.domain.contests import JUDGES
from contest_pipelines.domain.validation_matrix import normalize_problem_id

# Identifiers are text in PostgreSQL, which refuses NUL: no control characters, and a sane length.
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ID_PATTERN)]
IdPath = Annotated[str, Path(min_length=1, max_length=200, pattern=ID_PATTERN)]
# Deep enough for any board or dead-letter list; PostgreSQL's OFFSET is a bigint.
MAX_OFFSET = 1_000_000


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roomId: Identifier
    problemId: str = Field(
        min_length=2,
        max_length=32,
        pattern=r"^\s*[1-9][0-9]*[A-Za-z][A-Za-z0-9]*\s*$",
        description="a Codeforces contest id followed by a problem index; case does not matter",
        examples=["1843A"],
    )

    @field_validator("problemId")
    @classmethod
    def _problem_id(cls, value: str) -> str:
        return normalize_problem_id(value)


class SyncQueued(BaseModel):
    queued: bool = True
    requestId: str
    position: int


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a stable machine-readable `error` and a sentence for people."""

    error: str = Field(examples=["not_found"])
    detail: str | None = None


ERROR_DESCRIPTIONS = {
    400: "the body could not be read as JSON (`bad_request`)",
    401: "missing, invalid or expired token (`unauthorized`)",
    404: "no such resource for this caller (`not_found`)",
    409: "conflicts with the resource's state (`conflict`)",
    422: "the request does not match its schema, or names something it cannot (`invalid_request`)",
    503: "a dependency does not answer (`unavailable`)",
}


def errors(*codes: int) -> dict[int | str, dict]:
    """The `responses` of a route: each status it really answers, with the real error body."""
    return {code: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[code]} for code in codes}


class RateLimited(BaseModel):
    error: str = "rate_limited"
    retryAfter: int


class SyncStatus(BaseModel):
    requestId: str
    roomId: str
    problemId: str
    status: str
    position: int | None = Field(description="place in the queue while queued or running; null once finished")
    attempts: int
    reason: str | None
    detail: str | None
    createdAt: datetime
    updatedAt: datetime
    nextAttemptAt: datetime | None
    finishedAt: datetime | None


# Contest calendars (issue 10).
JudgeId = Literal["codeforces", "leetcode", "codechef", "atcoder", "hackerrank", "geeksforgeeks", "code360"]


def _not_a_boolean(value: object) -> object:
    if isinstance(value, bool):  # pydantic would read `false` as 0 minutes
        raise ValueError("a number, not a boolean")
    return value


# JSON integers (126.0 is one, as JSON Schema says), never booleans; bounds inside the type so the
# schema of the nullable field carries them.
Hours = Annotated[int, Field(ge=1, le=24 * 365), BeforeValidator(_not_a_boolean)]
Minutes = Annotated[int, Field(ge=0, le=7 * 24 * 60), BeforeValidator(_not_a_boolean)]


class CalendarPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judges: list[JudgeId] = Field(max_length=len(JUDGES), description="the judges whose contests the calendar holds")
    maxDurationHours: Hours | None = Field(None, description="skip contests longer than this; null: no limit")
    reminderMinutes: Minutes | None = Field(None, description="a reminder this long before the start; null: none")


class FeedLink(BaseModel):
    feedUrl: str = Field(description="subscribe to this URL in a calendar app; it carries the feed's secret")


class GoogleStatus(BaseModel):
    connected: bool
    status: Literal["pending", "syncing", "ok", "error", "disconnected"] | None = Field(
        None, description="null: never connected"
    )
    lastSyncedAt: datetime | None = None
    lastError: str | None = None


class ConsentLink(BaseModel):
    consentUrl: str = Field(description="send the player's browser here; Google sends it back to the callback")


class PushQueued(BaseModel):
    queued: bool = True


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database once


class PlayerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeZone: str | None = Field(
        None,
        description="an IANA time zone name (`Asia/Kolkata`): the player's day for streaks; null: UTC",
        examples=["Asia/Kolkata"],
        # The schema lists the names, so it says exactly what is accepted; the validator keeps the 422 short.
        json_schema_extra=lambda schema: schema["anyOf"][0].update(enum=sorted(_zones())),
    )

    @field_validator("timeZone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in _zones():
            raise ValueError(f"{value!r} is not an IANA time zone name (e.g. 'Asia/Kolkata', 'UTC')")
        return value


class Player(PlayerSettings):
    userId: str
