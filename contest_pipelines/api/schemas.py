"""Request and response models of the HTTP API (camelCase on the wire, like the events)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contest_pipelines.domain.validation_matrix import normalize_problem_id


class SyncBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roomId: str = Field(min_length=1, max_length=200)
    problemId: str = Field(min_length=2, max_length=32, examples=["1843A"])

    @field_validator("problemId")
    @classmethod
    def _problem_id(cls, value: str) -> str:
        return normalize_problem_id(value)


class SyncQueued(BaseModel):
    queued: bool = True
    requestId: str
    position: int


class ErrorBody(BaseModel):
    error: str
    detail: str | None = None


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
