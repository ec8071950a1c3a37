"""Domain errors. The library raises these; only `bot.cli` turns them into messages and exit codes.

Hierarchy::

    NewsbotError
    ├── ConfigError          bad config file (exit 2): carries .path, .line, .key
    ├── RuleError            bad rule file (exit 2): carries .path, .line, .col
    │   └── RuleErrors       several rule files are bad: .errors, one RuleError per file
    ├── StoreError           the state database cannot be opened or migrated
    ├── FeedbackError        a feedback token we did not sign, or a rule file --apply cannot edit
    ├── FetchError           one feed could not be fetched or parsed; carries .url
    │   ├── FeedGone         HTTP 410: the feed is disabled
    │   ├── RateLimited      HTTP 429 / 503 with Retry-After; carries .retry_after
    │   ├── TooLarge         decoded body over max_feed_bytes
    │   ├── UnsafeURL        a URL resolving to a non-global address (SSRF guard)
    │   └── ParseError       not a feed / unsafe XML (entities)
    └── DeliveryError        a destination did not accept a message; carries .destination
        ├── TransientDeliveryError   retry later (5xx, 429, timeouts, SMTP 4xx)
        └── PermanentDeliveryError   retrying will not help (bad token, SMTP 5xx, invalid payload)

Every message starts with the component that raised it: ``fetch: 410 Gone for https://...``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class NewsbotError(Exception):
    """Base class of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        self.detail = message
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line else f"{self.path}: "
        keypart = f"{key}: " if key else ""
        super().__init__(f"config: {where}{keypart}{message}")


class RuleError(NewsbotError):
    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.col = col
        self.detail = message
        loc = ""
        if self.path is not None:
            loc = str(self.path)
            if line is not None:
                loc += f":{line}"
                if col is not None:
                    loc += f":{col}"
            loc += ": "
        super().__init__(f"rules: {loc}{message}")


class RuleErrors(RuleError):
    """Several rule files failed to load: each is reported (one line each), not only the first."""

    def __init__(self, errors: Sequence[RuleError]) -> None:
        first = errors[0]
        super().__init__(first.detail, path=first.path, line=first.line, col=first.col)
        self.errors = tuple(errors)
        # every line reads as its own message: the CLI prefixes the first with "newsbot: "
        self.args = ("\nnewsbot: ".join(str(e) for e in self.errors),)


class LabelledSetError(NewsbotError):
    """A labelled items file (for `rules eval`) that cannot be read: names the file and line."""

    def __init__(self, message: str, *, path: Path, line: int | None = None) -> None:
        self.path, self.line = path, line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"rules: eval: {where}: {message}")


class StoreError(NewsbotError):
    pass


class FeedbackError(NewsbotError):
    pass


class FetchError(NewsbotError):
    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        super().__init__(message if message.startswith("fetch:") else f"fetch: {message}")


class FeedGone(FetchError):
    pass


class RateLimited(FetchError):
    def __init__(
        self, message: str, *, url: str, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class TooLarge(FetchError):
    pass


class UnsafeURL(FetchError):
    pass


class ParseError(FetchError):
    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message, url=url, status=status)
        # "parse:" not "fetch:" reads better for XML problems
        self.args = (message if message.startswith("parse:") else f"parse: {message}",)

    def __str__(self) -> str:
        return str(self.args[0])


class DeliveryError(NewsbotError):
    def __init__(self, message: str, *, destination: str, retry_after: float | None = None) -> None:
        self.destination = destination
        self.retry_after = retry_after
        super().__init__(message)


class TransientDeliveryError(DeliveryError):
    pass


class PermanentDeliveryError(DeliveryError):
    pass
