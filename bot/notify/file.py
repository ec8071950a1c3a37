"""File: the digest written to ``<dir>/<safe key>.<html|txt|json>``, atomically.

Used by ``make demo`` (an HTML preview to open in a browser) and by bench/eval_rules.py, which reads
the JSON form's ``entries[].link``. Writing the same key twice replaces the file: a repeat delivery
is visible as the same file name, never as a second file.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from bot.config import FileOptions
from bot.config.destinations import file_options
from bot.digest.render import render_html, render_json, render_text
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec

EXTENSIONS = {"html": "html", "text": "txt", "json": "json"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# out of space / quota / I/O: worth retrying later; anything else (permissions, bad path) is not
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN})


def safe_name(key: str) -> str:
    """A file name from a digest key: ``desk:2026-11-23T08:00`` -> ``desk_2026-11-23T08_00``."""
    name = _UNSAFE.sub("_", key).strip("._") or "digest"
    return name[:180]


def digest_path(directory: Path, key: str, fmt: str) -> Path:
    return directory / f"{safe_name(key)}.{EXTENSIONS[fmt]}"


class FileNotifier(Channel[FileOptions]):
    options_type = FileOptions

    def render(self, digest: Digest) -> str:
        fmt = self.options.format
        if fmt == "json":
            return render_json(digest, self.tr)
        if fmt == "text":
            return render_text(digest, self.tr)
        return render_html(digest, self.tr)

    def send(self, digest: Digest) -> None:
        target = digest_path(self.options.dir, digest.key, self.options.format)
        try:
            self.options.dir.mkdir(parents=True, exist_ok=True)
            write_atomically(target, self.render(digest))
        except OSError as exc:
            kind = (
                TransientDeliveryError if exc.errno in _TRANSIENT_ERRNOS else PermanentDeliveryError
            )
            raise kind(
                f"file: cannot write {target}: {exc.strerror or exc}", destination=self.name
            ) from exc


def write_atomically(target: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


CHANNEL = ChannelSpec(name="file", parse_options=file_options, notifier=FileNotifier)
