"""The reader's language: one `Translator` per destination locale (en, vi, ja, id).

Every string newsbot writes around the articles, and on the readers' feedback pages, goes through a
translator: gettext catalogs (``bot/locale/<lang>/LC_MESSAGES/newsbot.po``, English is the source and
needs none) compiled in memory when a translator is made, and Babel's CLDR data for dates, times,
numbers and plural forms.
A translator is an ordinary object, made where a destination's channel is made and passed down to
the renderers; nothing here is cached at module level.

Messages use ``%(name)s`` placeholders (the same in Python and in the Jinja2 templates, whose
``_()`` / ``ngettext()`` are this translator's). ``N_`` / ``NP_`` mark a message (a plural pair) for
extraction where it is translated later (notices). Refresh the catalogs after changing a message: ``make messages``.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_skeleton, format_time, get_timezone_location, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES: Final = ("en", "vi", "ja", "id")
DEFAULT_LOCALE: Final = "en"
DOMAIN: Final = "newsbot"
CATALOGS: Final = Path(__file__).parent / "locale"

# English digests keep the day-month order they always had ("5 Dec 2026"), hence en_GB's CLDR data.
_CLDR: Final = {"en": "en_GB", "vi": "vi", "ja": "ja", "id": "id"}
# CLDR skeletons (date with year, date without year) a desk in each language expects:
# en "5 Dec 2026" / "5 Dec"; vi "5/12/2026" / "5/12"; ja "2026年12月5日" / "12月5日"; id "5 Des 2026"
_DATES: Final = {
    "en": ("yMMMd", "MMMd"),
    "vi": ("yMd", "Md"),
    "ja": ("yMMMd", "MMMd"),
    "id": ("yMMMd", "MMMd"),
}
# the 24-hour clock as each desk writes it: "08:00"; Japanese "8:00"; Indonesian "08.00" (CLDR's
# own Hm pattern, except that Vietnamese papers pad the hour where CLDR has "H:mm")
_TIMES: Final = {"en": "HH:mm", "vi": "HH:mm", "ja": "H:mm", "id": "HH.mm"}
# A desk in its own country names its zone bare: a Japanese one writes "日本時間" (not "JST" and no
# offset), an Indonesian one "WIB" / "WITA" / "WIT" (CLDR's short name); elsewhere the name gets its offset.
# what follows a label's colon: a space, except after Japanese "：", which is full-width already
_LABEL_GAP: Final = {"en": " ", "vi": " ", "ja": "", "id": " "}
_AT_HOME: Final = {"ja": ("JP", "long"), "id": ("ID", "short")}


def N_(message: str) -> str:
    """Mark `message` for the catalogs without translating it here (gettext_noop)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for the catalogs, translated later with `Translator.n_`."""
    return singular, plural


def is_locale(value: str) -> bool:
    return value in LOCALES


def catalog_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(locale: str) -> gettext.NullTranslations:
    """The locale's .po file compiled in memory (fuzzy entries left out, as msgfmt does)."""
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()  # the source language
    with catalog_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=DOMAIN)
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@dataclass(frozen=True, slots=True)
class Translator:
    """Messages, dates, times and numbers for one locale."""

    locale: str
    cldr: Locale
    catalog: gettext.NullTranslations

    # raw gettext, as Jinja2's i18n extension calls it
    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.catalog.pgettext(context, message)

    # what Python code calls
    def _(self, message: str, **args: object) -> str:
        """`message` translated, its ``%(name)s`` placeholders filled from `args`."""
        text = self.catalog.gettext(message)
        return text % args if args else text

    def n_(self, singular: str, plural: str, num: int, **args: object) -> str:
        """The plural form for `num` (``%(num)s`` is `num` formatted for the locale)."""
        return self.catalog.ngettext(singular, plural, num) % {"num": self.number(num), **args}

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.cldr)

    def date(self, dt: datetime) -> str:
        """ "5 Dec 2026", "5/12/2026", "2026年12月5日", "5 Des 2026" (`dt` already local)."""
        return format_skeleton(_DATES[self.locale][0], dt, locale=self.cldr)

    def day_month(self, dt: datetime) -> str:
        """ "5 Dec", "5/12", "12月5日", "5 Des"."""
        return format_skeleton(_DATES[self.locale][1], dt, locale=self.cldr)

    def time(self, dt: datetime) -> str:
        return format_time(dt, _TIMES[self.locale], locale=self.cldr)

    def date_time(self, dt: datetime) -> str:
        return self._("%(date)s %(time)s", date=self.date(dt), time=self.time(dt))

    def day_month_time(self, dt: datetime) -> str:
        return self._("%(date)s %(time)s", date=self.day_month(dt), time=self.time(dt))

    @property
    def label_gap(self) -> str:
        """What goes between "Source health:" and its value (nothing after a full-width "：")."""
        return _LABEL_GAP[self.locale]

    def counted(self, name: str, num: int) -> str:
        """ "Investment (3)"; Japanese "投資（3）"."""
        return name + self._(" (%(num)s)", num=self.number(num))

    def zone(self, tz: str, at: datetime) -> str:
        """The time zone `tz` as a desk writes it, at the moment `at` (so summer time is right):
        en "Vietnam Time (GMT+7)", "British Time (GMT+1)"; vi "giờ Việt Nam (GMT+7)"; ja "日本時間",
        "ベトナム時間（GMT+7）"; id "WIB", "Waktu Vietnam (GMT+7)"; "UTC" everywhere."""
        local = at.astimezone(ZoneInfo(tz))
        if get_timezone_name(local, "short", locale=self.cldr) == "UTC":
            return "UTC"
        name = zone_name(local, self.cldr)
        if self.locale == "vi":  # CLDR's standalone "Giờ …" is "giờ …" inside the footer's sentence
            name = name[:1].lower() + name[1:]
        home, width = _AT_HOME.get(self.locale, (None, ""))
        if home is not None and zone_territory(tz) == home:
            short = get_timezone_name(local, "short", locale=self.cldr)
            return short if width == "short" and short.isalpha() else name
        return self._("%(zone)s (%(offset)s)", zone=name, offset=gmt_offset(local))

    def join(self, parts: Iterable[str]) -> str:
        """A run-on list: "a, b, c" (Japanese "a、b、c")."""
        return self.pgettext("list separator", ", ").join(parts)


def zone_territory(tz: str) -> str | None:
    """The country of an IANA zone ("JP" for Asia/Tokyo), old names included (Asia/Saigon)."""
    canonical = get_global("zone_aliases").get(tz, tz)
    territory = get_global("zone_territories").get(canonical)
    return str(territory) if territory else None


def zone_name(local: datetime, cldr: Locale) -> str:
    """CLDR's name for the zone of `local` that reads best in a sentence: the generic name where the
    zone has one ("Japan Time", "British Time"), else its country's ("Vietnam Time"), else, for a
    country with several zones, the zone's own ("Western Indonesia Time")."""
    generic = get_timezone_name(local, "long", zone_variant="generic", locale=cldr)
    if not generic.startswith("GMT"):
        return generic
    country = get_timezone_location(local, locale=cldr)
    if "(" not in country and "（" not in country:
        return country
    return get_timezone_name(local, "long", locale=cldr)


def gmt_offset(local: datetime) -> str:
    """ "GMT+7", "GMT-4", "GMT+5:30", "GMT" as desks write it (not CLDR's "GMT+07:00")."""
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset else 0
    if not minutes:
        return "GMT"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def pick_locale(candidates: Iterable[str | None], accept_language: str | None = None) -> str:
    """The first of `candidates` ("vi", "ja-JP", None...) that is one of LOCALES, else the first of
    a browser's Accept-Language list (in the order written) that is, else English."""
    for tag in [*(c or "" for c in candidates), *(accept_language or "").split(",")]:
        code = tag.split(";")[0].strip().split("-")[0].split("_")[0].lower()
        if code in LOCALES:
            return code
    return DEFAULT_LOCALE


def load_translator(locale: str = DEFAULT_LOCALE) -> Translator:
    """The translator for `locale` (one of LOCALES; the config has checked it)."""
    if locale not in LOCALES:
        raise ValueError(f"i18n: unknown locale {locale!r} (one of {', '.join(LOCALES)})")
    return Translator(locale, Locale.parse(_CLDR[locale]), compile_catalog(locale))


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text given per language (a rule's ``title:``): ``{en: ..., vi: ..., ja: ..., id: ...}``."""

    texts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, value: str | Mapping[str, str]) -> LocalText:
        if isinstance(value, str):
            return cls(((DEFAULT_LOCALE, value),) if value else ())
        return cls(tuple((k, v) for k, v in value.items() if v))

    def get(self, locale: str) -> str:
        """The text in `locale`, else in English, else "" (the caller falls back to a name)."""
        texts = dict(self.texts)
        return texts.get(locale) or texts.get(DEFAULT_LOCALE, "")

    def __bool__(self) -> bool:
        return bool(self.texts)
