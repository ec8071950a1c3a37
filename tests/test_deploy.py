"""deploy/: the units pass systemd's own checks, and install.sh installs, upgrades and uninstalls.

`systemd-analyze` comes with Debian's `systemd` package; without it those tests skip (with the
reason). `systemd-analyze verify` insists that ExecStart= names an existing executable, and the
unit's /opt/newsbot/venv/bin/newsbot only exists after installation, so the test verifies copies
whose ExecStart= points at this checkout's own `newsbot` (everything else byte-identical).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = (
    "newsbot.service",
    "newsbot-once.service",
    "newsbot-once.timer",
    "newsbot-feedback.service",
)
INSTALLED_BIN = "/opt/newsbot/venv/bin/newsbot"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze not installed (Debian: apt-get install systemd)"
)


def unit(name: str) -> str:
    return (DEPLOY / name).read_text(encoding="utf-8")


@needs_analyze
@pytest.mark.parametrize(
    "name", ["newsbot.service", "newsbot-once.service", "newsbot-feedback.service"]
)
def test_security_exposure_is_ok(name: str) -> None:
    assert ANALYZE is not None
    out = subprocess.run(
        [ANALYZE, "security", "--offline=true", str(DEPLOY / name)],
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", out.stdout)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0 and m.group(2) == "OK", m.group(0)


@needs_analyze
def test_verify_prints_nothing(tmp_path: Path) -> None:
    assert ANALYZE is not None
    newsbot = Path(sys.executable).with_name("newsbot")
    assert newsbot.exists(), "the checkout's venv has no newsbot script: pip install -e ."
    for name in UNITS:
        text = unit(name)
        if name.endswith(".service"):
            assert INSTALLED_BIN in text
        (tmp_path / name).write_text(text.replace(INSTALLED_BIN, str(newsbot)), encoding="utf-8")
    out = subprocess.run(
        [ANALYZE, "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    # verify exits 0 even for a misspelled key: stderr is the verdict
    assert out.stderr == "", out.stderr


def test_daemon_unit_has_the_contract() -> None:
    text = unit("newsbot.service")
    for line in (
        "Type=notify",
        "NotifyAccess=main",
        "Restart=on-failure",
        "DynamicUser=yes",
        "StateDirectory=newsbot",
        "ConfigurationDirectory=newsbot",
        "EnvironmentFile=-/etc/newsbot/newsbot.env",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "UMask=0077",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ):
        assert re.search(rf"^{re.escape(line)}$", text, re.M), line
    watchdog = re.search(r"^WatchdogSec=(\d+)s$", text, re.M)
    stop = re.search(r"^TimeoutStopSec=(\d+)s$", text, re.M)
    assert watchdog and stop
    # the daemon exits within 10 s of SIGTERM; systemd must wait at least that long
    assert int(stop.group(1)) > 10


def test_timer_conflicts_with_daemon() -> None:
    assert "Conflicts=newsbot.service" in unit("newsbot-once.service")
    assert "Unit=newsbot-once.service" in unit("newsbot-once.timer")


# ---------------------------------------------------------------------------- install.sh


def _source_copy(dest: Path) -> Path:
    """install.sh builds from a copy: a build in the shared checkout would leave build/ behind."""
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "newsbot.example.toml"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("bot", "rules", "deploy"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return src


def _prepared_root(tmp: Path) -> Path:
    """A staging root whose venv already sees this checkout's dependencies, so pip needs no network."""
    root = tmp / "root"
    venv = root / "opt/newsbot/venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = next(venv.glob("lib/python*/site-packages"))
    (purelib / "checkout-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    return root


def _install(src: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PIP_INSTALL_ARGS"] = "--no-deps --no-build-isolation --no-index --ignore-installed"
    return subprocess.run(
        ["sh", str(src / "deploy/install.sh"), "--root", str(root), "--source", str(src), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.skipif(
    importlib.util.find_spec("wheel") is None, reason="offline build needs the 'wheel' package"
)
def test_install_is_idempotent_and_uninstall_keeps_state(tmp_path: Path) -> None:
    src = _source_copy(tmp_path)
    root = _prepared_root(tmp_path)
    first = _install(src, root)
    assert first.returncode == 0, first.stderr + first.stdout
    etc = root / "etc/newsbot"
    newsbot = root / "opt/newsbot/venv/bin/newsbot"
    version = subprocess.run([str(newsbot), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("newsbot ")
    config = (etc / "newsbot.toml").read_text()
    assert 'path = "/var/lib/newsbot/newsbot.sqlite3"' in config
    assert (etc / "newsbot.env").stat().st_mode & 0o777 == 0o600
    assert (etc / "rules").is_dir()
    for name in UNITS:
        assert (root / "etc/systemd/system" / name).read_text() == unit(name)
    wants = root / "etc/systemd/system/multi-user.target.wants/newsbot.service"
    if shutil.which("systemctl"):
        assert wants.is_symlink()

    # the operator edits config and secrets; a second run (an upgrade) leaves them alone
    (etc / "newsbot.toml").write_text("# mine\n")
    (etc / "newsbot.env").write_text("SLACK_WEBHOOK_URL=mine\n")
    again = _install(src, root)
    assert again.returncode == 0, again.stderr
    assert (etc / "newsbot.toml").read_text() == "# mine\n"
    assert (etc / "newsbot.env").read_text() == "SLACK_WEBHOOK_URL=mine\n"

    if shutil.which("systemctl"):  # --timer switches from the daemon to the timer
        timer = _install(src, root, "--timer")
        assert timer.returncode == 0, timer.stderr
        assert (root / "etc/systemd/system/timers.target.wants/newsbot-once.timer").is_symlink()
        assert not wants.exists()

    state = root / "var/lib/newsbot"
    state.mkdir(parents=True)
    (state / "newsbot.sqlite3").write_bytes(b"state")
    removed = _install(src, root, "--uninstall")
    assert removed.returncode == 0, removed.stderr
    assert not (root / "opt/newsbot").exists()
    assert not (root / "etc/systemd/system/newsbot.service").exists()
    assert (state / "newsbot.sqlite3").exists() and (etc / "newsbot.toml").exists()

    purged = _install(src, root, "--uninstall", "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not state.exists() and not etc.exists()


def test_install_rejects_purge_without_uninstall(tmp_path: Path) -> None:
    out = subprocess.run(
        ["sh", str(DEPLOY / "install.sh"), "--root", str(tmp_path), "--purge"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0 and "--purge" in out.stderr
