"""A service-level objective measured once: whether it holds, what the operator reads, and the figures."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SloResult:
    passed: bool
    description: str  # one sentence: the figure against its limit
    metadata: dict = field(default_factory=dict)


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
