"""What an operator meets on an installed system: commands that send nothing need no secrets, an
unreadable env_file is an error only when it matters, options go before or after the command, and
no test here (or anywhere: tests/conftest.py) reads the host's /etc/newsbot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import bot.config.load
from bot.cli import main
from bot.config import find_config, load_config
from bot.errors import ConfigError
from tests.conftest import system_config_location

RULES = """\
rules:
  - name: pair
    all: [Vietnam, Japan]
"""
CONFIG = """\
env_file = "{env_file}"
[state]
path = "state.sqlite3"
[rules]
paths = ["rules"]
[[feeds]]
url = "http://127.0.0.1:9/feed.xml"
name = "Local"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config whose only secret is unset, and whose env_file does not exist."""
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules/pair.yaml").write_text(RULES, encoding="utf-8")
    cfg = tmp_path / "newsbot.toml"
    cfg.write_text(CONFIG.format(env_file=tmp_path / "missing.env"), encoding="utf-8")
    return cfg


def test_tests_never_see_the_hosts_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the autouse fixture: NEWSBOT_CONFIG is not inherited, the system location is a tmp dir
    assert "NEWSBOT_CONFIG" not in os.environ
    system = system_config_location()
    assert not str(system).startswith("/etc") and not system.exists()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no config file"):
        find_config(None, os.environ)
    system.write_text("[state]\n", encoding="utf-8")  # a "system" config is still found
    assert find_config(None, os.environ) == system
    assert bot.config.load.DEFAULT_LOCATIONS[0] == Path("newsbot.toml")


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["status", "--json"],
        ["rules", "check"],
        ["rules", "backtest"],
        ["digest", "preview", "--destination", "desk-slack"],
    ],
    ids=" ".join,
)
def test_commands_that_send_nothing_need_no_secrets(
    site: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # as root on an installed system: the secrets live only in the unit's EnvironmentFile
    code = main(["--config", str(site), *argv])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "SLACK_WEBHOOK_URL" not in err


@pytest.mark.parametrize("argv", [["once"], ["digest", "send", "--destination", "desk-slack"]])
def test_commands_that_send_name_the_missing_secret_and_the_unreadable_env_file(
    site: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(site), *argv]) == 2
    err = capsys.readouterr().err
    assert "environment variable SLACK_WEBHOOK_URL is not set" in err
    assert f"env_file {site.parent / 'missing.env'} cannot be read" in err


def test_an_unreadable_env_file_is_fine_when_the_environment_has_it(site: Path) -> None:
    # systemd's EnvironmentFile= already set the variables; the service's user cannot read the file
    cfg = load_config(site, environ={"SLACK_WEBHOOK_URL": "https://hooks.example/x"})
    assert cfg.destination("desk-slack").options.webhook_url == "https://hooks.example/x"  # type: ignore[union-attr]


def test_a_broken_env_file_that_can_be_read_is_still_an_error(site: Path) -> None:
    (site.parent / "missing.env").write_text("not a key value line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected KEY=value"):
        load_config(site, environ={"SLACK_WEBHOOK_URL": "x"})


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "check", "--config", "{cfg}"],
        ["status", "--config", "{cfg}", "--json"],
        ["--log-level", "debug", "status", "-c", "{cfg}"],
        ["--config", "{cfg}", "status", "--log-level", "warning"],
    ],
    ids=" ".join,
)
def test_global_options_go_before_or_after_the_command(
    site: Path,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # ./newsbot.toml is not there: only the option finds it
    assert main([a.format(cfg=site) for a in argv]) == 0, capsys.readouterr().err


def test_an_option_before_the_command_is_kept(site: Path, tmp_path: Path) -> None:
    from bot.cli import build_parser

    args = build_parser().parse_args(["--config", str(site), "--log-level", "error", "status"])
    assert args.config == str(site) and args.log_level == "error"
    args = build_parser().parse_args(["once", "--config", "x.toml"])
    assert args.config == "x.toml" and args.log_level is None and args.env_file is None


def test_an_empty_secret_is_not_a_secret(site: Path) -> None:
    # the secrets file as installed: `SLACK_WEBHOOK_URL=`, still to be filled in
    with pytest.raises(ConfigError, match="environment variable SLACK_WEBHOOK_URL is not set"):
        load_config(site, environ={"SLACK_WEBHOOK_URL": ""})
    cfg = load_config(site, environ={"SLACK_WEBHOOK_URL": ""}, secrets_required=False)
    assert cfg.destination("desk-slack").options.webhook_url == "${SLACK_WEBHOOK_URL}"  # type: ignore[union-attr]
