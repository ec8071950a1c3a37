"""The translator and its catalogs: CLDR dates and numbers per locale, plural forms, every message
in the sources translated in every catalog (held to GNU msgfmt where installed), the `locale` config
key and per-language rule titles."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError, RuleError
from bot.i18n import LOCALES, LocalText, catalog_path, load_translator
from bot.rules import load_rules, rule_titles
from tests.test_config import GOOD, write

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [loc for loc in LOCALES if loc != "en"]
# the same method map and keywords as `make messages` (babel.cfg, Makefile)
TEMPLATES = ("bot/digest/templates/**", "bot/feedback/templates/**")
METHODS = [("bot/**.py", "python"), *((t, "jinja2") for t in TEMPLATES)]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "n_": (1, 2),
    "NP_": (1, 2),
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# 5 Dec 2026 12:31 in Hanoi / Jakarta; Tokyo is two hours ahead
WHEN = datetime(2026, 12, 5, 5, 31, tzinfo=UTC)


def source_messages() -> set[tuple[str | None, str | tuple[str, str]]]:
    out: set[tuple[str | None, str | tuple[str, str]]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT,
        METHODS,
        keywords=KEYWORDS,
        options_map={t: {"extensions": "jinja2.ext.i18n"} for t in TEMPLATES},
    ):
        if "/.venv/" in _file or _file.startswith(".venv"):
            continue
        out.add((context, message if isinstance(message, str) else (message[0], message[1])))
    return out


def catalog(locale: str):  # type: ignore[no-untyped-def]
    with catalog_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize(
    ("locale", "date_time", "short", "number"),
    [
        ("en", "5 Dec 2026 12:31", "5 Dec 12:31", "12,345"),
        ("vi", "5/12/2026 12:31", "5/12 12:31", "12.345"),
        ("ja", "2026年12月5日 14:31", "12月5日 14:31", "12,345"),
        ("id", "5 Des 2026 12.31", "5 Des 12.31", "12.345"),
    ],
)
def test_dates_times_and_numbers_as_each_desk_writes_them(
    locale: str, date_time: str, short: str, number: str
) -> None:
    tr = load_translator(locale)
    zone = "Asia/Tokyo" if locale == "ja" else "Asia/Ho_Chi_Minh"
    local = WHEN.astimezone(ZoneInfo(zone))
    assert tr.date_time(local) == date_time
    assert tr.day_month_time(local) == short
    assert tr.number(12345) == number


def test_morning_hours_are_padded_where_the_desk_pads_them() -> None:
    morning = datetime(2026, 12, 5, 8, 5, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    got = {loc: load_translator(loc).time(morning) for loc in LOCALES}
    assert got == {"en": "08:05", "vi": "08:05", "ja": "8:05", "id": "08.05"}


def test_plural_forms_follow_each_language() -> None:
    counts = {
        loc: [
            load_translator(loc).n_("%(num)s new article", "%(num)s new articles", n)
            for n in (1, 3, 1200)
        ]
        for loc in LOCALES
    }
    assert counts["en"] == ["1 new article", "3 new articles", "1,200 new articles"]
    assert counts["vi"] == ["1 bài viết mới", "3 bài viết mới", "1.200 bài viết mới"]
    assert counts["ja"] == ["新着記事1件", "新着記事3件", "新着記事1,200件"]  # newspaper style
    assert counts["id"] == ["1 artikel baru", "3 artikel baru", "1.200 artikel baru"]


WINTER, SUMMER = datetime(2026, 1, 15, 3, tzinfo=UTC), datetime(2026, 7, 15, 3, tzinfo=UTC)
ZONES = {
    # zone: what an en, vi, ja and id desk writes for it (winter, and summer where it differs)
    "Asia/Ho_Chi_Minh": ("Vietnam Time (GMT+7)", "giờ Việt Nam (GMT+7)", "ベトナム時間（GMT+7）",
                         "Waktu Vietnam (GMT+7)"),
    "Asia/Saigon": ("Vietnam Time (GMT+7)", "giờ Việt Nam (GMT+7)", "ベトナム時間（GMT+7）",
                    "Waktu Vietnam (GMT+7)"),
    "Asia/Tokyo": ("Japan Time (GMT+9)", "giờ Nhật Bản (GMT+9)", "日本時間", "Waktu Jepang (GMT+9)"),
    "Asia/Jakarta": ("Western Indonesia Time (GMT+7)", "giờ Miền Tây Indonesia (GMT+7)",
                     "インドネシア西部時間（GMT+7）", "WIB"),
    "Asia/Makassar": ("Central Indonesia Time (GMT+8)", "giờ Miền Trung Indonesia (GMT+8)",
                      "インドネシア中部時間（GMT+8）", "WITA"),
    "Asia/Kolkata": ("India Time (GMT+5:30)", "giờ Ấn Độ (GMT+5:30)", "インド時間（GMT+5:30）",
                     "Waktu India (GMT+5:30)"),
    "UTC": ("UTC", "UTC", "UTC", "UTC"),
}  # fmt: skip


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("when", [WINTER, SUMMER], ids=["winter", "summer"])
def test_time_zones_as_each_desk_writes_them(zone: str, when: datetime) -> None:
    got = tuple(load_translator(loc).zone(zone, when) for loc in LOCALES)
    assert got == ZONES[zone]


def test_a_zone_with_summer_time_is_named_at_the_digests_time() -> None:
    london = [load_translator(loc).zone("Europe/London", WINTER) for loc in ("en", "ja")]
    assert london == ["British Time (GMT)", "英国時間（GMT）"]
    assert load_translator("en").zone("Europe/London", SUMMER) == "British Time (GMT+1)"
    new_york = [load_translator("vi").zone("America/New_York", w) for w in (WINTER, SUMMER)]
    assert new_york == ["giờ miền Đông (GMT-5)", "giờ miền Đông (GMT-4)"]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_a_label_keeps_its_colon(locale: str) -> None:
    """ "Source health:" heads a value in every channel: its translation ends in a colon too
    (full-width in Japanese), so Slack's bold label and the text part read the same."""
    labels = [m for m in catalog(locale) if isinstance(m.id, str) and m.id.endswith(":")]
    assert len(labels) >= 5
    colon = "：" if locale == "ja" else ":"
    assert [m.id for m in labels if not str(m.string).endswith(colon)] == []


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(ValueError, match="one of en, vi, ja, id"):
        load_translator("fr")


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_in_the_sources_is_translated(locale: str) -> None:
    wanted = source_messages()
    assert len(wanted) > 40  # the extraction itself found the messages
    cat = catalog(locale)
    have = {(m.context, m.id) for m in cat if m.id}
    assert wanted - have == set(), "run `make messages` and translate the new strings"
    assert have - wanted == set(), "messages no source uses any more: run `make messages`"
    for m in cat:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings) and not m.fuzzy, f"{locale}: {m.id!r} is not translated"
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        for s in strings:  # a translation fills exactly the placeholders the English has
            assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(ids[-1])), (locale, s)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
@pytest.mark.parametrize("locale", TRANSLATED)
def test_in_memory_catalog_matches_gnu_msgfmt(locale: str, tmp_path: Path) -> None:
    """The catalog compiled in memory translates every message as GNU msgfmt's .mo does, and
    msgfmt's own checks (python-format placeholders, header, plural forms) pass."""
    mo = tmp_path / "newsbot.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(mo), str(catalog_path(locale))],
        check=True,
        capture_output=True,
    )
    reference = gettext.GNUTranslations(BytesIO(mo.read_bytes()))
    tr = load_translator(locale)
    for m in catalog(locale):
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            for n in (1, 2, 5):
                got = tr.ngettext(m.id[0], m.id[1], n)
                assert got == reference.ngettext(m.id[0], m.id[1], n) == m.string[0]
        elif m.context:
            assert tr.pgettext(m.context, m.id) == reference.pgettext(m.context, m.id)
        else:
            assert tr.gettext(m.id) == reference.gettext(m.id) == m.string


# ----------------------------------------------------------------------------- config


ENV = {"SLACK_URL": "https://hooks.example/x"}


def with_locale(tmp_path: Path, locale: str | None) -> Path:
    """tests.test_config's config, its Slack destination in `locale`."""
    setting = f'type = "slack"\nlocale = "{locale}"' if locale else 'type = "slack"'
    return write(tmp_path, GOOD.replace('type = "slack"', setting))


def test_destination_locale_defaults_to_english(tmp_path: Path) -> None:
    assert load_config(with_locale(tmp_path, None), environ=ENV).destinations[0].locale == "en"
    assert load_config(with_locale(tmp_path, "vi"), environ=ENV).destinations[0].locale == "vi"


def test_unknown_locale_names_file_line_and_the_supported_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = with_locale(tmp_path, "vn")
    line = path.read_text().splitlines().index('locale = "vn"') + 1
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=ENV)
    assert info.value.line == line and info.value.key == "destinations[0].locale"
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err
    assert f"{path.resolve()}:{line}: destinations[0].locale: unknown locale 'vn'" in err
    assert "supported locales are en, vi, ja, id" in err


# ----------------------------------------------------------------------------- rule titles


RULES = """\
rules:
  - name: aid
    title: {en: "ODA and aid", vi: "ODA và viện trợ", ja: "ODA・援助", id: "ODA dan bantuan"}
    any: [ODA]
  - name: trade
    title: {vi: "Thương mại"}
    any: [trade]
  - name: plain
    title: Labour
    any: [labour]
  - name: untitled
    any: [visa]
"""


def test_rule_titles_per_language_fall_back_to_english_then_the_name(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULES, encoding="utf-8")
    titles = rule_titles(load_rules([path]))
    assert set(titles) == {"aid", "trade", "plain"}  # no title: the digest shows the name
    assert [titles["aid"].get(loc) for loc in LOCALES] == [
        "ODA and aid",
        "ODA và viện trợ",
        "ODA・援助",
        "ODA dan bantuan",
    ]
    assert titles["trade"].get("vi") == "Thương mại" and titles["trade"].get("ja") == ""
    assert titles["plain"].get("ja") == "Labour"
    assert LocalText.of("x") == LocalText((("en", "x"),))


@pytest.mark.parametrize(
    ("title", "where", "words"),
    [
        ('{en: "Aid", fr: "Aide"}', ":3:24:", "unknown key 'fr' in title"),
        ('{en: "Aid", vi: ""}', ":3:28:", "title.vi must not be empty"),
        ("[Aid]", ":3:12:", "title must be a single value"),
    ],
)
def test_bad_rule_titles_are_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], title: str, where: str, words: str
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(f"rules:\n  - name: aid\n    title: {title}\n    any: [ODA]\n", "utf-8")
    with pytest.raises(RuleError, match=re.escape(words)):
        load_rules([path])
    assert main(["rules", "check", str(path)]) == 2
    err = capsys.readouterr()
    out = err.out + err.err
    assert f"r.yaml{where}" in out and words in out
    if "fr" in title:
        assert "en, vi, ja, id" in out


def test_default_rules_are_titled_in_all_four_languages() -> None:
    titles = rule_titles(load_rules([ROOT / "rules"]))
    assert titles
    for name, title in titles.items():
        texts = dict(title.texts)
        assert set(texts) == set(LOCALES), f"{name}: {sorted(texts)}"
        assert len(set(texts.values())) == len(LOCALES), f"{name}: a title left untranslated"
