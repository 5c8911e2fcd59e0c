"""The match provider client: the only module that asks for a prediction room's match status and score."""

import logging

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from contest_pipelines.domain.room_status import MatchReport

log = logging.getLogger(__name__)


class MatchProviderError(Exception):
    """The provider could not tell us (fault, timeout, garbage): ask again on a later tick."""


class MatchNotFound(MatchProviderError):
    pass


class _Match(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: str
    homeScore: int | None = None
    awayScore: int | None = None


class MatchProviderClient:
    def __init__(self, base_url: str, *, timeout_seconds: float = 5.0, transport: httpx.BaseTransport | None = None):
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/", timeout=timeout_seconds, transport=transport)
        self.api_calls = 0

    def close(self) -> None:
        self._http.close()

    def match(self, room_id: str) -> MatchReport:
        self.api_calls += 1
        try:
            response = self._http.get(f"matches/{room_id}")
        except httpx.HTTPError as exc:
            raise MatchProviderError(f"match {room_id}: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise MatchNotFound(f"the provider knows no match {room_id}")
        if response.status_code != 200:
            raise MatchProviderError(f"match {room_id}: HTTP {response.status_code}")
        try:
            body = _Match.model_validate_json(response.content)
        except ValidationError:
            log.error("match provider returned an unparseable body for %s: %r", room_id, response.text[:200])
            raise MatchProviderError(f"match {room_id}: unparseable answer") from None
        report = MatchReport(body.status.lower(), body.homeScore, body.awayScore)
        if report.final and (report.home is None or report.away is None or report.home < 0 or report.away < 0):
            # Never settle on partial data: an ended match without a full score is a fault.
            raise MatchProviderError(f"match {room_id}: ended without a complete score")
        return report
