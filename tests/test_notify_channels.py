"""The registry and the webhook, file, console and apprise channels."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import tomllib
from pathlib import Path

import httpx
import pytest

from bot.config import (
    CHANNEL_TYPES,
    AppriseOptions,
    ConsoleOptions,
    DestinationConfig,
    FileOptions,
    SlackOptions,
    WebhookOptions,
    load_config,
)
from bot.config.reader import Locator, Section
from bot.errors import ConfigError, PermanentDeliveryError, TransientDeliveryError
from bot.notify import CHANNELS, create_notifier
from bot.notify.apprise import AppriseNotifier
from bot.notify.console import ConsoleNotifier
from bot.notify.file import FileNotifier, safe_name
from bot.notify.slack import SlackNotifier
from bot.notify.webhook import SIGNATURE_HEADER, WebhookNotifier
from tests.digest_helpers import INJECTION_TITLE, Receiver, Reply, destination, digest_of, item
from tests.test_config import GOOD

DIGEST = digest_of([item(1, "Tokyo and Hanoi sign rail deal"), item(2, INJECTION_TITLE)])


ALL_TYPES = (
    GOOD
    + """\
[[destinations]]
name = "w"
type = "webhook"
url = "http://127.0.0.1:9/w"
[[destinations]]
name = "c"
type = "console"
[[destinations]]
name = "f"
type = "file"
[[destinations]]
name = "a"
type = "apprise"
urls = ["json://127.0.0.1:9"]
"""
)

ENV = {"SLACK_URL": "http://127.0.0.1:9/x"}


def section_of(path: Path, name: str) -> Section:
    """The [[destinations]] table called `name`, read as config reads it."""
    text = path.read_text(encoding="utf-8")
    tables = tomllib.loads(text)["destinations"]
    index = next(i for i, t in enumerate(tables) if t["name"] == name)
    return Section(tables[index], path=path, loc=Locator(text), table="destinations", index=index,
                   env=ENV)  # fmt: skip


def test_one_registry_covers_every_config_type_and_agrees_with_config(tmp_path: Path) -> None:
    assert set(CHANNELS) == set(CHANNEL_TYPES)
    (tmp_path / "newsbot.toml").write_text(ALL_TYPES, encoding="utf-8")
    config = load_config(tmp_path / "newsbot.toml", environ=ENV)
    assert sorted(d.type for d in config.destinations) == sorted(CHANNEL_TYPES)
    for dest in config.destinations:
        spec = CHANNELS[dest.type]
        # config parsed the table with the parser the channel module exports, into its options
        assert dest.options == spec.parse_options(section_of(config.source, dest.name))
        assert isinstance(dest.options, spec.options)
        assert type(create_notifier(dest)) is spec.notifier


def test_registry_maps_every_config_type_to_a_class() -> None:
    n = create_notifier(destination(SlackOptions(webhook_url="http://127.0.0.1:9/x"), kind="slack"))
    assert isinstance(n, SlackNotifier)
    with pytest.raises(ConfigError, match="unknown type"):
        create_notifier(DestinationConfig(name="x", type="pager", options=ConsoleOptions()))
    with pytest.raises(ConfigError, match="not SlackOptions"):
        create_notifier(destination(ConsoleOptions(), kind="slack"))


# ------------------------------------------------------------------------------------ webhook


def test_webhook_posts_signed_json() -> None:
    opts = WebhookOptions(url="", secret="k3y", headers=(("X-Team", "desk"),))
    with Receiver().running() as r:
        opts = WebhookOptions(url=r.url + "/hook", secret=opts.secret, headers=opts.headers)
        with httpx.Client() as http:
            create_notifier(destination(opts, kind="webhook"), http=http).send(DIGEST)
    [req] = r.requests
    expected = "sha256=" + hmac.new(b"k3y", req.body, hashlib.sha256).hexdigest()
    assert req.headers[SIGNATURE_HEADER.lower()] == expected
    assert req.headers["x-team"] == "desk"
    assert req.headers["x-newsbot-digest-key"] == DIGEST.key
    doc = req.json()
    assert doc["key"] == DIGEST.key and len(doc["entries"]) == 2
    assert doc["entries"][1]["title"].startswith("<!channel> Deal &")  # JSON carries raw text


def test_webhook_without_secret_is_unsigned() -> None:
    with Receiver().running() as r:
        WebhookNotifier(destination(WebhookOptions(url=r.url), kind="webhook")).send(DIGEST)
    assert SIGNATURE_HEADER.lower() not in r.requests[0].headers


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(503, "", {"Retry-After": "12"}), TransientDeliveryError, 12.0),
        (Reply(429, ""), TransientDeliveryError, None),
        (Reply(410, "gone"), PermanentDeliveryError, None),
        (Reply(302, "", {"Location": "http://127.0.0.1:9/"}), PermanentDeliveryError, None),
    ],
)
def test_webhook_failures(reply: Reply, error: type[Exception], retry_after: float | None) -> None:
    with Receiver([reply]).running() as r:
        notifier = WebhookNotifier(destination(WebhookOptions(url=r.url + "/s3"), kind="webhook"))
        with pytest.raises(error) as info:
            notifier.send(DIGEST)
    assert getattr(info.value, "retry_after", None) == retry_after
    assert "/s3" not in str(info.value)
    assert len(r.requests) == 1


# --------------------------------------------------------------------------------------- file


@pytest.mark.parametrize(("fmt", "ext"), [("html", "html"), ("text", "txt"), ("json", "json")])
def test_file_writes_one_file_per_key(tmp_path: Path, fmt: str, ext: str) -> None:
    n = create_notifier(destination(FileOptions(dir=tmp_path / "out", format=fmt), kind="file"))
    n.send(DIGEST)
    n.send(DIGEST)  # a repeat replaces, never adds
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"desk_2026-11-23T08_00.{ext}"]
    content = (tmp_path / "out" / files[0]).read_text(encoding="utf-8")
    assert "Tokyo and Hanoi sign rail deal" in content
    if fmt == "json":
        assert [e["link"] for e in json.loads(content)["entries"]] == [
            "https://news.example/a/1",
            "https://news.example/a/2",
        ]


def test_file_unwritable_dir_is_permanent(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    n = FileNotifier(destination(FileOptions(dir=blocker / "sub"), kind="file"))
    with pytest.raises(PermanentDeliveryError, match="file: cannot write"):
        n.send(DIGEST)


def test_safe_name() -> None:
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("desk:2026-11-23T08:00:00+00:00") == "desk_2026-11-23T08_00_00_00_00"
    assert os.sep not in safe_name("a/b\\c")


# ------------------------------------------------------------------------------------ console


def test_console_writes_plain_text_without_control_sequences() -> None:
    out = io.StringIO()
    create_notifier(destination(ConsoleOptions(color="auto")), stream=out).send(DIGEST)
    text = out.getvalue()
    assert text.startswith("Vietnam–Japan: 2 new articles\n")
    assert "\x1b" not in text and "\r" not in text
    assert "<!channel> Deal & <script>alert(1)</script> Bcc: victim@example.org X-Evil: 1" in text


def test_console_color_always_marks_terms() -> None:
    out = io.StringIO()
    ConsoleNotifier(destination(ConsoleOptions(color="always")), stream=out).send(
        digest_of([item(1, "T", summary="Talks in Tokyo")])
    )
    assert "\x1b[1;33mTokyo\x1b[0m" in out.getvalue()


# ------------------------------------------------------------------------------------ apprise


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # apprise imports imghdr on 3.11/3.12
def test_apprise_delivers_to_a_json_endpoint() -> None:
    pytest.importorskip("apprise")
    with Receiver().running() as r:
        url = r.url.replace("http://", "json://") + "/notify"
        AppriseNotifier(destination(AppriseOptions(urls=(url,)), kind="apprise")).send(DIGEST)
    [req] = r.requests
    body = req.json()
    assert body["title"] == "Vietnam–Japan: 2 new articles — 23 Nov 2026"
    assert "Tokyo and Hanoi sign rail deal" in body["message"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # apprise imports imghdr on 3.11/3.12
def test_apprise_failure_and_bad_url() -> None:
    pytest.importorskip("apprise")
    with Receiver(default=Reply(500, "")).running() as r:
        url = r.url.replace("http://", "json://")
        failing = AppriseNotifier(destination(AppriseOptions(urls=(url,)), kind="apprise"))
        with pytest.raises(TransientDeliveryError, match="did not accept"):
            failing.send(DIGEST)
    bad = AppriseNotifier(destination(AppriseOptions(urls=("nosuchscheme://x",)), kind="apprise"))
    with pytest.raises(PermanentDeliveryError, match="URL #1"):
        bad.send(DIGEST)


def test_apprise_missing_library_is_permanent(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_apprise(name: str, *args: object, **kw: object) -> object:
        if name == "apprise":
            raise ImportError("No module named 'apprise'")
        return real_import(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_apprise)
    monkeypatch.delitem(__import__("sys").modules, "apprise", raising=False)
    n = AppriseNotifier(destination(AppriseOptions(urls=("json://127.0.0.1:9",)), kind="apprise"))
    with pytest.raises(PermanentDeliveryError, match=r"pip install 'newsbot\[apprise\]'"):
        n.send(DIGEST)
