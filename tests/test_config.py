"""Config loading: located errors (file, line, key), env expansion, defaults, exit 2 at the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config, parse_duration
from bot.errors import ConfigError

GOOD = """\
[state]
path = "s.sqlite3"

[rules]
paths = ["rules"]

[[feeds]]
url = "https://example.org/rss"
interval = "30m"

[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${SLACK_URL}"

[[destinations]]
name = "desk-mail"
type = "email"
smtp_host = "127.0.0.1"
from = "bot@example.org"
to = ["desk@example.org"]
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "newsbot.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_config_resolves_paths_and_expands_env(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD), environ={"SLACK_URL": "https://hooks.example/x"})
    assert cfg.state.path == tmp_path.resolve() / "s.sqlite3"
    assert cfg.rules.paths == (tmp_path.resolve() / "rules",)
    assert cfg.feeds[0].interval == 1800 and cfg.feeds[0].name == "example.org"
    slack = cfg.destination("desk-slack").options
    assert slack.webhook_url == "https://hooks.example/x"  # type: ignore[union-attr]
    assert "hooks.example" not in repr(cfg)  # secrets stay out of reprs and so out of logs


@pytest.mark.parametrize(
    ("mutation", "line", "key", "words"),
    [
        (
            lambda t: t.replace('interval = "30m"', 'intervall = "30m"'),
            9,
            "feeds[0].intervall",
            "unknown key",
        ),
        (
            lambda t: t.replace('interval = "30m"', 'interval = "soon"'),
            9,
            "feeds[0].interval",
            "not a duration",
        ),
        (
            lambda t: t.replace('type = "slack"', 'type = "slak"'),
            13,
            "destinations[0].type",
            "unknown destination type",
        ),
        (
            lambda t: t.replace('smtp_host = "127.0.0.1"\n', ""),
            16,
            "destinations[1].smtp_host",
            "missing required key",
        ),
        (lambda t: t + "\n[fetch]\nper_host = 0\n", 24, "fetch.per_host", "positive"),
        (
            lambda t: t.replace("${SLACK_URL}", "${NOPE}"),
            14,
            "destinations[0].webhook_url",
            "NOPE is not set",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, mutation, line, key, words) -> None:
    path = write(tmp_path, mutation(GOOD))
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={"SLACK_URL": "https://hooks.example/x"})
    err = info.value
    assert err.line == line and err.key == key
    assert words in str(err) and str(path.resolve()) in str(err)


def test_invalid_toml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD + "\n[broken\n"), environ={"SLACK_URL": "x"})
    assert info.value.line == 23


def test_cli_exits_2_with_located_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD.replace("interval", "intervall"))
    assert main(["--config", str(path), "once"]) == 2
    err = capsys.readouterr().err
    assert f"{path.resolve()}:9: feeds[0].intervall: unknown key" in err


def test_env_file_fills_variables_and_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("# secrets\nSLACK_URL='https://from-file'\n")
    text = 'env_file = "secrets.env"\n' + GOOD
    assert (
        load_config(write(tmp_path, text), environ={}).destination("desk-slack").options.webhook_url
        == "https://from-file"
    )  # type: ignore[union-attr]
    env = {"SLACK_URL": "https://from-env"}
    assert (
        load_config(write(tmp_path, text), environ=env)
        .destination("desk-slack")
        .options.webhook_url
        == "https://from-env"
    )  # type: ignore[union-attr]


def test_auth_over_plain_smtp_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace(
        'to = ["desk@example.org"]', 'to = ["desk@example.org"]\nusername = "u"\npassword = "p"'
    )
    with pytest.raises(ConfigError, match="without TLS"):
        load_config(write(tmp_path, text), environ={"SLACK_URL": "x"})


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), (45, 45), ("1.5h", 5400)]
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == seconds


def test_relative_state_path_goes_to_systemd_state_directory(tmp_path: Path) -> None:
    env = {"SLACK_URL": "x", "STATE_DIRECTORY": "/var/lib/newsbot"}
    cfg = load_config(write(tmp_path, GOOD), environ=env)
    assert cfg.state.path == Path("/var/lib/newsbot/s.sqlite3")
    absolute = GOOD.replace('path = "s.sqlite3"', f'path = "{tmp_path}/abs.sqlite3"')
    assert (
        load_config(write(tmp_path, absolute), environ=env).state.path == tmp_path / "abs.sqlite3"
    )


def test_urgent_score_is_read_and_checked(tmp_path: Path) -> None:
    text = GOOD.replace(
        'webhook_url = "${SLACK_URL}"', 'webhook_url = "${SLACK_URL}"\nurgent_score = 6'
    )
    cfg = load_config(write(tmp_path, text), environ={"SLACK_URL": "x"})
    assert cfg.destination("desk-slack").urgent_score == 6.0
    with pytest.raises(ConfigError, match="urgent_score"):
        load_config(write(tmp_path, text.replace("= 6", '= "high"')), environ={"SLACK_URL": "x"})


def test_unknown_table_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD + "\n[stat]\npath = 'x'\n"), environ={"SLACK_URL": "x"})
    assert info.value.line == 23 and info.value.key == "stat"


def test_rule_commands_need_no_secrets(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, GOOD), environ={}, secrets_required=False)
    assert cfg.destination("desk-slack").options.webhook_url == "${SLACK_URL}"  # type: ignore[union-attr]
