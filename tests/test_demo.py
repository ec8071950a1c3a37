"""`make demo` (`newsbot demo`) shows a full digest from the bundled, dated sample feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main


def test_demo_shows_a_full_digest_and_says_why_max_age_is_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert 'max_age = "off" for the demo' in out
    # every matching sample item reaches the digest, old as they are
    matched = re.search(r"(\d+) matched the rules", out)
    assert matched and int(matched.group(1)) > 0
    assert f": {matched.group(1)} new articles" in out
    assert list((tmp_path / "demo" / "digests").glob("*.html"))
