"""Writes one benchmark's section of docs/benchmarks.md, between its start and end markers."""

from __future__ import annotations

import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Figures measured by the scripts under `bench/` on the development machine (2 cores). Each
script rewrites only its own section below; run it again after changing a hot path and keep the
before and after figures in the commit message or issue note.
"""


def write_section(name: str, title: str | None, body: str) -> None:
    """Replace the text between `<!-- name:start -->` and `<!-- name:end -->` (appended at the
    end the first time); `title`, when given, becomes the section's `##` heading."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    heading = f"## {title}\n\n" if title else ""
    section = f"{start}\n{heading}{body.strip()}\n{end}"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section + "\n"
    )
    BENCHMARKS.parent.mkdir(parents=True, exist_ok=True)
    BENCHMARKS.write_text(text)
