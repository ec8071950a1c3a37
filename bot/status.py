"""What `newsbot status` shows, built from the state database so it works while the daemon runs.

Feeds and destinations come from the store's own tables. What only the daemon knows (the rules in
force, a rejected rule edit, its heartbeat, the operator notices already sent) it records in the
store's small ``service_state`` key/value table (migration 2).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.age import describe
from bot.config import Config
from bot.schedule import DigestSchedule
from bot.store import Store
from bot.store.safety import backups, free_bytes, size_on_disk
from bot.store.timefmt import dt, iso

#: `status` counts readers' feedback over this many days
FEEDBACK_DAYS = 7

RULES, DAEMON, RELOAD = "rules", "daemon", "reload"
#: less free space than this where the state lives: the daemon cannot record anything
FULL_BELOW = 256 * 1024


# ---------------------------------------------------------------------------- the key/value table


def put_state(store: Store, key: str, value: dict[str, Any], *, now: datetime) -> None:
    store.put_state(key, value, now=now)


def get_state(store: Store, key: str) -> dict[str, Any] | None:
    return store.get_state(key)


def claim_notice(store: Store, notice: str, *, now: datetime) -> bool:
    """Record that operator notice `notice` goes out now; False if it already went (send it once)."""
    return store.claim_once(f"notice:{notice}", now=now)


# ---------------------------------------------------------------------------- daemon-side records


def record_rules_loaded(store: Store, *, files: list[str], rules: int, now: datetime) -> None:
    put_state(
        store,
        RULES,
        {"files": files, "rules": rules, "loaded_at": iso(now), "error": None},
        now=now,
    )


def record_rules_rejected(store: Store, *, error: str, now: datetime) -> None:
    """A broken edit: keep what is in force, add the error beside it."""
    current = get_state(store, RULES) or {"files": [], "rules": 0, "loaded_at": None}
    put_state(store, RULES, {**current, "error": error, "error_at": iso(now)}, now=now)


def record_heartbeat(
    store: Store, *, pid: int, started_at: datetime, now: datetime, last_cycle_at: datetime | None
) -> None:
    put_state(
        store,
        DAEMON,
        {
            "pid": pid,
            "started_at": iso(started_at),
            "heartbeat_at": iso(now),
            "last_cycle_at": iso(last_cycle_at),
        },
        now=now,
    )


def record_stopped(store: Store, *, now: datetime) -> None:
    """A clean stop: `status` says so at once instead of waiting for heartbeats to go stale."""
    state = get_state(store, DAEMON) or {}
    put_state(store, DAEMON, {**state, "stopped_at": iso(now)}, now=now)


def record_reload(
    store: Store, *, applied: Sequence[str], needs_restart: Sequence[tuple[str, str]], now: datetime
) -> None:
    """What the last reload applied and what waits for a restart (`clear_reload` at start-up)."""
    put_state(store, RELOAD, {"at": iso(now), "applied": list(applied),
                              "needs_restart": [list(p) for p in needs_restart]},
              now=now)  # fmt: skip


def clear_reload(store: Store, *, now: datetime) -> None:
    """A (re)start applies everything: nothing waits any more."""
    put_state(store, RELOAD, {"at": None, "applied": [], "needs_restart": []}, now=now)


# ---------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True)
class FeedStatus:
    name: str
    url: str
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int
    items: int
    next_poll: datetime | None
    disabled: bool
    held_back: int = 0  # new items older than max_age when first seen: stored, not delivered
    held_back_matched: int = 0  # ... of which a rule matched
    max_age: str = "3d"  # the limit in force for this feed, as the config writes it

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures > 0 or self.disabled


@dataclass(frozen=True, slots=True)
class DestinationStatus:
    name: str
    type: str
    last_sent: datetime | None
    pending: int
    last_error: str | None
    failing_since: datetime | None
    dead_letters: int
    next_digest: datetime | None  # in `timezone`; None: sent after each poll that found something
    timezone: str = "UTC"  # the destination's: its schedule is read in it
    schedule: str | None = None  # the cron schedule as written, or "every 3600s"


@dataclass(frozen=True, slots=True)
class RulesStatus:
    files: tuple[str, ...]
    rules: int
    loaded_at: datetime | None
    error: str | None  # the last edit was rejected; the rules above stay in force
    error_at: datetime | None


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    pid: int
    started_at: datetime | None
    heartbeat_at: datetime | None
    last_cycle_at: datetime | None
    alive: bool  # a heartbeat recently enough


@dataclass(frozen=True, slots=True)
class ReloadStatus:
    at: datetime | None
    applied: tuple[str, ...]  # settings the last reload changed and applied
    needs_restart: tuple[tuple[str, str], ...]  # (setting, why) it changed but could not apply


@dataclass(frozen=True, slots=True)
class StateFileStatus:
    path: str
    size: int  # bytes, with the WAL
    free: int  # bytes free where it lives
    backups: tuple[str, ...]  # newest first
    problem: str | None  # the disk is full: nothing can be recorded

    @property
    def is_failing(self) -> bool:
        return self.problem is not None


@dataclass(frozen=True, slots=True)
class StatusReport:
    generated_at: datetime
    daemon: DaemonStatus | None
    rules: RulesStatus | None
    feeds: tuple[FeedStatus, ...]
    destinations: tuple[DestinationStatus, ...]
    #: readers' votes of the last FEEDBACK_DAYS days per verdict (relevant, not_relevant, missed)
    feedback: dict[str, int] = field(default_factory=dict)
    reload: ReloadStatus | None = None
    state: StateFileStatus | None = None

    @property
    def failing_feeds(self) -> tuple[FeedStatus, ...]:
        return tuple(f for f in self.feeds if f.is_failing)

    @property
    def pending(self) -> int:
        return sum(d.pending for d in self.destinations)


def build_status(store: Store, *, config: Config, now: datetime) -> StatusReport:
    # every configured feed, in config order: one never polled yet shows as such; a feed removed
    # from the config is history, not status
    known = {f.url: f for f in store.feeds()}
    feeds = tuple(
        FeedStatus(
            name=f.name if f else c.name,  # a feed without `name` is shown by its own title
            url=c.url,
            last_success=f.last_success_at if f else None,
            last_error=f.last_error if f else None,
            consecutive_failures=f.consecutive_failures if f else 0,
            items=f.items_total if f else 0,
            next_poll=f.next_poll_at if f else None,
            disabled=f.disabled if f else False,
            held_back=f.held_back_total if f else 0,
            held_back_matched=f.held_back_matched if f else 0,
            max_age=describe(c.max_age),
        )
        for c in config.feeds
        for f in (known.get(c.url),)
    )
    states = {s.name: s for s in store.destination_states([d.name for d in config.destinations])}
    destinations = []
    for d in config.destinations:
        s = states[d.name]
        schedule = DigestSchedule.for_destination(d)
        destinations.append(
            DestinationStatus(
                name=d.name,
                type=d.type,
                last_sent=s.last_sent_at,
                pending=s.pending,
                last_error=s.last_error,
                failing_since=s.failing_since,
                dead_letters=s.dead_letters,
                next_digest=schedule.next_slot(None, now).send_at.astimezone(schedule.tz)
                if schedule
                else None,
                timezone=d.timezone,
                schedule=d.schedule or (f"every {d.every:g}s" if d.every else None),
            )
        )
    return StatusReport(
        generated_at=now,
        daemon=daemon_status(get_state(store, DAEMON), now=now, heartbeat=config.service.heartbeat),
        rules=_rules(get_state(store, RULES)),
        feeds=feeds,
        destinations=tuple(destinations),
        feedback=store.feedback_counts(now - timedelta(days=FEEDBACK_DAYS)),
        reload=_reload(get_state(store, RELOAD)),
        state=_state_file(store.path),
    )


def _reload(raw: dict[str, Any] | None) -> ReloadStatus | None:
    if not raw or raw.get("at") is None:
        return None
    return ReloadStatus(
        at=dt(raw.get("at")),
        applied=tuple(raw.get("applied", ())),
        needs_restart=tuple((str(s), str(why)) for s, why in raw.get("needs_restart", ())),
    )


def _state_file(path: Path) -> StateFileStatus:
    free = free_bytes(path)
    problem = None
    if free < FULL_BELOW:
        # the daemon cannot record this itself: the disk it would write to is full
        problem = (
            f"the disk holding {path.parent} is full ({free} bytes free): nothing can be recorded"
        )
    return StateFileStatus(path=str(path), size=size_on_disk(path), free=free,
                           backups=tuple(str(b) for b in backups(path)), problem=problem)  # fmt: skip


def daemon_status(
    raw: dict[str, Any] | None, *, now: datetime, heartbeat: float
) -> DaemonStatus | None:
    if raw is None:
        return None
    beat = dt(raw.get("heartbeat_at"))
    # three missed heartbeats (and at least 30 s) before calling it dead: a busy loop is not a dead one
    alive = (
        beat is not None
        and not raw.get("stopped_at")
        and now - beat <= timedelta(seconds=max(3 * heartbeat, 30.0))
    )
    return DaemonStatus(
        pid=int(raw.get("pid", 0)),
        started_at=dt(raw.get("started_at")),
        heartbeat_at=beat,
        last_cycle_at=dt(raw.get("last_cycle_at")),
        alive=alive,
    )


def _rules(raw: dict[str, Any] | None) -> RulesStatus | None:
    if raw is None:
        return None
    return RulesStatus(
        files=tuple(raw.get("files", ())),
        rules=int(raw.get("rules", 0)),
        loaded_at=dt(raw.get("loaded_at")),
        error=raw.get("error"),
        error_at=dt(raw.get("error_at")),
    )


def to_json(report: StatusReport) -> str:
    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(f"status: cannot encode {type(value).__name__}")

    data = asdict(report)
    data["failing_feeds"] = len(report.failing_feeds)
    data["pending"] = report.pending
    return json.dumps(data, default=default, ensure_ascii=False, indent=2)
