"""Alerts, pure: a breach is announced once when it starts and once when it ends, never once per tick,
and the message is a Slack-compatible body (`text`, plus `blocks` for Slack; any JSON receiver reads it)."""

from dataclasses import dataclass
from typing import Literal

Change = Literal["breach", "recovered"]


def transition(failing: dict[str, bool], key: str, now_failing: bool) -> Change | None:
    """Record the latest state of `key` in `failing`; what to announce, if anything. A key never seen
    before that passes announces nothing; one that fails starts a breach."""
    was = failing.get(key, False)
    failing[key] = now_failing
    if now_failing and not was:
        return "breach"
    if was and not now_failing:
        return "recovered"
    return None


@dataclass(frozen=True)
class Alert:
    change: Change
    subject: str  # `asset/check` or `job <name>`
    detail: str
    link: str | None = None

    def body(self) -> dict:
        icon, verb = (":rotating_light:", "BREACHED") if self.change == "breach" else (":white_check_mark:", "resolved")
        text = f"{icon} {verb}: {self.subject}: {self.detail}"
        if self.link:
            text += f" <{self.link}|open in Dagster>"
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            "alert": {"change": self.change, "subject": self.subject, "detail": self.detail, "link": self.link},
        }
