"""Drains a batch of sync requests: one `user.status` call per distinct handle, the validation matrix
for each request, and the request's settlement (PostgreSQL first, then events on Redis)."""

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
import sqlalchemy as sa

from contest_pipelines import events, scoreboards
from contest_pipelines.clients.codeforces import (
    CodeforcesCallLimit,
    CodeforcesCircuitOpen,
    CodeforcesClient,
    CodeforcesError,
    CodeforcesRequestError,
    CodeforcesUnavailable,
    HandleNotFound,
)
from contest_pipelines.domain import backoff
from contest_pipelines.domain.ranking import encode
from contest_pipelines.domain.validation_matrix import Detected, Pending, Rejected, Submission, Target, evaluate
from contest_pipelines.player_sync import queue
from contest_pipelines.player_sync.queue import ClaimedRequest, StaleClaim

# Only replace the player's sync hash if it still describes this request (a newer sync may own it).
_SET_STATE_IF_OWNER = """
if redis.call('HGET', KEYS[1], 'requestId') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'updatedAt', ARGV[3])
  return 1
end
return 0
"""


# The outcome a requeue counts as in a run's metadata, by why the request waits.
OUTCOMES = {
    events.REASON_JUDGING: "pending",
    events.REASON_CF_UNAVAILABLE: "retry",
    events.REASON_RATE_LIMITED: "rate_limited",
}


@dataclass(frozen=True)
class Policy:
    retry_base_seconds: float = 5.0
    max_attempts: int = 4
    recheck_seconds: float = 5.0
    deadline_seconds: float = 300.0
    stream_maxlen: int = events.DEFAULT_STREAM_MAXLEN


@dataclass
class BatchReport:
    requests: int = 0
    handles: int = 0
    api_calls: int = 0
    paced_seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)
    # One lookup per handle. Failed: no answer (unreachable, timeout, 5xx, garbage, or the circuit an
    # outage opened stopped it); rate limited: a call limit stopped it. The others got an answer.
    failed_calls: int = 0
    rate_limited_calls: int = 0
    last_error: str | None = None
    next_retry_at: datetime | None = None

    def call_failed(self, error: str, *, rate_limited: bool = False, stopped_by_circuit: bool = False) -> None:
        if rate_limited:
            self.rate_limited_calls += 1
        else:
            self.failed_calls += 1
        # The answer that opened the circuit says more than the calls it then stopped.
        if not stopped_by_circuit or self.last_error is None:
            self.last_error = error

    @property
    def requests_retried(self) -> int:
        """Requests a failed lookup returned to the queue for a later attempt (the dead ones are not)."""
        return self.outcomes["retry"] + self.outcomes["rate_limited"]

    @property
    def judge_unreachable(self) -> bool:
        """No lookup of the batch got an answer from Codeforces, and an outage (not only a call limit) is why."""
        return self.failed_calls > 0 and self.failed_calls + self.rate_limited_calls == self.handles

    def retry_summary(self) -> str:
        """What became of the requests a failed lookup left unanswered, for an operator to read."""
        parts = []
        if self.requests_retried:
            when = f" at {self.next_retry_at:%Y-%m-%d %H:%M:%S} UTC" if self.next_retry_at else ""
            parts.append(f"{_requests(self.requests_retried)} returned to the queue for retry{when}")
        if self.outcomes["dead"]:
            parts.append(f"{_requests(self.outcomes['dead'])} gave up as cf_unavailable (dead)")
        return "; ".join(parts) or "no request was left waiting"

    def as_metadata(self) -> dict:
        metadata = {
            "requests": self.requests,
            "handles": self.handles,
            "api_calls": self.api_calls,
            "paced_seconds": round(self.paced_seconds, 3),
            "failed_calls": self.failed_calls,
            "rate_limited_calls": self.rate_limited_calls,
            "requests_retried": self.requests_retried,
            **{f"outcome_{name}": count for name, count in sorted(self.outcomes.items())},
        }
        if self.last_error is not None:
            metadata["last_error"] = self.last_error
        if self.next_retry_at is not None:
            metadata["next_retry_at"] = self.next_retry_at.isoformat()
        return metadata


def _requests(n: int) -> str:
    return f"{n} request{'s' if n != 1 else ''}"


class SyncWorker:
    def __init__(
        self, engine: sa.Engine, redis_client: redis.Redis, cf: CodeforcesClient, policy: Policy, log: logging.Logger
    ):
        self.engine, self.redis, self.cf, self.policy, self.log = engine, redis_client, cf, policy, log
        self._set_state = redis_client.register_script(_SET_STATE_IF_OWNER)
        self._next_retry_at: datetime | None = None  # the earliest retry the current batch scheduled

    def process(self, request_ids: list[str], run_id: str) -> BatchReport:
        self._next_retry_at = None
        with self.engine.begin() as conn:
            claimed = queue.claim(conn, request_ids, run_id)
        by_handle: dict[str, list[ClaimedRequest]] = defaultdict(list)
        for req in claimed:
            by_handle[req.cf_handle.casefold()].append(req)
        report = BatchReport(handles=len(by_handle))
        for requests in by_handle.values():
            # Requests for this handle that arrived since the sensor's tick ride on the same call.
            with self.engine.begin() as conn:
                requests = requests + queue.claim_handle(conn, requests[0].cf_handle, run_id)
            for req in requests:
                self._publish_state(req, "running")
            for req, outcome in self._process_handle(requests, run_id, report):
                report.outcomes[outcome] += 1
            report.requests += len(requests)
        report.api_calls, report.paced_seconds = self.cf.api_calls, self.cf.paced_seconds
        report.next_retry_at = self._next_retry_at
        return report

    def _process_handle(self, requests: list[ClaimedRequest], run_id: str, report: BatchReport):
        handle = requests[0].cf_handle
        try:
            submissions = self.cf.user_status(handle, count=20)
        except (HandleNotFound, CodeforcesRequestError) as exc:
            return [(req, self._fail(req, run_id, verdict="invalid", detail=str(exc))) for req in requests]
        except (CodeforcesCallLimit, CodeforcesCircuitOpen) as exc:
            stopped = isinstance(exc, CodeforcesCircuitOpen)
            if isinstance(exc, CodeforcesCallLimit) or exc.call_limit:
                report.call_failed(str(exc), rate_limited=True, stopped_by_circuit=stopped)
                # A rate limit is not the request's fault: it waits for the circuit without using an attempt.
                until = self.cf.circuit_open_until() if isinstance(exc, CodeforcesCallLimit) else exc.until
                delay = (until - datetime.now(UTC)).total_seconds() if until else self.cf.circuit_seconds
                return [(req, self._wait_for_limit(req, run_id, delay, str(exc))) for req in requests]
            # Open because the judge is down: waiting for it is a failed attempt, so the player hears
            # cf_unavailable after the three retries instead of waiting out every circuit.
            report.call_failed(str(exc), stopped_by_circuit=True)
            return [(req, self._retry_after_error(req, run_id, str(exc))) for req in requests]
        except CodeforcesUnavailable as exc:  # 503 (which also opens the circuit), other 5xx, timeouts, garbage
            report.call_failed(str(exc))
            return [(req, self._retry_after_error(req, run_id, str(exc))) for req in requests]
        except CodeforcesError as exc:  # a new kind of client error: fail loudly but keep the request
            self.log.error("unexpected Codeforces error for %s: %s", handle, exc)
            report.call_failed(str(exc))
            return [(req, self._retry_after_error(req, run_id, str(exc))) for req in requests]
        return [(req, self._decide(req, run_id, submissions)) for req in requests]

    def _decide(self, req: ClaimedRequest, run_id: str, submissions: list[Submission]) -> str:
        target = Target(req.problem_id, req.cf_handle, req.revealed_at.timestamp(), req.ends_at.timestamp())
        outcome = evaluate(submissions, target)
        if isinstance(outcome, Detected):
            return self._detect(req, run_id, outcome.submission)
        if isinstance(outcome, Pending):
            detail = f"submission {outcome.submission.id} is still being judged"
            if self._past_deadline(req):
                return self._dead(req, run_id, req.attempts, f"{detail} after {self.policy.deadline_seconds:.0f} s")
            return self._requeue(
                req, run_id, self.policy.recheck_seconds, req.attempts, req.rechecks + 1, detail, events.REASON_JUDGING
            )
        assert isinstance(outcome, Rejected)
        return self._fail(req, run_id, verdict=outcome.verdict, detail=outcome.detail)

    def _detect(self, req: ClaimedRequest, run_id: str, sub: Submission) -> str:
        raw = {
            "id": sub.id,
            "creationTimeSeconds": sub.creation_time,
            "verdict": sub.verdict,
            "handles": list(sub.handles),
        }
        try:
            with self.engine.begin() as conn:
                row = queue.record_detection(conn, req, run_id, sub.id, sub.creation_time, raw)
        except StaleClaim:
            self.log.warning(
                "request %s was released from run %s before it settled; left to its new owner", req.id, run_id
            )
            return "stale"
        if row is None:
            return self._fail(
                req,
                run_id,
                verdict="invalid",
                detail=f"submission {sub.id} is already credited to another player in this room",
            )
        payload = events.detected_payload(
            room_id=row["room_id"],
            user_id=row["user_id"],
            team_id=row["team_id"],
            problem_id=row["problem_id"],
            cf_submission_id=row["cf_submission_id"],
            cf_timestamp=row["cf_timestamp"],
            points_awarded=row["points_awarded"],
        )
        self._emit(req, "detected", events.SYNC_DETECTED, payload)
        if "board_version" in row:
            self._project_room(req, row)
        return "detected"

    def _project_room(self, req: ClaimedRequest, row: dict) -> None:
        """Keep the live room board current; if this cannot apply, its next read rebuilds it."""
        try:
            scoreboards.project(
                self.redis,
                "room",
                req.room_id,
                row["board_version"],
                {req.user_id: encode(int(row["room_points"]), row["room_last_scored_at"])},
            )
        except redis.RedisError as exc:
            self.log.warning("room board %s not updated: %s", req.room_id, exc)

    def _fail(self, req: ClaimedRequest, run_id: str, *, verdict: str, detail: str) -> str:
        with self.engine.begin() as conn:
            settled = queue.mark_failed(conn, req, run_id, status="failed", reason=verdict, detail=detail)
        if settled:
            self._emit(req, "failed", events.SYNC_FAILED, events.failed_payload(verdict=verdict, detail=detail))
        return f"failed_{verdict}"

    def _dead(self, req: ClaimedRequest, run_id: str, attempts: int, detail: str) -> str:
        with self.engine.begin() as conn:
            settled = queue.mark_failed(
                conn, req, run_id, status="dead", reason=events.REASON_CF_UNAVAILABLE, detail=detail, attempts=attempts
            )
        if settled:
            payload = events.failed_payload(reason=events.REASON_CF_UNAVAILABLE, detail=detail)
            self._emit(req, "dead", events.SYNC_FAILED, payload)
        return "dead"

    def _retry_after_error(self, req: ClaimedRequest, run_id: str, detail: str) -> str:
        attempts = req.attempts + 1
        if backoff.exhausted(attempts, self.policy.max_attempts) or self._past_deadline(req):
            return self._dead(req, run_id, attempts, f"{detail} (attempt {attempts} of {self.policy.max_attempts})")
        delay = backoff.retry_delay(attempts, self.policy.retry_base_seconds)
        return self._requeue(req, run_id, delay, attempts, req.rechecks, detail, events.REASON_CF_UNAVAILABLE)

    def _wait_for_limit(self, req: ClaimedRequest, run_id: str, delay: float, detail: str) -> str:
        if self._past_deadline(req):
            return self._dead(
                req, run_id, req.attempts, f"{detail}; gave up after {self.policy.deadline_seconds:.0f} s"
            )
        return self._requeue(
            req, run_id, max(delay, 0.0), req.attempts, req.rechecks, detail, events.REASON_RATE_LIMITED
        )

    def _requeue(
        self, req: ClaimedRequest, run_id: str, delay: float, attempts: int, rechecks: int, detail: str, reason: str
    ) -> str:
        """Back to the queue; the player learns why from the status route and, for a retry, a `sync.retrying` event."""
        with self.engine.begin() as conn:
            next_at = queue.requeue(
                conn,
                req,
                run_id,
                delay_seconds=delay,
                attempts=attempts,
                rechecks=rechecks,
                detail=detail,
                reason=reason,
            )
        if next_at is None:
            return "stale"
        if reason == events.REASON_JUDGING:
            self._publish_state(req, "queued")
        else:
            if self._next_retry_at is None or next_at < self._next_retry_at:
                self._next_retry_at = next_at
            payload = events.retrying_payload(
                attempt=attempts,
                max_attempts=self.policy.max_attempts,
                next_attempt_at=next_at,
                reason=reason,
                detail=detail,
            )
            self._emit(req, "queued", events.SYNC_RETRYING, payload)
        return OUTCOMES[reason]

    def _past_deadline(self, req: ClaimedRequest) -> bool:
        return (datetime.now(UTC) - req.created_at).total_seconds() >= self.policy.deadline_seconds

    def _emit(self, req: ClaimedRequest, status: str, event_type: str, payload: dict) -> None:
        """Redis after the commit: PostgreSQL holds the outcome even if this publish is lost."""
        try:
            events.publish(self.redis, req.user_id, event_type, payload, maxlen=self.policy.stream_maxlen)
            self._publish_state(req, status)
        except redis.RedisError as exc:
            self.log.warning("could not publish %s for request %s: %s", event_type, req.id, exc)

    def _publish_state(self, req: ClaimedRequest, status: str) -> None:
        try:
            key = events.sync_state_key(req.room_id, req.user_id)
            self._set_state(keys=[key], args=[req.id, status, datetime.now(UTC).isoformat()])
        except redis.RedisError as exc:
            self.log.warning("could not update %s: %s", events.sync_state_key(req.room_id, req.user_id), exc)
