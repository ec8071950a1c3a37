"""Configuration: one TOML file, parsed once into frozen dataclasses.

Lookup order (see `find_config`): ``--config PATH``, ``$NEWSBOT_CONFIG``, ``./newsbot.toml``,
``/etc/newsbot/newsbot.toml``. Relative paths resolve against the config file's folder. ``${VAR}``
expands from the environment (plus an optional env file) so secrets stay out of the file.
Every problem is a `ConfigError` naming file, line and key; unknown keys are errors.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

DEFAULT_LOCATIONS = (Path("newsbot.toml"), Path("/etc/newsbot/newsbot.toml"))
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def parse_duration(value: str | int | float) -> float:
    """``"30s"`` / ``"15m"`` / ``"1h"`` / ``"2d"`` / a bare number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (write e.g. 30s, 15m, 1h)")
    return float(m.group(1)) * _UNITS[m.group(2)]


# ---------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True, slots=True)
class StateConfig:
    path: Path
    # items older than this are forgotten once delivered everywhere; must exceed how long feeds
    # keep an item, or an old item still in a feed would look new again
    retention: float = 180 * 86400.0


@dataclass(frozen=True, slots=True)
class RulesConfig:
    paths: tuple[Path, ...]
    watch: bool = True


@dataclass(frozen=True, slots=True)
class FetchConfig:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # total per feed, however slowly bytes trickle in
    max_feed_bytes: int = 15 * 1024 * 1024  # decoded size
    concurrency: int = 100  # feeds in flight at once, globally
    per_host: int = 4  # feeds in flight at once per host
    min_host_interval: float = 0.0  # seconds between two requests to one host
    clients: int = 4  # httpx clients the connections are spread over
    max_redirects: int = 5
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str
    name: str
    lang: str | None = None
    interval: float = 900.0
    fetch_full_text: bool = False
    allow_private_hosts: bool = False
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SlackOptions:
    webhook_url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    channel: str | None = None
    api_url: str = "https://slack.com/api"


@dataclass(frozen=True, slots=True)
class EmailOptions:
    smtp_host: str
    from_addr: str
    to: tuple[str, ...]
    smtp_port: int = 25
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    templates_dir: Path | None = None
    subject_prefix: str = ""


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    color: str = "auto"  # auto | always | never


@dataclass(frozen=True, slots=True)
class FileOptions:
    dir: Path
    format: str = "html"  # html | text | json


@dataclass(frozen=True, slots=True)
class AppriseOptions:
    urls: tuple[str, ...] = field(repr=False)


DestinationOptions = (
    SlackOptions | EmailOptions | WebhookOptions | ConsoleOptions | FileOptions | AppriseOptions
)


@dataclass(frozen=True, slots=True)
class DestinationConfig:
    name: str
    type: str
    options: DestinationOptions
    rules: tuple[str, ...] = ()  # empty: every rule
    tags: tuple[str, ...] = ()  # empty: every tag
    min_score: float = 0.0
    send_empty: bool = False
    schedule: str | None = None  # cron "0 8 * * *"
    every: float | None = None  # seconds
    timezone: str = "UTC"
    quiet_hours: str | None = None  # "22:00-07:00"
    urgent: bool = True  # send urgent rules at once
    title: str = "Vietnam–Japan"
    max_attempts: int = 10

    def wants(self, rule: str, tags: tuple[str, ...], score: float) -> bool:
        """Routing: does this destination take an item matched by `rule`?"""
        if score < self.min_score:
            return False
        if self.rules and rule not in self.rules:
            return False
        return not self.tags or bool(set(self.tags) & set(tags))


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    heartbeat: float = 5.0
    jitter: float = 0.1  # fraction of a feed's interval
    max_backoff: float = 6 * 3600.0
    notice_destination: str | None = None
    notice_feed_failures: int = 5
    notice_destination_failing_for: float = 3600.0


@dataclass(frozen=True, slots=True)
class LogConfig:
    level: str = "info"


@dataclass(frozen=True, slots=True)
class Config:
    source: Path
    state: StateConfig
    rules: RulesConfig
    fetch: FetchConfig
    feeds: tuple[FeedConfig, ...]
    destinations: tuple[DestinationConfig, ...]
    service: ServiceConfig = ServiceConfig()
    log: LogConfig = LogConfig()

    def destination(self, name: str) -> DestinationConfig:
        for d in self.destinations:
            if d.name == name:
                return d
        known = ", ".join(d.name for d in self.destinations) or "none"
        raise ConfigError(f"no destination named {name!r} (configured: {known})", path=self.source)


# ---------------------------------------------------------------------------- loading


def find_config(explicit: str | Path | None, environ: Mapping[str, str]) -> Path:
    if explicit:
        return Path(explicit)
    if environ.get("NEWSBOT_CONFIG"):
        return Path(environ["NEWSBOT_CONFIG"])
    for candidate in DEFAULT_LOCATIONS:
        if candidate.exists():
            return candidate
    raise ConfigError(
        "no config file: pass --config PATH, set NEWSBOT_CONFIG, or create ./newsbot.toml "
        "(see newsbot.example.toml)"
    )


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (systemd EnvironmentFile style); ``#`` comments, optional quotes."""
    out: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read env file: {exc.strerror}", path=path) from exc
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ")
        if "=" not in line:
            raise ConfigError("expected KEY=value", path=path, line=n)
        k, v = line.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            v = v[1:-1]
        out[k.strip()] = v
    return out


class _Locator:
    """Finds the line of a key in the raw TOML text, so errors can name it (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line_of(self, table: str | None, index: int | None, key: str | None) -> int | None:
        start, end = 0, len(self.lines)
        if table is not None:
            header = f"[[{table}]]" if index is not None else f"[{table}]"
            hits = [i for i, ln in enumerate(self.lines) if ln.strip().startswith(header)]
            pos = hits[index or 0] if len(hits) > (index or 0) else None
            if pos is None:
                return None
            start = pos
            end = next(
                (
                    i
                    for i in range(pos + 1, len(self.lines))
                    if self.lines[i].lstrip().startswith("[")
                ),
                len(self.lines),
            )
            if key is None:
                return pos + 1
        if key is None:
            return None
        pat = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for i in range(start, end):
            if pat.match(self.lines[i]):
                return i + 1
        return start + 1 if table is not None else None


class _Section:
    """Typed reads from one TOML table, with unknown-key detection and located errors."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        path: Path,
        loc: _Locator,
        table: str | None,
        index: int | None,
        env: Mapping[str, str],
    ) -> None:
        self.data, self.path, self.loc, self.table, self.index, self.env = (
            data,
            path,
            loc,
            table,
            index,
            env,
        )
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        if self.table is None:
            return key
        return (
            f"{self.table}[{self.index}].{key}" if self.index is not None else f"{self.table}.{key}"
        )

    def error(self, key: str | None, message: str) -> ConfigError:
        line = self.loc.line_of(self.table, self.index, key)
        return ConfigError(
            message, path=self.path, line=line, key=self._name(key) if key else self.table
        )

    def _expand(self, key: str, value: str) -> str:
        def sub(m: re.Match[str]) -> str:
            var = m.group(1)
            if var not in self.env:
                raise self.error(key, f"environment variable {var} is not set")
            return self.env[var]

        return _ENV_REF.sub(sub, value)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.used.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(key, f"expected {_kind_name(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise self.error(key, f"expected {_kind_name(kinds)}, got {type(value).__name__}")
        if isinstance(value, str):
            value = self._expand(key, value)
        return value

    def require(self, key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in self.data:
            self.used.add(key)
            raise self.error(key, "missing required key")
        return self.get(key, kind)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key, (list, str), [])
        if isinstance(value, str):
            return (value,)
        if not all(isinstance(v, str) for v in value):
            raise self.error(key, "expected a list of strings")
        return tuple(self._expand(key, v) for v in value)

    def duration(self, key: str, default: float | None) -> float | None:
        value = self.get(key, (str, int, float))
        if value is None:
            return default
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None
        if seconds <= 0:
            raise self.error(key, "must be positive")
        return seconds

    def path_value(self, key: str, default: str | None = None) -> Path | None:
        value = self.get(key, str, default)
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.path.parent / p)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: str = self.get(key, str, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def section(self, key: str) -> _Section:
        self.used.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        return _Section(value, path=self.path, loc=self.loc, table=key, index=None, env=self.env)

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            raise self.error(unknown[0], f"unknown key {self._name(unknown[0])!r}")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Parse and validate the config file at `path`. Raises `ConfigError`."""
    path = Path(path)
    env: dict[str, str] = dict(os.environ if environ is None else environ)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"invalid TOML: {exc}", path=path, line=int(m.group(1)) if m else None
        ) from None
    path = path.resolve()
    loc = _Locator(text)
    top = _Section(data, path=path, loc=loc, table=None, index=None, env=env)
    env_file = top.path_value("env_file")
    if env_file is not None:
        # the real environment wins over the file, as systemd's EnvironmentFile= does
        env = {**read_env_file(env_file), **env}
        top.env = env

    state = top.section("state")
    state_cfg = StateConfig(
        path=_state_path(state, env),
        retention=state.duration("retention", 180 * 86400.0) or 180 * 86400.0,
    )
    state.finish()

    rules = top.section("rules")
    rule_paths = tuple(
        (p if p.is_absolute() else path.parent / p)
        for p in (Path(s).expanduser() for s in rules.strings("paths") or ("rules",))
    )
    rules_cfg = RulesConfig(paths=rule_paths, watch=rules.get("watch", bool, True))
    rules.finish()

    fetch_cfg = _fetch(top.section("fetch"))
    service_cfg = _service(top.section("service"))
    log = top.section("log")
    log_cfg = LogConfig(level=log.choice("level", ("debug", "info", "warning", "error"), "info"))
    log.finish()

    top.used.update({"feeds", "destinations"})
    feeds = _list_of_tables(top, "feeds")
    feed_cfgs = tuple(
        _feed(_Section(f, path=path, loc=loc, table="feeds", index=i, env=env))
        for i, f in enumerate(feeds)
    )
    _no_duplicates(top, "feeds", [f.url for f in feed_cfgs], "url")
    dests = _list_of_tables(top, "destinations")
    dest_cfgs = tuple(
        _destination(_Section(d, path=path, loc=loc, table="destinations", index=i, env=env))
        for i, d in enumerate(dests)
    )
    _no_duplicates(top, "destinations", [d.name for d in dest_cfgs], "name")
    top.finish()
    if service_cfg.notice_destination and service_cfg.notice_destination not in {
        d.name for d in dest_cfgs
    }:
        raise top.section("service").error(
            "notice_destination", f"no destination named {service_cfg.notice_destination!r}"
        )
    return Config(
        source=path,
        state=state_cfg,
        rules=rules_cfg,
        fetch=fetch_cfg,
        feeds=feed_cfgs,
        destinations=dest_cfgs,
        service=service_cfg,
        log=log_cfg,
    )


def _state_path(state: _Section, env: Mapping[str, str]) -> Path:
    """A relative state path lives in systemd's StateDirectory= when there is one (the config folder
    is read-only under the unit's ProtectSystem=strict), else beside the config file."""
    raw = Path(state.get("path", str, "newsbot.sqlite3")).expanduser()
    if raw.is_absolute():
        return raw
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / raw
    return state.path.parent / raw


def _list_of_tables(top: _Section, key: str) -> list[dict[str, Any]]:
    value = top.data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise top.error(key, f"write each entry as a [[{key}]] table")
    return value


def _no_duplicates(top: _Section, table: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            line = top.loc.line_of(table, i, key)
            raise ConfigError(
                f"duplicate {key} {v!r}", path=top.path, line=line, key=f"{table}[{i}].{key}"
            )
        seen.add(v)


def _fetch(s: _Section) -> FetchConfig:
    d = FetchConfig()
    cfg = FetchConfig(
        connect_timeout=s.duration("connect_timeout", d.connect_timeout) or d.connect_timeout,
        read_timeout=s.duration("read_timeout", d.read_timeout) or d.read_timeout,
        deadline=s.duration("deadline", d.deadline) or d.deadline,
        max_feed_bytes=_positive_int(s, "max_feed_bytes", d.max_feed_bytes),
        concurrency=_positive_int(s, "concurrency", d.concurrency),
        per_host=_positive_int(s, "per_host", d.per_host),
        min_host_interval=float(s.get("min_host_interval", (int, float), d.min_host_interval)),
        clients=_positive_int(s, "clients", d.clients),
        max_redirects=_positive_int(s, "max_redirects", d.max_redirects),
        user_agent=s.get("user_agent", str),
    )
    s.finish()
    return cfg


def _service(s: _Section) -> ServiceConfig:
    d = ServiceConfig()
    cfg = ServiceConfig(
        heartbeat=s.duration("heartbeat", d.heartbeat) or d.heartbeat,
        jitter=float(s.get("jitter", (int, float), d.jitter)),
        max_backoff=s.duration("max_backoff", d.max_backoff) or d.max_backoff,
        notice_destination=s.get("notice_destination", str),
        notice_feed_failures=_positive_int(s, "notice_feed_failures", d.notice_feed_failures),
        notice_destination_failing_for=s.duration(
            "notice_destination_failing_for", d.notice_destination_failing_for
        )
        or d.notice_destination_failing_for,
    )
    s.finish()
    return cfg


def _positive_int(s: _Section, key: str, default: int) -> int:
    value: int = s.get(key, int, default)
    if value <= 0:
        raise s.error(key, "must be a positive integer")
    return value


def _feed(s: _Section) -> FeedConfig:
    url: str = s.require("url", str)
    if not re.match(r"^https?://", url):
        raise s.error("url", f"must start with http:// or https://, got {url!r}")
    cfg = FeedConfig(
        url=url,
        name=s.get("name", str) or _host(url),
        lang=s.get("lang", str),
        interval=s.duration("interval", 900.0) or 900.0,
        fetch_full_text=s.get("fetch_full_text", bool, False),
        allow_private_hosts=s.get("allow_private_hosts", bool, False),
        enabled=s.get("enabled", bool, True),
    )
    s.finish()
    return cfg


def _host(url: str) -> str:
    return re.sub(r"^https?://", "", url).split("/", 1)[0]


def _destination(s: _Section) -> DestinationConfig:
    name: str = s.require("name", str)
    kind: str = s.require("type", str)
    parser = _OPTION_PARSERS.get(kind)
    if parser is None:
        raise s.error(
            "type", f"unknown destination type {kind!r} (one of {', '.join(_OPTION_PARSERS)})"
        )
    options = parser(s)
    schedule = s.get("schedule", str)
    every = s.duration("every", None)
    if schedule and every:
        raise s.error("every", "set either schedule or every, not both")
    tz = s.get("timezone", str, "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise s.error("timezone", f"unknown timezone {tz!r} (e.g. Asia/Ho_Chi_Minh)") from None
    quiet = s.get("quiet_hours", str)
    if quiet and not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", quiet):
        raise s.error("quiet_hours", f"expected HH:MM-HH:MM, got {quiet!r}")
    if schedule and len(schedule.split()) != 5:
        raise s.error("schedule", f"expected a 5-field cron expression, got {schedule!r}")
    cfg = DestinationConfig(
        name=name,
        type=kind,
        options=options,
        rules=s.strings("rules"),
        tags=s.strings("tags"),
        min_score=float(s.get("min_score", (int, float), 0.0)),
        send_empty=s.get("send_empty", bool, False),
        schedule=schedule,
        every=every,
        timezone=tz,
        quiet_hours=quiet,
        urgent=s.get("urgent", bool, True),
        title=s.get("title", str, "Vietnam–Japan"),
        max_attempts=_positive_int(s, "max_attempts", 10),
    )
    s.finish()
    return cfg


def _slack(s: _Section) -> SlackOptions:
    opts = SlackOptions(
        webhook_url=s.get("webhook_url", str),
        token=s.get("token", str),
        channel=s.get("channel", str),
        api_url=s.get("api_url", str, "https://slack.com/api"),
    )
    if not opts.webhook_url and not (opts.token and opts.channel):
        raise s.error("webhook_url", "a slack destination needs webhook_url, or token and channel")
    return opts


def _email(s: _Section) -> EmailOptions:
    to = s.strings("to")
    if not to:
        raise s.error("to", "an email destination needs at least one address in 'to'")
    opts = EmailOptions(
        smtp_host=s.require("smtp_host", str),
        from_addr=s.require("from", str),
        to=to,
        smtp_port=s.get("smtp_port", int, 25),
        security=s.choice("security", ("none", "starttls", "ssl"), "none"),
        username=s.get("username", str),
        password=s.get("password", str),
        timeout=s.duration("timeout", 30.0) or 30.0,
        templates_dir=s.path_value("templates_dir"),
        subject_prefix=s.get("subject_prefix", str, ""),
    )
    if opts.password and opts.security == "none":
        raise s.error("password", "refusing SMTP AUTH without TLS: set security = starttls or ssl")
    return opts


def _webhook(s: _Section) -> WebhookOptions:
    headers = s.get("headers", dict, {})
    return WebhookOptions(
        url=s.require("url", str),
        secret=s.get("secret", str),
        headers=tuple((str(k), s._expand("headers", str(v))) for k, v in headers.items()),
    )


def _console(s: _Section) -> ConsoleOptions:
    return ConsoleOptions(color=s.choice("color", ("auto", "always", "never"), "auto"))


def _file(s: _Section) -> FileOptions:
    return FileOptions(
        dir=s.path_value("dir", "digests") or Path("digests"),
        format=s.choice("format", ("html", "text", "json"), "html"),
    )


def _apprise(s: _Section) -> AppriseOptions:
    urls = s.strings("urls")
    if not urls:
        raise s.error("urls", "an apprise destination needs at least one URL in 'urls'")
    return AppriseOptions(urls=urls)


_OPTION_PARSERS: dict[str, Callable[[_Section], DestinationOptions]] = {
    "slack": _slack,
    "email": _email,
    "webhook": _webhook,
    "console": _console,
    "file": _file,
    "apprise": _apprise,
}

__all__ = [
    "Config",
    "ConfigError",
    "DestinationConfig",
    "FeedConfig",
    "FetchConfig",
    "find_config",
    "load_config",
    "parse_duration",
]
