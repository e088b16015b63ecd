"""Grouping quality on a generated corpus of real `sentry-sdk` events (see grouping_corpus.py for
what a logical issue is): pairwise precision and recall of `group_event` against the labels.

Precision must be 1.0: merging two issues hides one of them, and nothing in the corpus is
ambiguous. Recall has the issue's floor of 0.95 on every seed checked; on the default seed the
corpus is expected to be grouped exactly (every label one group, every group one label), so a
regression names the label it split or the labels it merged instead of moving a figure slightly.
"""

from __future__ import annotations

from collections import Counter

import pytest

from stackline.domain.grouping import group_event, parameterize
from tests.domain.grouping_corpus import FAMILIES, GroupingQuality, family, generate, measure

SEED = 0
OTHER_SEEDS = [1, 2, 3]
SMALL = (3, 6)  # events per issue for the extra corpora, which only need fresh values
MIN_RECALL = 0.95

# The grouping rule each family is there to exercise: if the SDK or the corpus changed so that a
# family no longer reaches its rule (say, frames stopped being marked in-app), the scores could
# stay perfect while testing nothing.
FAMILY_VARIANTS = {
    "exception": {"in-app-stacktrace"},
    "callers": {"in-app-stacktrace"},
    "same-place": {"in-app-stacktrace"},
    "same-message": {"in-app-stacktrace"},
    "chained": {"in-app-stacktrace"},
    "threads": {"in-app-stacktrace"},
    "nested": {"in-app-stacktrace"},
    "recursion": {"in-app-stacktrace"},
    "message": {"message"},
    "logentry": {"message"},
    "fingerprint": {"custom-fingerprint"},
    "library-only": {"exception"},
    "unraised": {"exception"},
}


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, dict]]:
    return generate(SEED)


@pytest.fixture(scope="module")
def quality(corpus) -> GroupingQuality:
    return measure(corpus)


def report(quality: GroupingQuality) -> str:
    return (
        f"{quality.events} events, {quality.labels} labels, {quality.groups} groups, "
        f"precision {quality.precision:.4f}, recall {quality.recall:.4f}\n{quality.diagnostics()}"
    )


# --- the corpus ------------------------------------------------------------------------------


def test_the_corpus_has_the_intended_size(corpus):
    labels = Counter(label for label, _ in corpus)

    assert 300 <= len(corpus) <= 600
    assert 40 <= len(labels) <= 60
    assert min(labels.values()) >= 5  # every label has pairs to group
    assert set(map(family, labels)) == set(FAMILIES) == set(FAMILY_VARIANTS)


def test_the_events_come_from_the_sdk(corpus):
    for _, event in corpus:
        assert event["sdk"]["name"] == "sentry.python"
        assert event["platform"] == "python"
    assert len({event["event_id"] for _, event in corpus}) == len(corpus)


def test_in_app_frames_come_from_different_releases(corpus):
    # The same function at different lines: otherwise line numbers could split nothing.
    def in_app_lines(event: dict) -> tuple[int, ...]:
        frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
        return tuple(frame["lineno"] for frame in frames if frame.get("in_app"))

    lines = {in_app_lines(event) for label, event in corpus if label == "exception/payment-declined"}

    assert len(lines) > 1


@pytest.mark.parametrize("family_name", sorted(FAMILY_VARIANTS))
def test_each_family_exercises_its_grouping_rule(corpus, family_name):
    variants = {group_event(event).variant for label, event in corpus if family(label) == family_name}

    assert variants == FAMILY_VARIANTS[family_name]


def test_the_corpus_is_deterministic():
    one, other = generate(SEED, SMALL), generate(SEED, SMALL)

    assert [label for label, _ in one] == [label for label, _ in other]
    assert [group_event(event).hash for _, event in one] == [group_event(event).hash for _, event in other]
    assert [event["message"] for _, event in one if "message" in event] == [
        event["message"] for _, event in other if "message" in event
    ]


# --- the scores ------------------------------------------------------------------------------


def test_precision_and_recall(quality):
    assert quality.precision == 1.0, report(quality)
    assert quality.recall >= MIN_RECALL, report(quality)


def test_every_logical_issue_is_exactly_one_group(quality):
    assert not quality.split and not quality.merged, report(quality)
    assert quality.groups == quality.labels


@pytest.mark.parametrize("seed", OTHER_SEEDS)
def test_precision_and_recall_hold_for_other_seeds(seed):
    quality = measure(generate(seed, SMALL))

    assert quality.precision == 1.0, report(quality)
    assert quality.recall >= MIN_RECALL, report(quality)


def test_the_scores_are_pairwise():
    def fake(event: dict):
        return group_event({"message": event["group"]})

    corpus = [("a", {"group": "x"}), ("a", {"group": "x"}), ("a", {"group": "y"}), ("b", {"group": "y"})]
    quality = measure(corpus, fake)

    # Pairs in one group: (1,2) and (3,4), one of them right. Pairs with one label: (1,2), (1,3), (2,3).
    assert (quality.pairs_grouped, quality.pairs_labelled, quality.pairs_both) == (2, 3, 1)
    assert (quality.precision, quality.recall) == (0.5, 1 / 3)
    assert set(quality.split) == {"a"}
    assert [sorted(labels) for labels in quality.merged.values()] == [["a", "b"]]
    assert "SPLIT a over 2 groups" in quality.diagnostics()
    assert "MERGED" in quality.diagnostics()


# --- the rules this corpus made us add (they belong with test_grouping.py's rule tests) -------


def frame(function: str, lineno: int, module: str = "shop.catalog") -> dict:
    return {"module": module, "function": function, "lineno": lineno, "in_app": True}


def recursive_error(depth: int) -> dict:
    frames = [frame("category_page", 5, "shop.views")]
    frames += [frame("find_path", 12) for _ in range(depth)] + [frame("find_path", 10)]
    return {"exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}


def test_directly_recursive_frames_count_once():
    results = [group_event(recursive_error(depth)) for depth in (1, 2, 17)]

    # The call into the recursion and the frame that fails count, the calls in between do not.
    assert {result.components for result in results} == {
        ("shop.views:category_page", "shop.catalog:find_path", "shop.catalog:find_path", "type:E"),
    }


def test_recursion_needs_the_same_line_as_sentry_does():
    # Failing on the first call (no recursive frame at all) is a different stack, in Sentry too;
    # so are frames that call again from another line, and mutual recursion.
    shallow = group_event(recursive_error(0))
    other_line = recursive_error(3)
    other_line["exception"]["values"][0]["stacktrace"]["frames"][2]["lineno"] = 13
    mutual = recursive_error(0)
    mutual["exception"]["values"][0]["stacktrace"]["frames"][1:1] = [frame("a", 1), frame("b", 2)] * 3

    assert shallow.hash != group_event(recursive_error(1)).hash
    assert group_event(other_line).hash != group_event(recursive_error(3)).hash
    assert group_event(mutual).components.count("shop.catalog:a") == 3


def test_recursion_is_looked_for_within_one_stack_trace():
    # A chained exception's first frame is no recursive call of the previous exception's last.
    same_frame = {"stacktrace": {"frames": [frame("get_profile", 7)]}}
    chain = [same_frame | {"type": "KeyError"}, same_frame | {"type": "ProfileMissing"}]
    event = {"exception": {"values": chain}}

    assert group_event(event).components == (
        "shop.catalog:get_profile",
        "type:KeyError",
        "shop.catalog:get_profile",
        "type:ProfileMissing",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Tue Mar  5 10:11:12 2024",  # ctime()
        "Sun Nov 24 23:59:59 2024",
        "Tue, 05 Mar 2024 10:11:12 +0000",  # email.utils.format_datetime, RFC 2822
        "Sun, 24 Nov 2024 23:59:59 GMT",  # HTTP dates
        "5 Mar 24 10:11 EST",
    ],
)
def test_parameterize_recognizes_ctime_and_rfc_2822_dates(text):
    assert parameterize(f"started {text} and never finished") == "started <date> and never finished"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("POST https://hooks.slack.com/services/T0A/B1B/xYz9 failed", "POST <url> failed"),
        ("for url: https://api.example.com/v1/charges/ch_3NqK?expand=1#x", "for url: <url>"),
        ("ws://10.0.0.7:8080/feed dropped", "<url> dropped"),
        ("https:// alone and ftp:/x stay", "https:// alone and ftp:/x stay"),
        ("the https scheme", "the https scheme"),
    ],
)
def test_parameterize_replaces_urls_whole(text, expected):
    assert parameterize(text) == expected
