"""Property tests: a match does not depend on case, spacing, diacritics (foldable terms) or HTML."""

from __future__ import annotations

import functools
import html
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Document
from bot.rules import RuleSet, load_rules
from bot.rules.text import fold

RULES = """
aliases:
  VIETNAM: ["Việt Nam", Vietnam, ベトナム]
  JAPAN: ["Nhật Bản", Japan, 日本, Jepang]
rules:
  - name: pair
    all: [$VIETNAM, $JAPAN, ["hợp tác", cooperation, 協力, "kerja sama"]]
"""

TERMS_VN = ["Việt Nam", "Vietnam", "ベトナム"]
TERMS_JP = ["Nhật Bản", "Japan", "日本", "Jepang"]
TERMS_CO = ["hợp tác", "cooperation", "協力", "kerja sama"]
FILLER = st.lists(
    st.sampled_from(["và", "the", "dan", "tuần này", "new", "の", "year", "mới", "sau"]),
    max_size=4,
).map(" ".join)


@functools.cache
def rules() -> RuleSet:
    path = Path(tempfile.mkdtemp(prefix="rules-props-")) / "p.yaml"
    path.write_text(RULES, encoding="utf-8")
    return load_rules([path])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    parts = [
        draw(st.sampled_from(TERMS_VN)),
        draw(FILLER),
        draw(st.sampled_from(TERMS_JP)),
        draw(FILLER),
        draw(st.sampled_from(TERMS_CO)),
    ]
    order = draw(st.permutations(range(5)))
    return " ".join(parts[i] for i in order if parts[i])


def matches(text: str) -> bool:
    return bool(rules().match(Document(title=text)))


@settings(max_examples=150, deadline=None)
@given(sentences(), st.data())
def test_case_changes_do_not_matter(text: str, data: st.DataObject) -> None:
    assert matches(text)
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    changed = "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))
    assert matches(changed)


@settings(max_examples=150, deadline=None)
@given(
    sentences(), st.lists(st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", " \r\n "]), min_size=1)
)
def test_extra_whitespace_does_not_matter(text: str, spaces: list[str]) -> None:
    words = text.split(" ")
    padded = "".join(w + spaces[i % len(spaces)] for i, w in enumerate(words))
    assert matches(text) and matches(padded) and matches(f"  {padded}  ")


@settings(max_examples=150, deadline=None)
@given(sentences(), st.booleans())
def test_removing_vietnamese_diacritics_does_not_matter(text: str, decompose: bool) -> None:
    # the Vietnamese terms here carry marks, so they are foldable; typing without marks still matches
    bare = fold(text)
    assert matches(text) and matches(bare)
    # and a decomposed (NFD) input matches like the composed one
    if decompose:
        assert matches(unicodedata.normalize("NFD", text))


@settings(max_examples=150, deadline=None)
@given(sentences(), st.sampled_from(["b", "p", "span", "a", "em"]), st.booleans())
def test_html_wrapping_and_entities_do_not_matter(text: str, tag: str, escape: bool) -> None:
    words = text.split(" ")
    wrapped = " ".join(f'<{tag} class="x">{w}</{tag}>' for w in words)
    if escape:
        wrapped = "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in wrapped)
        wrapped = wrapped.replace(" ", "&nbsp;", 1)
    assert matches(f"<div>{wrapped}</div>")
    assert matches(html.escape(text, quote=True))


@settings(max_examples=100, deadline=None)
@given(sentences())
def test_hits_cover_the_display_text_they_name(text: str) -> None:
    [result] = rules().match(Document(title=f"<p>{html.escape(text)}</p>"))
    for hit in result.hits:
        assert fold(hit.text).casefold() == fold(hit.term).casefold().rstrip("*")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_breaks_matching(text: str) -> None:
    rs = rules()
    rs.evaluate(Document(title=text, summary=text, content=f"<p>{text}</p>"))
    for s, e in rs.highlight(text, ["pair"]):
        assert 0 <= s < e <= len(text)
