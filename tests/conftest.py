"""Every test runs isolated from the host: no config found by accident.

Without a config, newsbot looks at $NEWSBOT_CONFIG, ./newsbot.toml and /etc/newsbot/newsbot.toml. On a
machine where the service is installed (or where the caller exported NEWSBOT_CONFIG) a test that relies
on "no config" would read the operator's file. So each test starts with NEWSBOT_CONFIG unset and with
the system-wide location moved into the test's own tmp dir (where nothing is, unless the test puts it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.config.load


@pytest.fixture(autouse=True)
def isolated_from_host(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    system = tmp_path_factory.mktemp("etc-newsbot") / "newsbot.toml"
    locations = tuple(system if p.is_absolute() else p for p in bot.config.load.DEFAULT_LOCATIONS)
    monkeypatch.setattr(bot.config.load, "DEFAULT_LOCATIONS", locations)


def system_config_location() -> Path:
    """Where this test's newsbot looks for the system-wide config (see `isolated_from_host`)."""
    return next(p for p in bot.config.load.DEFAULT_LOCATIONS if p.is_absolute())
