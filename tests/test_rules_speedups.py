"""The matcher's shortcuts give exactly what the plain definitions give.

Each fast path (ASCII and casefold text normalisation, whitespace collapsing by split, the
automaton term scan with its merged ASCII pass, `near:` indexed by term) is compared here with a
slow, obvious version of the same thing, on the default rules and documents built from their own
terms. bench/match_profile.py --save/--check compares whole results on the bench corpora too.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Document
from bot.rules import RuleSet, load_rules
from bot.rules.model import Group, Near, Node, Term
from bot.rules.near import NearIndex
from bot.rules.scan import MAX_HITS_PER_TERM, FieldText, Scanner, Span, overlap
from bot.rules.text import NormalizedText, is_word_char, plain_text

DEFAULT_RULES = Path(__file__).resolve().parent.parent / "rules"
# characters that take every path of NormalizedText.of: ASCII, whitespace, dashes, accents
# (precomposed and combining), đ, ligatures, full-width forms, kana with dakuten, kanji, hangul
ALPHABET = (
    "abcXYZ019 -.,\t\n\u00a0\u2013\u2014éÉẾệờĐđ\u0301\u0323ßİﬁＡｂ１ガがカベトナム日本越政府한국"
)


@cache
def default_rules() -> RuleSet:
    return load_rules([DEFAULT_RULES])


def expanded(nt: NormalizedText) -> tuple[object, ...]:
    """The text with its index maps spelt out (None means the identity)."""

    def spell(s: tuple[int, ...] | None, n: int, shift: int) -> tuple[int, ...]:
        return tuple(range(shift, n + shift)) if s is None else s

    return (
        nt.display,
        nt.norm,
        spell(nt.norm_start, len(nt.norm), 0),
        spell(nt.norm_end, len(nt.norm), 1),
        nt.fold,
        spell(nt.fold_start, len(nt.fold), 0),
        spell(nt.fold_end, len(nt.fold), 1),
    )


def test_every_ascii_character_is_the_same_in_both_forms() -> None:
    # NormalizedText.of skips the folded translation and the index maps for ASCII text
    for code in range(128):
        slow = NormalizedText._mapped(chr(code))
        assert len(slow.norm) == 1 and slow.norm == slow.fold and slow.norm.isascii()
        assert slow.norm_start == slow.fold_start == (0,)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_normalised_text_fast_paths_equal_the_cluster_walk(text: str) -> None:
    first, again = NormalizedText.of(text), NormalizedText.of(text)  # learning, then known
    assert expanded(first) == expanded(again) == expanded(NormalizedText._mapped(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x85\u00a0\u2003\u3000a\u200bé<p>", max_size=30))
def test_whitespace_collapses_as_a_regex_would(text: str) -> None:
    assert plain_text(text) == re.sub(r"\s+", " ", plain_text(text) + " ").strip()
    assert " ".join(text.split()) == re.sub(r"\s+", " ", text).strip()


def reference_scan(terms: tuple[Term, ...], nt: NormalizedText) -> dict[int, list[Span]]:
    """Every occurrence of every key by str.find, in the order an automaton reports them."""
    found = []  # (fold pass second, end, longer key first, term): Aho-Corasick's report order
    for tid, t in enumerate(terms):
        text = nt.fold if t.fold else nt.norm
        i = text.find(t.key)
        while i >= 0:
            found.append((t.fold, i + len(t.key), -len(t.key), tid, i))
            i = text.find(t.key, i + 1)
    hits: dict[int, list[Span]] = {}
    for folded, end, _, tid, start in sorted(found):
        t, spans = terms[tid], hits.setdefault(tid, [])
        text = nt.fold if folded else nt.norm
        if len(spans) >= MAX_HITS_PER_TERM:
            continue
        if t.check_start and start > 0 and is_word_char(text[start - 1]):
            continue
        if t.wildcard:
            while end < len(text) and is_word_char(text[end]):
                end += 1
        elif t.check_end and end < len(text) and is_word_char(text[end]):
            continue
        spans.append(nt.display_span(start, end, folded=folded))
    for tid, spans in hits.items():
        blocked = [b for x in terms[tid].excepts for b in hits.get(x, ())]
        spans[:] = [s for s in spans if not any(overlap(s, b) for b in blocked)]
    return {k: v for k, v in hits.items() if v}


def term_soup(rs: RuleSet, rng: random.Random, words: int) -> str:
    """Text made of the rules' own terms: many hits, boundaries, wildcards, excepts and repeats."""
    keys = sorted({t.text.rstrip("*") for t in rs.terms})
    glue = [" ", " ", "", ", ", " và ", "の", "-", " the "]
    parts = []
    for _ in range(words):
        w = rng.choice(keys)
        w = rng.choice([w, w, w.upper(), w + "s", f"<b>{w}</b>", w + "国", "x" + w])
        parts += [w, rng.choice(glue)]
    return "".join(parts) + f" {rng.choice(keys)}" * rng.choice([0, 0, MAX_HITS_PER_TERM + 3])


def test_term_scan_equals_finding_every_key() -> None:
    rs, rng = default_rules(), random.Random(11)
    scanner = Scanner(rs.terms)
    texts = [plain_text(term_soup(rs, rng, rng.randrange(1, 40))) for _ in range(150)]
    texts += [
        "Vietnam",
        "VIỆT NAM và Nhật Bản",
        "ﬁnance Việt Nam – Japan",
        "日越首脳会談、ベトナム政府",
    ]
    for text in texts:
        nt = NormalizedText.of(text)
        assert scanner.scan(nt) == reference_scan(rs.terms, nt), text


def term(text: str, *, fold: bool = False, excepts: tuple[int, ...] = ()) -> Term:
    key = NormalizedText.of(text).fold if fold else NormalizedText.of(text).norm
    return Term(text, key, False, fold, True, True, False, excepts)


def test_chained_excepts_keep_the_order_terms_are_first_seen_in() -> None:
    # The loader never builds an except term with excepts of its own, but RuleSet accepts any
    # terms: there the merged ASCII pass would change which cancellation runs first.
    terms = (
        term("bank", excepts=(1,)),
        term("Việt bank", fold=True, excepts=(2,)),
        term("viet bank loan"),
        term("loan", fold=True),
    )
    for text in ("viet bank loan", "bank viet bank loan loan", "loan viet bank", "Việt bank loan"):
        nt = NormalizedText.of(text)
        assert Scanner(terms).scan(nt) == reference_scan(terms, nt), text


def near_nodes(node: Node) -> list[Near]:
    if isinstance(node, Near):
        return [node]
    if isinstance(node, Group):
        return [n for c in node.children for n in near_nodes(c)]
    return []


def naive_near(index: NearIndex, fields: dict[str, FieldText]) -> bool:
    """The unindexed definition: list every alternative of every element, then the same walk."""
    node = index.node
    for f in node.fields:
        ft = fields.get(f)
        if ft is None:
            continue
        events, complete = [], True
        for k, alts in enumerate(node.elements):
            found = [
                (s, e, k, default_rules().terms[r.term].cjk)
                for r in alts
                if f in r.fields
                for s, e in ft.hits.get(r.term, ())
            ]
            complete = complete and bool(found)
            events.extend(found)
        if complete and index._close_enough(sorted(events), ft):
            return True
    return False


def test_indexed_near_equals_listing_every_alternative() -> None:
    rs, rng = default_rules(), random.Random(5)
    indexes = [NearIndex.of(n, rs.terms) for r in rs.rules for n in near_nodes(r.condition)]
    assert len(indexes) >= 5
    outcomes = set()
    for _ in range(200):
        doc = Document(title=term_soup(rs, rng, rng.randrange(2, 12)))
        prep = rs.prepare(doc)
        for index in indexes:
            held = index.holds(prep.fields)
            assert held == naive_near(index, prep.fields), doc.title
            outcomes.add(held)
    assert outcomes == {True, False}  # both answers were exercised


def test_a_ruleset_rebuilt_from_its_pickle_matches_the_same() -> None:
    import pickle

    rs, rng = default_rules(), random.Random(2)
    copy = pickle.loads(pickle.dumps(rs))
    for _ in range(50):
        doc = Document(title=term_soup(rs, rng, 8), summary=term_soup(rs, rng, 30), lang="vi")
        assert copy.match(doc) == rs.match(doc)


def test_every_whitespace_but_the_space_is_unprintable() -> None:
    # plain_text skips split/join for a stripped printable text without "  " (text.is_collapsed)
    chars = map(chr, range(sys.maxunicode + 1))
    assert [c for c in chars if c.isspace() and c.isprintable()] == [" "]


def test_every_ideograph_is_its_own_normalised_and_folded_form() -> None:
    # text._IDEOGRAPHS joins the one-pass character classes without a per-character check
    from bot.rules.text import _IDEOGRAPHS

    ranges = [(ord(_IDEOGRAPHS[i]), ord(_IDEOGRAPHS[i + 2])) for i in range(0, len(_IDEOGRAPHS), 3)]
    assert len(ranges) == 2
    for lo, hi in ranges:
        for code in range(lo, hi + 1):
            ch = chr(code)
            assert unicodedata.normalize("NFKC", ch).casefold() == ch, hex(code)
            assert not is_word_char(ch) and not unicodedata.combining(ch), hex(code)
            assert unicodedata.category(ch) != "Pd" and not ch.isspace()


def test_every_character_of_the_one_pass_classes_takes_its_cluster_walk_forms() -> None:
    from bot.rules.text import _one_pass_forms

    plain, latin = _one_pass_forms()
    chars = [chr(c) for c in range(0x3100)] + ["\u3400", "\u4e00", "越", "\u9fff"]
    classed = [c for c in chars if plain.fullmatch(c) or latin.fullmatch(c)]
    assert len(classed) > 800 and {"a", "ệ", "Đ", "ơ", "の", "ガ", "越"} <= set(classed)
    for ch in classed:
        assert expanded(NormalizedText.of(ch)) == expanded(NormalizedText._mapped(ch)), hex(ord(ch))


# a Vietnamese text, a Japanese one, each with what may break their one-pass forms mixed in
VIETNAMESE = "aAzZ09 .,“”-ăâđêôơưĐƠƯàáảãạẤẦẨẪẬếềểễệỳýỷỹỵÀÝỲđð\u0301\u00a0–ßﬁ日"
JAPANESE = "aZ1 、。「」ーのがガぱパゝヽ日本越政府ベトナム\u3099ｶ１é–"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=VIETNAMESE, max_size=30) | st.text(alphabet=JAPANESE, max_size=30))
def test_one_pass_forms_equal_the_cluster_walk(text: str) -> None:
    assert expanded(NormalizedText.of(text)) == expanded(NormalizedText._mapped(text))


def test_each_kind_of_text_finds_what_finding_every_key_finds() -> None:
    # ASCII, Vietnamese (no CJK: CJK keys left out) and Japanese (one form: one merged pass)
    # texts, and mixed ones, each through its own automata; fields agree with the full scan
    rs, rng = default_rules(), random.Random(17)
    scanner = Scanner(rs.terms)
    keys = sorted({t.text.rstrip("*") for t in rs.terms})
    scripts = {
        "ascii": [k for k in keys if k.isascii()],
        "latin": [k for k in keys if not k.isascii() and all(ord(c) < 0x2000 for c in k)],
        "cjk": [k for k in keys if any(ord(c) >= 0x3000 for c in k)],
    }
    assert all(len(ks) > 20 for ks in scripts.values())
    texts = []
    for ks in [*scripts.values(), scripts["ascii"] + scripts["latin"], keys]:
        for _ in range(40):
            words = [rng.choice([w, w.upper(), w + "s", "x" + w]) for w in rng.choices(ks, k=12)]
            texts.append(plain_text(rng.choice([" ", "", ", "]).join(words)))
    for text in texts:
        nt = NormalizedText.of(text)
        expected = reference_scan(rs.terms, nt)
        assert scanner.scan(nt) == expected, text
        ft = scanner.field(nt)
        assert sorted(ft.terms) == sorted(expected) and ft.hits == expected, text
