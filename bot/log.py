"""Logging: one line per event, ``key=value`` pairs, to stderr (journald adds the time).

Secrets never reach the log: `RedactingFilter` masks anything that looks like a webhook URL,
token or password, and callers log destination *names*, never their URLs.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

_SECRET_PATTERNS = (
    re.compile(r"https://hooks\.slack\.com/\S+"),
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\b(password|passwd|token|secret|api_key)=\S+"),
    re.compile(r"(?i)(https?://)[^/\s:@]+:[^/\s@]+@"),  # user:pass@host
)


def redact(text: str) -> str:
    for pat in _SECRET_PATTERNS:
        text = pat.sub(_mask, text)
    return text


def _mask(m: re.Match[str]) -> str:
    if m.lastindex:  # keep the key name or scheme, mask the rest
        return f"{m.group(1)}***" if "=" not in m.group(0) else f"{m.group(1)}=***"
    return "***"


def kv(event: str, **fields: Any) -> str:
    """Format an event as ``event key=value ...``; values with spaces are quoted."""
    parts = [event]
    for k, v in fields.items():
        if v is None:
            continue
        s = str(v)
        if not s or any(c in s for c in ' "='):
            s = '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        parts.append(f"{k}={s}")
    return " ".join(parts)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        line = f"level={record.levelname.lower()} logger={record.name} {msg}"
        if record.exc_info:
            line += " exc=" + repr(str(record.exc_info[1]))
        return redact(line)


def setup_logging(level: str = "info", *, stream: Any = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger("newsbot")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"newsbot.{name}")
