"""Issue search benchmark: one page of 25 issues plus its totalCount (what `Project.issues`
runs) for typical searches and every sort, on 10 k issues of one project (and as many of
another organization's), on SQLite and PostgreSQL read models. Prints p50/p95 and each query's
plan (the index it uses).

    uv run python bench/issue_search.py [--issues N] [--runs N] [--engines sqlite,postgres] [--no-write]

Rows are inserted straight into the read models (as the issue projector would have left them):
this measures the read path, not ingest. PostgreSQL runs in a fresh database, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.dialects import postgresql, sqlite  # noqa: E402

from bench.report import write_section  # noqa: E402
from stackline.domain.search import parse_query  # noqa: E402
from stackline.readmodels import queries  # noqa: E402
from stackline.readmodels.db import create_engine, migrate  # noqa: E402
from stackline.readmodels.schema import issue_tags, issues  # noqa: E402
from tests import postgres  # noqa: E402

ORG, OTHER_ORG = "org-bench", "org-other"
PROJECT, OTHER_PROJECT = 1, 2
SEARCHES = [
    ("", "LAST_SEEN"),
    ("is:unresolved", "LAST_SEEN"),
    ("is:unresolved", "FIRST_SEEN"),
    ("is:unresolved", "FREQ"),
    ("is:unresolved", "USERS"),
    ("is:unresolved level:error", "LAST_SEEN"),
    ("is:unresolved release:web@1.7", "LAST_SEEN"),
    ("environment:staging browser:Firefox", "LAST_SEEN"),
    ("!browser:Firefox has:region", "FREQ"),
    ("is:unresolved timeout", "LAST_SEEN"),
    ('message:"handler 42"', "LAST_SEEN"),
]
WORDS = ["timeout", "refused", "declined", "missing", "overflow", "denied", "invalid", "closed"]


def rows_for(org: str, project: int, count: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    now = datetime.now(UTC)
    issue_rows, tag_rows = [], []
    for n in range(count):
        issue_id = str(uuid.UUID(int=rng.getrandbits(128)))
        first = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
        last = first + timedelta(minutes=rng.randrange(0, 60 * 24 * 10))
        times = int(rng.paretovariate(1.2)) * 10
        issue_rows.append(
            {
                "id": issue_id,
                "organization_id": org,
                "project_id": project,
                "short_id": f"P{project}-{n}",
                "primary_hash": uuid.uuid4().hex,
                "grouping_variant": "exception",
                "title": (
                    f"{rng.choice(['ValueError', 'KeyError', 'OSError'])}: {rng.choice(WORDS)} in handler {n}"
                ),
                "culprit": f"app.views.{rng.choice(WORDS)} in handle_{n % 97}",
                "level": rng.choice(["error"] * 6 + ["warning", "info", "fatal"]),
                "status": rng.choice(["unresolved"] * 7 + ["resolved", "resolved", "ignored"]),
                "first_seen": first,
                "last_seen": last,
                "times_seen": times,
                "user_count": rng.randrange(0, times + 1),
                "last_position": n,
                "version": 0,
            }
        )
        tags = {
            "environment": rng.choice(["production", "production", "staging"]),
            "release": f"web@1.{rng.randrange(10)}",
            "browser": rng.choice(["Firefox", "Chrome", "Safari"]),
        }
        if rng.random() < 0.5:
            tags["region"] = rng.choice(["eu", "us", "ap"])
        for key, value in tags.items():
            tag_rows.append(
                {
                    "issue_id": issue_id,
                    "key": key,
                    "value": value,
                    "times_seen": times,
                    "first_seen": first,
                    "last_seen": last,
                }
            )
    return issue_rows, tag_rows


async def run_engine(name: str, url: str, count: int, runs: int) -> list[str]:
    migrate(url)
    engine = create_engine(url)
    rng = random.Random(7)
    async with engine.begin() as conn:
        for org, project in ((ORG, PROJECT), (OTHER_ORG, OTHER_PROJECT)):
            issue_rows, tag_rows = rows_for(org, project, count, rng)
            for i in range(0, len(issue_rows), 2000):
                await conn.execute(issues.insert(), issue_rows[i : i + 2000])
            for i in range(0, len(tag_rows), 2000):
                await conn.execute(issue_tags.insert(), tag_rows[i : i + 2000])
        await conn.execute(text("ANALYZE"))
    dialect = postgresql.dialect() if name == "postgresql" else sqlite.dialect()
    lines = []
    async with engine.connect() as conn:
        for query, sort in SEARCHES:
            search = parse_query(query)
            pages, counts, total = [], [], 0
            for _ in range(runs):
                start = time.perf_counter()
                await queries.issues_page(conn, ORG, PROJECT, sort=sort, first=26, after=None, search=search)
                middle = time.perf_counter()
                total = await queries.issue_count(conn, ORG, PROJECT, search)
                pages.append((middle - start) * 1000)
                counts.append((time.perf_counter() - middle) * 1000)
            both = sorted(p + c for p, c in zip(pages, counts, strict=True))
            plan = await explain(conn, name, dialect, search, sort)
            lines.append(
                f"| {name} | `{query or '(none)'}` | {sort} | {total} | {statistics.median(pages):.1f} | "
                f"{statistics.median(counts):.1f} | {percentile(both, 0.95):.1f} | {plan} |"
            )
            print(lines[-1], flush=True)
    await engine.dispose()
    return lines


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def explain(conn, name: str, dialect, search, sort: str) -> str:  # noqa: ANN001
    """The indexes the page query's plan names."""
    from sqlalchemy import select

    key = queries.ISSUE_SORTS[sort]
    statement = (
        select(issues.c.id)
        .where(queries.listed_issues(ORG, PROJECT), queries.search_condition(search))
        .order_by(key.desc(), issues.c.id.desc())
        .limit(26)
    )
    compiled = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if name == "sqlite" else "EXPLAIN "
    rows = (await conn.execute(text(prefix + compiled))).all()
    lines = [str(r[-1]) for r in rows]
    used = sorted({word.strip("(),") for line in lines for word in line.split() if word.startswith("ix_")})
    return ", ".join(used) or "(scan)"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    lines = [
        "| engine | query | sort | matches | page p50 ms | count p50 ms | both p95 ms | indexes in the "
        "page's plan |",
        "|---|---|---|---|---|---|---|---|",
    ]
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            lines += await run_engine("sqlite", f"sqlite:///{tmp}/readmodels.sqlite3", args.issues, args.runs)
    if "postgres" in engines:
        name = await postgres.create_database()
        try:
            lines += await run_engine("postgresql", postgres.url_for(name), args.issues, args.runs)
        finally:
            await postgres.drop_database(name)
    body = (
        f"`bench/issue_search.py`: one page of 25 issues and its totalCount, {args.issues:,} issues in the "
        f"project (and as many in another organization), {args.runs} runs each; 1-minute load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared).\n\n" + "\n".join(lines)
    )
    if not args.no_write:
        write_section("issue-search", "Issue search (read models)", body)


if __name__ == "__main__":
    asyncio.run(main())
