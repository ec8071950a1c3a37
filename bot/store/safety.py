"""State you can trust: the file checked before it is opened, SQLite's errors turned into one line
that names the file and the way out, daily online backups, an integrity check and a restore.

A state file that cannot be used is never replaced silently by a new one: a 0-byte file where
backups show a database existed, a file that is not SQLite, a damaged one, a read-only one, a full
disk each stop with a `StoreError` saying what to do (`newsbot state restore FILE`, free space, fix
the owner). Backups live beside the state, in ``backups/``, made with SQLite's online backup API (a
consistent copy while the daemon writes), one per day, the last `KEEP` kept.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from bot.errors import StoreError

KEEP = 7  # daily backups kept
HEADER = b"SQLite format 3\x00"
BACKUP_DIR = "backups"

# SQLite's messages (sqlite3 gives no error codes before Python 3.11's sqlite_errorname, and the
# message is what the operator needs classified)
_DAMAGED = ("malformed", "not a database", "corrupt")
_READ_ONLY = ("readonly", "read-only")
_FULL = ("disk is full", "database or disk is full")


def backup_dir(path: Path) -> Path:
    return path.parent / BACKUP_DIR


def backups(path: Path) -> list[Path]:
    """The backups of the state file at `path`, newest first."""
    folder = backup_dir(path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}-*{path.suffix}"), reverse=True)


def recovery(path: Path) -> str:
    """What to do about an unusable state file: restore the newest backup, or start afresh."""
    found = backups(path)
    if found:
        return f"restore the newest backup: newsbot state restore {found[0]}"
    return (
        f"no backup in {backup_dir(path)}; to start afresh move it aside: mv {path} {path}.broken"
    )


def check_before_open(path: Path) -> None:
    """Refuse a file that SQLite would silently take as a new, empty database, or cannot read."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"store: cannot read {path}: {exc.strerror}") from None
    if size == 0:
        if backups(path):
            # a truncation (a full disk, a bad copy): starting afresh would send everything again
            raise StoreError(f"store: {path} is empty (0 bytes) but backups show a database was "
                             f"there: {recovery(path)}")  # fmt: skip
        return
    try:
        with path.open("rb") as f:
            header = f.read(len(HEADER))
    except OSError as exc:
        raise StoreError(f"store: cannot read {path}: {exc.strerror}") from None
    if header != HEADER:
        raise StoreError(f"store: {path} is not an SQLite database: {recovery(path)}")


def is_damaged(exc: sqlite3.Error) -> bool:
    """The file itself is bad (restore a backup), not merely unwritable for now (a full disk)."""
    return any(w in str(exc).lower() for w in _DAMAGED)


def state_error(exc: sqlite3.Error, path: Path) -> StoreError:
    """One line for an SQLite error on the state file: what is wrong and the way out."""
    text = str(exc)
    low = text.lower()
    if is_damaged(exc):
        return StoreError(f"store: {path} is damaged ({text}): {recovery(path)}")
    if any(w in low for w in _READ_ONLY) or not _writable(path):
        return StoreError(
            f"store: {path} is read-only ({text}): the user newsbot runs as must be able to write it "
            f"and its folder (check owner and mode: ls -la {path.parent})"
        )
    if any(w in low for w in _FULL):
        return StoreError(f"store: cannot write {path}: the disk is full; free space on "
                          f"{path.parent} ({free_bytes(path)} bytes free)")  # fmt: skip
    return StoreError(f"store: {path}: {text}")


def _writable(path: Path) -> bool:
    """Can this process write the file and its folder (SQLite makes -wal and -shm there)?"""
    folder_ok = os.access(path.parent, os.W_OK) or not path.parent.exists()
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """Turn SQLite errors raised in the block into the one-line `StoreError` for `path`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise state_error(exc, path) from exc


def free_bytes(path: Path) -> int:
    folder = path.parent if path.parent.exists() else Path("/")
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


# ---------------------------------------------------------------------------- backups


def backup(db: sqlite3.Connection, path: Path, *, now: datetime, keep: int = KEEP) -> Path | None:
    """Today's online backup of `db` (the state at `path`), unless there is one; the last `keep` stay.

    Written to a temporary name then renamed, so a backup that exists is whole. Returns the new file.
    """
    folder = backup_dir(path)
    target = folder / f"{path.stem}-{now.strftime('%Y-%m-%d')}{path.suffix}"
    if target.exists():
        return None
    folder.mkdir(mode=0o700, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    copy = sqlite3.connect(partial)
    try:
        copy.execute("PRAGMA synchronous = OFF")  # one fsync below, not one per page batch
        db.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        copy.close()
        with partial.open("rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        copy.close()
        partial.unlink(missing_ok=True)  # a full disk: no half backup left to take the space
        raise
    os.replace(partial, target)
    for old in backups(path)[keep:]:
        old.unlink(missing_ok=True)
    return target


def inspect(path: Path) -> sqlite3.Connection:
    """A connection that only reads the existing file at `path`.

    Not SQLite's ``mode=ro``: on a WAL database that leaves -wal and -shm files behind, owned by
    whoever looked (root), which the service's user then cannot open. A normal connection that is
    the last one removes them on close; ``query_only`` keeps it from writing anything else.
    """
    if not path.exists():
        raise sqlite3.OperationalError(f"unable to open database file: {path} does not exist")
    db = sqlite3.connect(path)
    db.execute("PRAGMA query_only = ON")
    return db


def integrity(path: Path) -> list[str]:
    """SQLite's full integrity check of the file at `path`, read-only: [] when sound."""
    try:
        db = inspect(path)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
    except sqlite3.Error as exc:
        return [str(exc)]
    finally:
        db.close()
    return [] if rows == ["ok"] else rows


def schema_of(path: Path) -> int:
    db = inspect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def restore(path: Path, source: Path, *, now: datetime, known_schema: int) -> Path | None:
    """Put the backup `source` in place of the state at `path`. The file it replaces (with its WAL)
    is kept beside it, renamed; returns that name (None when there was no file).

    The restored file gets the owner and mode of the one it replaces (under systemd's DynamicUser
    the service's user must still own its state after root restores it).
    """
    check_before_open(source)
    problems = integrity(source)
    if problems:
        raise StoreError(f"store: {source} is not a sound backup: {problems[0]}")
    try:
        version = schema_of(source)
    except sqlite3.Error as exc:
        raise StoreError(f"store: {source} is not a sound backup: {exc}") from None
    if not 0 < version <= known_schema:
        raise StoreError(f"store: {source} has schema {version}: not a newsbot state this version "
                         f"knows (1..{known_schema})")  # fmt: skip
    owner = path if path.exists() else path.parent
    st = owner.stat()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    aside: Path | None = None
    if path.exists():
        aside = path.with_name(f"{path.name}.replaced-{stamp}")
        os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            if suffix == "-wal" and aside is not None:
                os.replace(
                    extra, aside.with_name(aside.name + suffix)
                )  # it belongs to the old file
            else:
                extra.unlink()
    partial = path.with_name(path.name + ".restoring")
    src = inspect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    with contextlib.suppress(PermissionError):  # not root: the file is already ours
        os.chown(partial, st.st_uid, st.st_gid)
    os.chmod(partial, 0o600 if owner is path.parent else st.st_mode & 0o777)
    os.replace(partial, path)
    return aside


def size_on_disk(path: Path) -> int:
    """The state file and its WAL, in bytes."""
    total = 0
    for p in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(FileNotFoundError):
            total += p.stat().st_size
    return total
