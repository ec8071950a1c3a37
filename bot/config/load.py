"""Finding, reading and validating the config file into a `Config`."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config.destinations import destination
from bot.config.feedback import feedback_config, signs_links
from bot.config.model import (
    DEFAULT_LOCATIONS,
    Config,
    FeedConfig,
    FetchConfig,
    LogConfig,
    RulesConfig,
    ServiceConfig,
    StateConfig,
)
from bot.config.reader import Locator, Section, positive_int
from bot.errors import ConfigError


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


class _KeepUnset(dict[str, str]):
    """An environment in which an unset (or empty) ``${VAR}`` stays as written."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        return dict.get(self, key) or "${" + key + "}"


def load_config(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    secrets_required: bool = True,
) -> Config:
    """Parse and validate the config file at `path`. Raises `ConfigError`.

    `secrets_required=False` is for commands that never send anything (`rules check`, …): an unset
    ``${VAR}`` then stays as written instead of being an error.
    """
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
    loc = Locator(text)
    top = Section(data, path=path, loc=loc, table=None, index=None, env=env)
    env_file = top.path_value("env_file")
    if env_file is not None:
        # the real environment wins over the file, as systemd's EnvironmentFile= does
        try:
            env = {**read_env_file(env_file), **env}
        except ConfigError as exc:
            cause = exc.__cause__
            if not isinstance(cause, OSError):
                raise  # a syntax error in a file we could read
            # under systemd the unit's EnvironmentFile= has already set what the file holds, and
            # the service's user may not read a root-only file: only a variable still missing is
            # an error, and it says why
            top.unset_hint = f" (env_file {env_file} cannot be read: {cause.strerror})"
        top.env = env
    if not secrets_required:
        env = _KeepUnset(env)
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

    feedback_cfg = feedback_config(top.section("feedback")) if "feedback" in top.data else None

    top.used.update({"feeds", "destinations"})
    feeds = _list_of_tables(top, "feeds")
    feed_cfgs = tuple(_feed(top.entry("feeds", i, f), fetch_cfg) for i, f in enumerate(feeds))
    _no_duplicates(top, "feeds", [f.url for f in feed_cfgs], "url")
    dests = _list_of_tables(top, "destinations")
    links = feedback_cfg if feedback_cfg and signs_links(feedback_cfg) else None
    dest_cfgs = tuple(
        replace(destination(top.entry("destinations", i, d)), feedback=links)
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
        feedback=feedback_cfg,
    )


def _state_path(state: Section, env: Mapping[str, str]) -> Path:
    """A relative state path lives in systemd's StateDirectory= when there is one (the config folder
    is read-only under the unit's ProtectSystem=strict), else beside the config file."""
    raw = Path(state.get("path", str, "newsbot.sqlite3")).expanduser()
    if raw.is_absolute():
        return raw
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / raw
    return state.path.parent / raw


def _list_of_tables(top: Section, key: str) -> list[dict[str, Any]]:
    value = top.data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise top.error(key, f"write each entry as a [[{key}]] table")
    return value


def _no_duplicates(top: Section, table: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            line = top.loc.line_of(table, i, key)
            raise ConfigError(
                f"duplicate {key} {v!r}", path=top.path, line=line, key=f"{table}[{i}].{key}"
            )
        seen.add(v)


def _fetch(s: Section) -> FetchConfig:
    d = FetchConfig()
    cfg = FetchConfig(
        connect_timeout=s.duration("connect_timeout", d.connect_timeout) or d.connect_timeout,
        read_timeout=s.duration("read_timeout", d.read_timeout) or d.read_timeout,
        deadline=s.duration("deadline", d.deadline) or d.deadline,
        max_feed_bytes=positive_int(s, "max_feed_bytes", d.max_feed_bytes),
        concurrency=positive_int(s, "concurrency", d.concurrency),
        per_host=positive_int(s, "per_host", d.per_host),
        min_host_interval=float(s.get("min_host_interval", (int, float), d.min_host_interval)),
        clients=positive_int(s, "clients", d.clients),
        max_redirects=positive_int(s, "max_redirects", d.max_redirects),
        user_agent=s.get("user_agent", str),
        max_age=s.limit("max_age", d.max_age),
        urgent_max_age=s.limit("urgent_max_age", d.urgent_max_age),
    )
    s.finish()
    return cfg


def _service(s: Section) -> ServiceConfig:
    d = ServiceConfig()
    cfg = ServiceConfig(
        heartbeat=s.duration("heartbeat", d.heartbeat) or d.heartbeat,
        jitter=float(s.get("jitter", (int, float), d.jitter)),
        max_backoff=s.duration("max_backoff", d.max_backoff) or d.max_backoff,
        notice_destination=s.get("notice_destination", str),
        notice_feed_failures=positive_int(s, "notice_feed_failures", d.notice_feed_failures),
        notice_destination_failing_for=s.duration(
            "notice_destination_failing_for", d.notice_destination_failing_for
        )
        or d.notice_destination_failing_for,
    )
    s.finish()
    return cfg


def _feed(s: Section, fetch: FetchConfig) -> FeedConfig:
    url: str = s.require("url", str)
    if not re.match(r"^https?://", url):
        raise s.error("url", f"must start with http:// or https://, got {url!r}")
    name = s.get("name", str)
    cfg = FeedConfig(
        url=url,
        name=name or _host(url),
        named=bool(name),
        max_age=s.limit("max_age", fetch.max_age),
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
