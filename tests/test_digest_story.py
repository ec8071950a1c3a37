"""Same story or not: near-identical headlines that carry different numbers, dates or names."""

from __future__ import annotations

import pytest

from bot.digest.story import story_marks, story_title
from tests.digest_helpers import digest_of, item

T = "Vietnam, Japan agree to boost rail cooperation with 5 projects"


def stories(*titles: tuple[str, str]) -> list[list[int]]:
    """The digest's entries as [entry item id, folded item ids...] for (outlet, title) pairs."""
    d = digest_of([item(i, title, outlet=outlet) for i, (outlet, title) in enumerate(titles, 1)])
    return sorted([e.item_id, *sorted(e.merged_item_ids)] for e in d.entries)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (T, T.replace("5", "6")),  # numbers
        ("Vietnam and Japan hold talks on port deal on Nov 5",
         "Vietnam and Japan hold talks on port deal on Dec 5"),  # dates
        ("Vietnam and Japan open new investment forum in Osaka this week",
         "Vietnam and Japan open new investment forum in Danang this week"),  # a name swapped
        ("日越、ハノイで半導体協力の覚書に署名", "日越、ダナンで半導体協力の覚書に署名"),
    ],
)  # fmt: skip
def test_different_numbers_dates_or_names_are_different_stories(a: str, b: str) -> None:
    assert stories(("Wire A", a), ("Wire B", b)) == [[1], [2]]


def test_versions_and_rewordings_of_one_story_fold_into_one_entry() -> None:
    assert stories(
        ("State Wire", T),
        ("State Wire", f"{T} (update 2)"),
        ("State Wire", f"UPDATE 3-{T}"),
        ("Delta Wire", f"{T} - Delta Wire"),
        ("River Post", T.replace(", ", " and ", 1)),
    ) == [[1, 2, 3, 4, 5]]


def test_a_name_only_one_title_adds_is_elaboration_not_another_story() -> None:
    assert stories(
        ("Wire A", "Vietnam's PM meets Kishida, agrees to deepen chip supply ties"),
        ("Wire B", "Vietnam's PM Chinh meets Kishida, agrees to deepen chip supply ties"),
    ) == [[1, 2]]


def test_one_outlets_templated_headlines_stay_apart() -> None:
    energy = "Vietnam, Japan agree to boost energy cooperation in Da Nang"
    health = energy.replace("energy", "healthcare")
    # from one desk a swapped word is its next story; the rival's copy joins the right one
    assert stories(
        ("State Wire", energy), ("State Wire", health), ("Delta Wire", f"{health} - Delta Wire")
    ) == [[1], [2, 3]]


def test_folded_articles_keep_their_links_by_outlet() -> None:
    d = digest_of(
        [
            item(1, T, outlet="State Wire", score=3),
            item(2, f"{T} (update 1)", outlet="State Wire"),
            item(3, f"{T} - Delta Wire", outlet="Delta Wire"),
        ]
    )
    [e] = d.entries
    assert [(c.outlet, c.link) for c in e.also_covered_by] == [
        ("Delta Wire", "https://news.example/a/3")
    ]
    assert [(c.title, c.link) for c in e.more_from_outlet] == [
        (f"{T} (update 1)", "https://news.example/a/2")
    ]
    assert (len(d.entries), d.articles, sorted(d.item_ids)) == (1, 3, [1, 2, 3])


def test_marks_ignore_version_markers_and_title_case() -> None:
    assert story_title(f"UPDATE 2-{T} (update 3) - Delta Wire") == T
    assert story_marks(f"{T} (update 3)") == story_marks(T) == {"#5", "vietnam", "japan"}
    assert story_marks("Japan To Fund Second Metro Line With New Yen Loan") == frozenset()
    assert "#nov" in story_marks("Summit set for Nov 20")
