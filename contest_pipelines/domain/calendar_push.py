"""What a push must do to one player's Google calendar: the difference between what it should hold and
what Google last confirmed it holds. Pure: the executor (calendar/push.py) applies it."""

from __future__ import annotations

from dataclasses import dataclass, field

ContestKey = tuple[str, str]  # (judge, key)


@dataclass(frozen=True)
class Pushed:
    event_id: str
    fingerprint: str
    deleted: bool = False


@dataclass(frozen=True)
class Plan:
    inserts: list[ContestKey] = field(default_factory=list)  # not there yet (or deleted there and wanted again)
    updates: list[ContestKey] = field(default_factory=list)  # there, but the body differs
    deletes: list[ContestKey] = field(default_factory=list)  # there, no longer wanted
    unchanged: int = 0

    @property
    def writes(self) -> int:
        return len(self.inserts) + len(self.updates) + len(self.deletes)


def plan(desired: dict[ContestKey, str], pushed: dict[ContestKey, Pushed]) -> Plan:
    """`desired`: contest -> fingerprint of the body it should have; `pushed`: what Google holds."""
    inserts, updates, deletes, unchanged = [], [], [], 0
    for key, fingerprint in sorted(desired.items()):
        there = pushed.get(key)
        if there is None or there.deleted:
            inserts.append(key)
        elif there.fingerprint != fingerprint:
            updates.append(key)
        else:
            unchanged += 1
    deletes = sorted(k for k, p in pushed.items() if not p.deleted and k not in desired)
    return Plan(inserts, updates, deletes, unchanged)
