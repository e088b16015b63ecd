"""Grouping quality benchmark: pairwise precision and recall of `group_event` on the generated
corpus of real `sentry-sdk` events (`tests/domain/grouping_corpus.py`).

    uv run python bench/grouping_quality.py [--seeds 0,1,2,3,4] [--no-write]

Prints a Markdown report and, unless --no-write, puts it in docs/benchmarks.md (section
"grouping"). Precision: of the pairs of events given one hash, the share with one label. Recall:
of the pairs with one label, the share given one hash. Only reads; it never changes grouping.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sentry_sdk  # noqa: E402

from bench.report import write_section  # noqa: E402
from stackline.domain.grouping import GROUPING_CONFIG, group_event  # noqa: E402
from tests.domain.grouping_corpus import FAMILIES, GroupingQuality, family, generate, measure  # noqa: E402


def family_rows(corpus: list[tuple[str, dict]]) -> list[str]:
    events: Counter[str] = Counter()
    labels: defaultdict[str, set[str]] = defaultdict(set)
    hashes: defaultdict[str, set[str]] = defaultdict(set)
    for label, event in corpus:
        events[family(label)] += 1
        labels[family(label)].add(label)
        hashes[family(label)].add(group_event(event).hash)
    return [
        f"| {name} | {len(labels[name])} | {events[name]} | {len(hashes[name])} | {covers} |"
        for name, covers in FAMILIES.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--seeds", default="0,1,2,3,4", help="corpus seeds; the first one gets the family table"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]

    lines = [
        "| seed | events | labels | groups | precision | recall | F1 | grouping config | generated in |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    first: list[tuple[str, dict]] = []
    failures: list[tuple[int, GroupingQuality]] = []
    for seed in seeds:
        started = time.perf_counter()
        corpus = generate(seed)
        elapsed = time.perf_counter() - started
        quality = measure(corpus)
        first = first or corpus
        if quality.split or quality.merged:
            failures.append((seed, quality))
        lines.append(
            f"| {seed} | {quality.events} | {quality.labels} | {quality.groups} | {quality.precision:.4f} | "
            f"{quality.recall:.4f} | {quality.f1:.4f} | `{GROUPING_CONFIG}` | {elapsed:.2f} s |"
        )

    text = "\n".join(
        [
            "```sh",
            "uv run python bench/grouping_quality.py          # seeds 0-4, rewrites this section",
            "uv run python bench/grouping_quality.py --seeds 7 --no-write",
            "```",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} with sentry-sdk {sentry_sdk.VERSION}."
            " Each seed's corpus is",
            "a few hundred events the real SDK builds from a small fake shop application (compiled several",
            "times at different line numbers), each labelled with its logical issue; see",
            "`tests/domain/grouping_corpus.py` for what counts as one issue. **Precision**: of the pairs of",
            "events `group_event` gives one hash, the share that have one label. **Recall**: of the pairs",
            "that have one label, the share given one hash. `tests/domain/test_grouping_quality.py` requires",
            "precision 1.0 and recall ≥ 0.95.",
            "",
            *lines,
            "",
            f"Families of issues (seed {seeds[0]}): labels, events and the distinct hashes they get.",
            "",
            "| family | labels | events | groups | what it covers |",
            "|---|---|---|---|---|",
            *family_rows(first),
        ]
    )
    print(text)
    for seed, quality in failures:
        print(f"\nseed {seed}:\n{quality.diagnostics()}")
    if not args.no_write:
        write_section("grouping", "Grouping quality (`bench/grouping_quality.py`)", text)


if __name__ == "__main__":
    main()
