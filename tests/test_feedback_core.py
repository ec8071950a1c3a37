"""Feedback tokens, the [feedback] config section, the feedback table, and example edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import load_config
from bot.errors import ConfigError, FeedbackError
from bot.feedback.examples import append_example, example_yaml
from bot.feedback.tokens import VERDICTS, Ballot, sign, verify
from bot.rules import load_rules
from bot.store import FeedbackItem, Store
from bot.store.migrations import MIGRATIONS

SECRET = "0123456789abcdef-secret"

ballots = st.builds(
    Ballot,
    item_id=st.integers(min_value=0, max_value=2**40),
    destination=st.text(min_size=1, max_size=40),
    verdict=st.sampled_from(VERDICTS),
)


@given(ballots)
def test_token_round_trip_and_url_safe(ballot: Ballot) -> None:
    token = sign(ballot, secret=SECRET)
    assert verify(token, secret=SECRET) == ballot
    assert all(c.isalnum() or c in "-_." for c in token)
    assert SECRET not in token


@given(ballots, st.integers(min_value=0), st.sampled_from("AQgw-_"))
def test_any_changed_character_is_refused(ballot: Ballot, where: int, char: str) -> None:
    token = sign(ballot, secret=SECRET)
    i = where % len(token)
    if token[i] == char or token[i] == ".":
        return
    with pytest.raises(FeedbackError):
        verify(token[:i] + char + token[i + 1 :], secret=SECRET)


@given(ballots)
def test_another_secret_or_ballot_does_not_verify(ballot: Ballot) -> None:
    with pytest.raises(FeedbackError, match="signature"):
        verify(sign(ballot, secret="another-secret-0000"), secret=SECRET)
    other = Ballot(ballot.item_id + 1, ballot.destination, ballot.verdict)
    payload = sign(other, secret=SECRET).split(".")[0]
    with pytest.raises(FeedbackError):  # the next item's payload under this item's MAC
        verify(payload + "." + sign(ballot, secret=SECRET).split(".")[1], secret=SECRET)


@given(st.text(max_size=600))
def test_garbage_never_verifies(text: str) -> None:
    with pytest.raises(FeedbackError):
        verify(text, secret=SECRET)


def write(tmp: Path, feedback: str) -> Path:
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f"""[state]
path = "s.sqlite3"
{feedback}
[[destinations]]
name = "desk"
type = "console"
""",
        encoding="utf-8",
    )
    return cfg


def test_config_section_and_secret_from_the_environment(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        '[feedback]\nlisten = "[::1]:9001"\nbase_url = "https://news.example/fb/"\n'
        'secret = "${NEWSBOT_FEEDBACK_SECRET}"\n',
    )
    config = load_config(cfg, environ={"NEWSBOT_FEEDBACK_SECRET": SECRET})
    fb = config.feedback
    assert fb is not None
    assert (fb.host, fb.port, fb.base_url, fb.secret) == (
        "::1",
        9001,
        "https://news.example/fb",
        SECRET,
    )
    assert SECRET not in repr(config)
    assert config.destination("desk").feedback == fb
    assert load_config(write(tmp_path, ""), environ={}).feedback is None


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ('base_url = "https://x.example"', 3, "feedback.secret: missing required key"),
        ('base_url = "https://x.example"\nsecret = "short"', 5, "feedback.secret: must be at least"),
        ('base_url = "ftp://x"\nsecret = "${NEWSBOT_FEEDBACK_SECRET}"', 4, "feedback.base_url: must"),
        ('base_url = "https://x.example"\nsecret = "${NEWSBOT_FEEDBACK_SECRET}"\nlisten = "8087"', 6,
         "feedback.listen: expected HOST:PORT"),
        ('base_url = "https://x.example"\nsecret = "${NEWSBOT_FEEDBACK_SECRET}"\nport = 1', 6,
         "unknown key 'feedback.port'"),
    ],
)  # fmt: skip
def test_config_errors_name_file_line_and_key(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    cfg = write(tmp_path, f"[feedback]\n{body}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={"NEWSBOT_FEEDBACK_SECRET": SECRET})
    assert f"{cfg.resolve()}:{line}:" in str(err.value) and message in str(err.value)


def test_unset_secret_names_the_variable(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        '[feedback]\nbase_url = "https://x.example"\nsecret = "${NEWSBOT_FEEDBACK_SECRET}"\n',
    )
    with pytest.raises(
        ConfigError, match=r":5: feedback.secret: environment variable NEWSBOT_FEEDBACK_SECRET"
    ):
        load_config(cfg, environ={})
    # commands that send nothing do not need it
    assert load_config(cfg, environ={}, secrets_required=False).feedback is not None


def test_feedback_rows_are_pruned_with_retention(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    with Store(tmp_path / "s.sqlite3") as store:
        assert store.schema_version == len(MIGRATIONS)
        item = FeedbackItem(title="T", link="https://n.example/1", rules=("r",), terms=("Japan",))
        store.record_feedback(
            item, destination="d", verdict="missed", note="", now=now - timedelta(days=200)
        )
        store.record_feedback(item, destination="d", verdict="relevant", note=" n ", now=now)
        assert store.feedback_counts(now - timedelta(days=7)) == {"relevant": 1}
        store.prune(before=now - timedelta(days=180))
        (row,) = store.feedback_since(None)
    assert (row.verdict, row.note, row.item.rules, row.item.terms) == (
        "relevant",
        "n",
        ("r",),
        ("Japan",),
    )


RULES = """\
# comment kept
rules:
  - name: a
    all: [Japan]   # why Japan
    examples:
      match:
        - "Japan news"
        # a comment after the list

  - name: b
    all: [Vietnam]
    examples:
      match: ["Vietnam news"]
  - name: c
    all: [Korea]
"""


def test_append_example_keeps_the_file_as_written(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULES, encoding="utf-8")
    append_example(path, "a", "match", example_yaml(title='Japan "quoted" \\ news', lang="en"))
    append_example(path, "a", "no_match", example_yaml(title="Nothing here", summary="at all"))
    append_example(path, "c", "match", example_yaml(title="Korea ja 日本"))
    text = path.read_text(encoding="utf-8")
    assert (
        "# comment kept" in text and "# why Japan" in text and "# a comment after the list" in text
    )
    rules = {r.name: r for r in load_rules([path]).rules}
    assert [e.title for e in rules["a"].match_examples] == ["", 'Japan "quoted" \\ news']
    assert rules["a"].match_examples[1].lang == "en"
    assert [(e.title, e.summary) for e in rules["a"].no_match_examples] == [
        ("Nothing here", "at all")
    ]
    assert [e.title for e in rules["c"].match_examples] == ["Korea ja 日本"]
    with pytest.raises(FeedbackError, match="block list"):  # a flow list is left alone
        append_example(path, "b", "match", example_yaml(title="Vietnam"))
    with pytest.raises(FeedbackError, match="no rule named"):
        append_example(path, "zz", "match", example_yaml(title="x"))
