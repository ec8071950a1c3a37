"""What a reload (SIGHUP) changes: the old and new config compared setting by setting.

Every setting either takes effect at once or is named, with the reason, as needing a restart; the
daemon logs both lists and records them for `newsbot status` (`bot.status.record_reload`), so a reload never hides anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from bot.config import Config
from bot.config.model import FeedbackConfig
from bot.workers import POOL_MIN_FEEDS

#: settings that cannot change while the daemon runs, and why
RESTART_REASONS = {
    "state.path": "the daemon holds the state database open",
    "workers": f"worker processes start with the daemon (they run from {POOL_MIN_FEEDS} feeds up)",
    "feedback": "the feedback service starts and stops with the daemon",
    "feedback.listen": "the feedback service binds its address when the daemon starts",
}


@dataclass(frozen=True, slots=True)
class ConfigChange:
    applied: tuple[str, ...]  # settings that changed and took effect
    needs_restart: tuple[tuple[str, str], ...]  # (setting, why) that changed and wait for a restart

    @property
    def fetch(self) -> bool:
        return any(s.startswith("fetch.") for s in self.applied)


def config_diff(old: Config, new: Config, *, workers_running: bool) -> ConfigChange:
    """Each changed setting, by its config name (``fetch.concurrency``, ``feeds``, ``log.level``).

    `old` is what is in force (`in_force` keeps what waits for a restart as it runs), so a setting
    that waits is named again by every reload until the restart; `workers_running`: whether the
    daemon started worker processes."""
    changed: list[str] = []
    for section in ("state", "rules", "fetch", "service", "log"):
        a, b = getattr(old, section), getattr(new, section)
        changed += (f"{section}.{f.name}" for f in dataclasses.fields(a)
                    if getattr(a, f.name) != getattr(b, f.name))  # fmt: skip
    changed += [
        name for name in ("feeds", "destinations") if getattr(old, name) != getattr(new, name)
    ]
    changed += _feedback_changes(old, new)
    if workers_running != (len(new.feeds) >= POOL_MIN_FEEDS):
        changed.append("workers")
    restart = tuple((s, RESTART_REASONS[s]) for s in changed if s in RESTART_REASONS)
    applied = tuple(s for s in changed if s not in RESTART_REASONS)
    return ConfigChange(applied=applied, needs_restart=restart)


def _feedback_changes(old: Config, new: Config) -> list[str]:
    """``[feedback]`` turned on or off, or which of its settings changed (host and port: listen)."""
    a, b = old.feedback, new.feedback
    if a == b:
        return []
    if a is None or b is None:
        return ["feedback"]
    names = {"host": "listen", "port": "listen"}
    changed = (names.get(f.name, f.name) for f in dataclasses.fields(a)
               if getattr(a, f.name) != getattr(b, f.name))  # fmt: skip
    return [f"feedback.{name}" for name in dict.fromkeys(changed)]


def in_force(new: Config, running: Config) -> Config:
    """`new`, except the settings that need a restart, which stay as `running` has them."""
    state = dataclasses.replace(new.state, path=running.state.path)
    feedback = _feedback_in_force(new, running)
    # digests link to the service that runs, not to one a restart would start
    dests = tuple(dataclasses.replace(d, feedback=feedback) for d in new.destinations)
    return dataclasses.replace(new, state=state, feedback=feedback, destinations=dests)


def _feedback_in_force(new: Config, running: Config) -> FeedbackConfig | None:
    """The service stays on (or off) and on its address until a restart; the rest applies."""
    if new.feedback is None or running.feedback is None:
        return running.feedback
    return dataclasses.replace(new.feedback, host=running.feedback.host, port=running.feedback.port)


def describe(change: ConfigChange) -> str:
    """``fetch.concurrency, feeds applied; state.path needs a restart (…)``, for logs and STATUS."""
    parts = [", ".join(change.applied) + " applied" if change.applied else "nothing changed"]
    if change.needs_restart:
        parts.append("; ".join(f"{s} needs a restart ({why})" for s, why in change.needs_restart))
    return "; ".join(parts)
