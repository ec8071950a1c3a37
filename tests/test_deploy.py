"""deploy/: the units pass systemd's own checks, and install.sh installs, upgrades and uninstalls.

`systemd-analyze` comes with Debian's `systemd` package; without it those tests skip (with the
reason). `systemd-analyze verify` insists that ExecStart= names an existing executable, and the
unit's /opt/newsbot/venv/bin/newsbot only exists after installation, so the test verifies copies
whose ExecStart= points at this checkout's own `newsbot` (everything else byte-identical).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import FeedServer, SlackReceiver, running
from tests.test_once import rss as rss_items

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
        # neither a bad config (2) nor an interpreter the unit cannot run (203/EXEC) is fixed by
        # restarting; anything else failing gives up after 5 starts in 10 minutes
        "RestartPreventExitStatus=2 203",
        "StartLimitIntervalSec=10min",
        "StartLimitBurst=5",
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
    # a first install is not started on empty secrets: it says what to fill in, and how to start
    assert "not started yet" in first.stdout
    assert "1. fill in: SLACK_WEBHOOK_URL SMTP_PASSWORD (sudoedit /etc/newsbot/newsbot.env)" in (
        first.stdout.replace(str(root), "")
    )
    assert "3. start it: sudo systemctl start newsbot.service" in first.stdout
    link = root / "usr/local/bin/newsbot"
    assert os.readlink(link) == INSTALLED_BIN  # `newsbot status` from a root shell
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
    assert "not started" not in again.stdout  # the operator's config uses no empty secret
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
    assert not link.is_symlink()
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


def _home_python() -> str | None:
    """This test's own interpreter, if it really lives under /root or /home (pyenv, uv)."""
    real = os.path.realpath(sys.executable)
    base = os.path.realpath(sys.base_prefix)
    return real if any(p.startswith(("/root/", "/home/")) for p in (real, base)) else None


@pytest.mark.skipif(_home_python() is None, reason="no python under /root or /home here")
def test_install_refuses_an_interpreter_the_unit_cannot_run(tmp_path: Path) -> None:
    src = _source_copy(tmp_path)
    root = tmp_path / "root"
    root.mkdir()
    env = dict(os.environ, PYTHON=sys.executable)
    out = subprocess.run(
        ["sh", str(src / "deploy/install.sh"), "--root", str(root), "--source", str(src)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1
    assert "under /root or /home" in out.stderr and "PYTHON=/usr/bin/python3" in out.stderr
    assert not (root / "opt/newsbot/venv").exists()


# ---------------------------------------------------------------------------- a live systemd

SANDBOX = ROOT.parent / "shared/tools/systemd-sandbox"
SUDO_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # what sudo gives root
SYSTEM_PYTHON = Path("/usr/bin/python3")
#: what install.sh writes, each overlaid inside the sandbox so that nothing reaches the host
OVERLAID = ("etc", "opt", "var/lib", "usr/local")


def _live_systemd_missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (systemd-sandbox boots systemd in namespaces)"
    if not SANDBOX.exists() or not Path("/lib/systemd/systemd").exists():
        return f"needs {SANDBOX} and systemd (Debian: apt-get install systemd)"
    if not SYSTEM_PYTHON.exists():
        return "needs /usr/bin/python3"
    version = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    if version != str(sys.version_info[:2]):
        return f"/usr/bin/python3 is {version}: the unit's venv borrows this checkout's packages"
    return None


class Sandbox:
    """A throwaway systemd (../shared/tools/systemd-sandbox) whose /etc, /opt, /var/lib and /usr/local
    are overlays on the host's: install.sh writes real files, into this test's tmp dir only."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid1 = folder / "pid1"

    def tool(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SANDBOX), *args], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip

    def run(self, *cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.tool("exec", str(self.pid1), "env", "-i", f"PATH={SUDO_PATH}", *cmd,
                         timeout=timeout)  # fmt: skip

    def ok(self, *cmd: str) -> str:
        out = self.run(*cmd)
        assert out.returncode == 0, f"{cmd}: {out.stdout}{out.stderr}"
        return out.stdout

    def write(self, path: str, text: str, mode: str = "0644") -> None:
        staged = self.folder / "staged"
        staged.write_text(text, encoding="utf-8")
        self.ok("install", "-m", mode, str(staged), path)

    def show(self, *props: str) -> dict[str, str]:
        out = self.ok("systemctl", "show", "newsbot", *(f"--property={p}" for p in props))
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self) -> str:
        return self.ok("journalctl", "-u", "newsbot", "--no-pager", "-o", "cat")

    def exists(self, path: str) -> bool:
        return (
            self.run("test", "-e", path).returncode == 0
            or self.run("test", "-L", path).returncode == 0
        )


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path)
    started = box.tool("start", str(box.pid1))
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        for d in OVERLAID:
            layer = tmp_path / "overlay" / d.replace("/", "_")
            (layer / "up").mkdir(parents=True)
            (layer / "work").mkdir()
            box.ok("mount", "-t", "overlay", "overlay", "-o",
                   f"lowerdir=/{d},upperdir={layer}/up,workdir={layer}/work", f"/{d}")  # fmt: skip
        yield box
    finally:
        box.tool("stop", str(box.pid1))


def _wait(what: str, pred: Callable[[], object], timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


LIVE_CONFIG = """\
env_file = "/etc/newsbot/newsbot.env"   # root-only: systemd reads it, the service's user cannot
[state]
path = "/var/lib/newsbot/newsbot.sqlite3"
[rules]
paths = ["rules"]
[service]
heartbeat = "1s"
[[feeds]]
url = "{feed}"
name = "Loopback desk"
interval = "2s"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"
"""
TIES = "Japan and Vietnam agree to upgrade ties to a comprehensive strategic partnership"


@pytest.mark.skipif(_live_systemd_missing() is not None, reason=str(_live_systemd_missing()))
def test_the_service_under_a_real_systemd(sandbox: Sandbox, tmp_path: Path) -> None:
    src = _source_copy(tmp_path)
    # no network for pip: the unit's venv (from the system python3, as install.sh makes it) borrows
    # this checkout's installed packages, bound to /run in the sandbox (the unit cannot see /root
    # or /home, where they may live); install.sh then installs newsbot into it
    deps, venv = "/run/newsbot-test-deps", "/opt/newsbot/venv"
    sandbox.ok("mkdir", "-p", deps)
    sandbox.ok("mount", "--bind", "-o", "ro", site.getsitepackages()[0], deps)
    sandbox.ok(str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", venv)
    sandbox.write(f"{venv}/lib/python{sys.version_info.major}.{sys.version_info.minor}/"
                  "site-packages/checkout-deps.pth", deps + "\n")  # fmt: skip
    pip = "PIP_INSTALL_ARGS=--no-deps --no-build-isolation --no-index --ignore-installed"
    first = sandbox.run("env", pip, "sh", str(src / "deploy/install.sh"), "--source", str(src))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "not started yet" in first.stdout and "SLACK_WEBHOOK_URL" in first.stdout

    # started anyway on the empty secrets: fails once with exit 2, and is not restarted
    assert sandbox.run("systemctl", "start", "newsbot").returncode != 0
    time.sleep(1)
    failed = sandbox.show("ActiveState", "ExecMainStatus", "NRestarts")
    assert failed == {"ActiveState": "failed", "ExecMainStatus": "2", "NRestarts": "0"}, failed
    assert "environment variable SLACK_WEBHOOK_URL is not set" in sandbox.journal()

    feeds, slack = FeedServer(), SlackReceiver()
    feeds.serve("/desk.xml", rss_items([(TIES, "https://news.example/ties")]))
    with running(feeds), running(slack):
        sandbox.write("/etc/newsbot/newsbot.toml", LIVE_CONFIG.format(feed=feeds.url("/desk.xml")))
        sandbox.write("/etc/newsbot/newsbot.env", f"SLACK_WEBHOOK_URL={slack.url}\n", mode="0600")
        sandbox.ok("systemctl", "restart", "newsbot")
        up = sandbox.show("ActiveState", "StatusText")
        assert up["ActiveState"] == "active" and "feeds" in up["StatusText"], up
        _wait("the item on Slack", lambda: "comprehensive strategic" in json.dumps(slack.payloads))

        sandbox.ok("systemctl", "reload", "newsbot")
        _wait("the reload", lambda: "config_reloaded" in sandbox.journal())
        assert sandbox.show("ActiveState")["ActiveState"] == "active"

        # a broken rule edit: rejected, the daemon keeps running, `newsbot status` says so (exit 1)
        sandbox.write("/etc/newsbot/rules/zz-typo.yaml", "rules:\n  - name: typo\n    all: [oops\n")
        _wait("the rejected edit", lambda: "rules_rejected" in sandbox.journal())
        status = sandbox.run("newsbot", "--config", "/etc/newsbot/newsbot.toml", "status")
        assert status.returncode == 1 and "REJECTED EDIT" in status.stdout, status.stdout
        assert sandbox.show("ActiveState")["ActiveState"] == "active"

        ping = sandbox.show("WatchdogTimestampMonotonic")["WatchdogTimestampMonotonic"]
        _wait("a watchdog ping", lambda: sandbox.show("WatchdogTimestampMonotonic")[
            "WatchdogTimestampMonotonic"] != ping)  # fmt: skip

        sandbox.ok("systemctl", "stop", "newsbot")
        stopped = sandbox.show("Result", "ExecMainStatus", "NRestarts")
        assert stopped == {"Result": "success", "ExecMainStatus": "0", "NRestarts": "0"}, stopped
    journal = sandbox.journal()
    assert "/services/T000" not in journal and "Traceback" not in journal

    purged = sandbox.run("sh", str(src / "deploy/install.sh"), "--uninstall", "--purge")
    assert purged.returncode == 0, purged.stdout + purged.stderr
    left = [p for p in ("/opt/newsbot", "/etc/newsbot", "/var/lib/newsbot", "/var/lib/private/newsbot",
                        "/usr/local/bin/newsbot", *(f"/etc/systemd/system/{u}" for u in UNITS),
                        "/etc/systemd/system/multi-user.target.wants/newsbot.service")
            if sandbox.exists(p)]  # fmt: skip
    assert left == []
