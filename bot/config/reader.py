"""A located reader over parsed TOML: typed reads, unknown-key detection, and errors that name
the file, the line and the key (tomllib keeps no positions, so lines are found in the raw text)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.config.model import parse_duration
from bot.errors import ConfigError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Locator:
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
        if table is None:  # a top-level key may be a whole table: [key] or [[key]]
            table_re = re.compile(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]")
            return next((i + 1 for i, ln in enumerate(self.lines) if table_re.match(ln)), None)
        return start + 1


class Section:
    """Typed reads from one TOML table, with unknown-key detection and located errors."""

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        path: Path,
        loc: Locator,
        table: str | None,
        index: int | None,
        env: Mapping[str, str],
        unset_hint: str = "",
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
        # why a variable may be unset, appended to that error (an env file that could not be read)
        self.unset_hint = unset_hint

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
            # empty is as good as unset: a secrets file's `SLACK_WEBHOOK_URL=` still to be filled
            if var not in self.env or not self.env[var]:
                raise self.error(key, f"environment variable {var} is not set{self.unset_hint}")
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

    def limit(self, key: str, default: float | None) -> float | None:
        """A duration that may be switched off: "3d", "24h", ... or "off" (None)."""
        value = self.get(key, (str, int, float))
        if value is None:
            return default
        if isinstance(value, str) and value.strip().lower() == "off":
            return None
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise self.error(key, f'{exc}; e.g. {key} = "3d", or "off"') from None
        if seconds <= 0:
            raise self.error(key, f'must be positive; e.g. {key} = "3d", or "off"')
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

    def section(self, key: str) -> Section:
        self.used.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "expected a table")
        return Section(value, path=self.path, loc=self.loc, table=key, index=None, env=self.env,
                       unset_hint=self.unset_hint)  # fmt: skip

    def entry(self, table: str, index: int, data: Mapping[str, Any]) -> Section:
        """One ``[[table]]`` entry, read like this section (same file, environment and hint)."""
        return Section(data, path=self.path, loc=self.loc, table=table, index=index, env=self.env,
                       unset_hint=self.unset_hint)  # fmt: skip

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


def positive_int(s: Section, key: str, default: int) -> int:
    value: int = s.get(key, int, default)
    if value <= 0:
        raise s.error(key, "must be a positive integer")
    return value
