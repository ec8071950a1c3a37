"""``[feedback]``: where the feedback service listens, the public URL links point at, the secret."""

from __future__ import annotations

import re

from bot.config.model import FeedbackConfig
from bot.config.reader import Section, positive_int

#: an HMAC key shorter than this is guessable offline from one signed link
MIN_SECRET_CHARS = 16
_UNEXPANDED = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def feedback_config(s: Section) -> FeedbackConfig:
    """Parse the ``[feedback]`` table (only called when the config has one)."""
    base_url: str = s.require("base_url", str).strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", base_url):
        raise s.error("base_url", f"must be an http:// or https:// URL, got {base_url!r}")
    secret: str = s.require("secret", str)
    # an unset ${VAR} stays as written for commands that send nothing (`rules check`): no links
    # are made there, so only a real secret is held to the length
    if len(secret) < MIN_SECRET_CHARS and not _UNEXPANDED.search(secret):
        raise s.error(
            "secret",
            f"must be at least {MIN_SECRET_CHARS} characters (e.g. `openssl rand -hex 32`)",
        )
    host, port = _listen(s, s.get("listen", str, "127.0.0.1:8087"))
    cfg = FeedbackConfig(
        base_url=base_url,
        secret=secret,
        host=host,
        port=port,
        rate_limit=positive_int(s, "rate_limit", 30),
    )
    s.finish()
    return cfg


def signs_links(config: FeedbackConfig) -> bool:
    """Is the secret really there? Not for a command run without secrets (`digest preview` as a
    user who cannot read the env file): its digests then carry no links rather than bad ones."""
    return not _UNEXPANDED.search(config.secret)


def _listen(s: Section, value: str) -> tuple[str, int]:
    """``"127.0.0.1:8087"``, ``"[::1]:8087"`` or ``":8087"`` (every address) -> (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise s.error("listen", f"expected HOST:PORT (e.g. 127.0.0.1:8087), got {value!r}")
    host = host.removeprefix("[").removesuffix("]")
    return host or "0.0.0.0", int(port)
