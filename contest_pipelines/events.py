"""The event contract: names, payloads, Redis keys, and the publish/read helpers (docs/events.md)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

SYNC_QUEUED = "sync.queued"
SYNC_DETECTED = "sync.detected"
SYNC_FAILED = "sync.failed"
SYNC_RETRYING = "sync.retrying"
ACHIEVEMENT_COMPLETED = "achievement.completed"

REASON_CF_UNAVAILABLE = "cf_unavailable"
# Why a queued request waits (the status route's `reason` while it is queued).
REASON_RATE_LIMITED = "cf_rate_limited"
REASON_JUDGING = "judging"
DEFAULT_STREAM_MAXLEN = 1000


def stream_key(user_id: str) -> str:
    return f"events:user:{user_id}"


def sync_state_key(room_id: str, user_id: str) -> str:
    return f"sync:{room_id}:{user_id}"


def rate_limit_key(user_id: str) -> str:
    return f"ratelimit:sync:{user_id}"


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    data: dict[str, Any]


def queued_payload(position: int) -> dict[str, Any]:
    return {"position": position}


def detected_payload(
    *,
    room_id: str,
    user_id: str,
    team_id: str | None,
    problem_id: str,
    cf_submission_id: int,
    cf_timestamp: int,
    points_awarded: int | None = None,
) -> dict[str, Any]:
    """The internal `sync.detected` record; `pointsAwarded` is the problem's points in the room, set when
    the detection is credited (the same value as the `detections` row)."""
    return {
        "roomId": room_id,
        "userId": user_id,
        "teamId": team_id,
        "problemId": problem_id,
        "cfSubmissionId": cf_submission_id,
        "cfTimestamp": cf_timestamp,
        "verdict": "OK",
        "pointsAwarded": points_awarded,
    }


def failed_payload(
    *, verdict: str | None = None, reason: str | None = None, detail: str | None = None
) -> dict[str, Any]:
    """`{verdict: "WA" | "invalid"}` or `{reason: "cf_unavailable"}`, plus a human-readable `detail`."""
    if (verdict is None) == (reason is None):
        raise ValueError("sync.failed carries exactly one of verdict or reason")
    payload: dict[str, Any] = {"verdict": verdict} if verdict is not None else {"reason": reason}
    if detail:
        payload["detail"] = detail
    return payload


def retrying_payload(
    *, attempt: int, max_attempts: int, next_attempt_at: datetime, reason: str, detail: str
) -> dict[str, Any]:
    """`sync.retrying`: why the request waits and when it is tried again. `attempt` counts the failed
    attempts so far (a rate limit uses none)."""
    return {
        "reason": reason,
        "attempt": attempt,
        "maxAttempts": max_attempts,
        "nextAttemptAt": next_attempt_at.isoformat(),
        "detail": detail,
    }


def achievement_payload(achievement_id: str, specifier: str, completed_at: datetime, amount: int | None) -> dict:
    return {
        "achievementId": achievement_id,
        "specifier": specifier,
        "completedAt": completed_at.isoformat(),
        "amount": amount,
    }


def publish(
    client: "redis.Redis | redis.client.Pipeline",
    user_id: str,
    event_type: str,
    data: dict[str, Any],
    maxlen: int = DEFAULT_STREAM_MAXLEN,
) -> Any:
    """Append an event to the user's capped stream; returns the stream id (or the pipeline)."""
    return client.xadd(
        stream_key(user_id),
        {"type": event_type, "data": json.dumps(data, separators=(",", ":"))},
        maxlen=maxlen,
        approximate=True,
    )


def publish_to(client: "redis.Redis") -> Callable[[str, str, dict[str, Any]], Any]:
    """`publish` bound to a client: what a producer that announces to players is handed."""
    return lambda user_id, event_type, data: publish(client, user_id, event_type, data)


def decode_entry(entry_id: Any, fields: dict[Any, Any]) -> Event:
    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else value

    fields = {text(k): text(v) for k, v in fields.items()}
    return Event(id=text(entry_id), type=fields["type"], data=json.loads(fields["data"]))


def read_since(client: redis.Redis, user_id: str, last_id: str = "0-0", count: int = 100) -> list[Event]:
    """Events after `last_id` in order (non-blocking); the SSE route blocks with its async twin."""
    entries = client.xrange(stream_key(user_id), min=f"({last_id}" if last_id != "0-0" else "-", count=count)
    return [decode_entry(entry_id, fields) for entry_id, fields in entries]
