"""Web UI benchmark: the bundle's size, how fast the issue list paints with 10 k issues stored,
and how soon a new issue shows in an open list after the SDK's POST, in headless Chromium.

    uv run python bench/webui.py [--issues 10000] [--loads 15] [--live 20] [--no-write]

The issues go in through the real ingest path: envelopes built from one real `sentry-sdk` event,
each with its own event id, fingerprint and message (so each is a new issue), gzipped as the SDK
does and POSTed to `/api/{project}/envelope/` by 16 concurrent clients; then the projector is
let catch up. Paint: a fresh browser context (empty cache) per load of
`/orgs/.../issues` (25 issues, sorted by last seen); `first-contentful-paint` is the browser's
paint timing, "rows" the instant the first issue row is in the DOM, both from navigation start.
Live: with the list open, one new issue POSTed per sample; the latency is from just before the
POST to the instant its row is in the DOM (the same machine's clock on both sides).
Figures go to stdout and, unless --no-write, into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sentry_sdk

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import CapturingTransport, git_commit, wait_for_catch_up  # noqa: E402
from bench.report import write_section  # noqa: E402
from tests.e2e.server import Server  # noqa: E402

DIST = ROOT / "stackline" / "webui" / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
POST_CONCURRENCY = 16
SDK_CLIENT = f"sentry.python/{sentry_sdk.VERSION}"
# Records when the first issue row, and a row with a given title, enter the DOM.
OBSERVER = """
window.__rows = null; window.__seen = {};
new MutationObserver(() => {
  const rows = document.querySelectorAll('.issue-row');
  if (rows.length && window.__rows === null) window.__rows = performance.now();
  for (const row of rows) {
    const title = row.querySelector('.issue-title')?.textContent;
    if (title && !(title in window.__seen)) window.__seen[title] = Date.now();
  }
}).observe(document, {childList: true, subtree: true});
"""


def bundle_sizes() -> dict[str, int]:
    """Bytes and gzip bytes of every JS and CSS asset, and of the JS that index.html loads
    before any page (the entry and its preloads; other pages are chunks fetched when shown)."""
    index = (DIST / "index.html").read_text()
    sizes = {"js": 0, "js_gzip": 0, "css": 0, "css_gzip": 0, "first_js": 0, "first_js_gzip": 0}
    for path in (DIST / "assets").iterdir():
        kind = "js" if path.suffix == ".js" else "css" if path.suffix == ".css" else None
        if kind:
            data = path.read_bytes()
            packed = len(gzip.compress(data, 9))
            sizes[kind] += len(data)
            sizes[f"{kind}_gzip"] += packed
            if kind == "js" and f"/assets/{path.name}" in index:
                sizes["first_js"] += len(data)
                sizes["first_js_gzip"] += packed
    return sizes


def template_event(dsn: str) -> dict[str, Any]:
    """One error event as the real SDK builds it, with a stack trace and local variables."""
    sentry_sdk.init(
        dsn=dsn,
        transport=CapturingTransport,
        release="shop@4.2.0",
        environment="production",
        default_integrations=False,  # keep the SDK's hands off httpx while we post
    )
    transport = sentry_sdk.get_client().transport
    try:

        def place_order(order_id: int, amount_cents: int) -> None:
            raise RuntimeError(f"order {order_id} failed for {amount_cents}")

        try:
            place_order(1, 4200)
        except RuntimeError:
            sentry_sdk.capture_exception()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()
    assert isinstance(transport, CapturingTransport)
    event = transport.envelopes[0].get_event()
    assert event is not None
    return dict(event)


def envelope_for(template: dict[str, Any], dsn: str, n: int, tag: str) -> tuple[str, bytes]:
    """A distinct issue: its own event id, fingerprint and message; gzipped like the SDK."""
    event = copy.deepcopy(template)
    event["event_id"] = uuid.uuid4().hex
    event["timestamp"] = time.time()
    event["fingerprint"] = [f"webui-bench-{tag}-{n}"]
    title = f"order {tag}-{n} failed"
    event["exception"]["values"][-1]["value"] = title
    header = json.dumps({"event_id": event["event_id"], "dsn": dsn, "sent_at": None})
    payload = json.dumps(event).encode()
    raw = b"\n".join(
        [header.encode(), json.dumps({"type": "event", "length": len(payload)}).encode(), payload, b""]
    )
    body = io.BytesIO()
    with gzip.GzipFile(fileobj=body, mode="w", compresslevel=9) as compressed:
        compressed.write(raw)
    return f"RuntimeError: {title}", body.getvalue()


def auth_headers(dsn: str) -> dict[str, str]:
    key = dsn.split("//", 1)[1].split("@", 1)[0]
    return {
        "X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}, sentry_client={SDK_CLIENT}",
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
    }


async def ingest(server: Server, dsn: str, template: dict[str, Any], count: int) -> float:
    project_id = dsn.rsplit("/", 1)[1]
    headers = auth_headers(dsn)
    bodies = [envelope_for(template, dsn, n, "load")[1] for n in range(count)]
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        queue = iter(bodies)

        async def poster() -> None:
            for body in queue:
                for attempt in range(3):
                    try:
                        response = await client.post(
                            f"/api/{project_id}/envelope/", content=body, headers=headers
                        )
                        break
                    except httpx.TransportError:
                        # A kept-alive connection the server closed meanwhile; the event id makes
                        # a repeated POST harmless.
                        if attempt == 2:
                            raise
                response.raise_for_status()

        await asyncio.gather(*(poster() for _ in range(POST_CONCURRENCY)))
        await wait_for_catch_up(client)
    return time.perf_counter() - started


# The issue list's two requests, as web/src/pages/IssueList.tsx makes them (fragment inlined).
LIST_QUERY = """query($org: String!, $project: String!) { project(organizationSlug: $org, slug: $project) {
  id slug name issues(first: 25, query: "is:unresolved", sort: LAST_SEEN) { totalCount
    pageInfo { hasNextPage endCursor } edges { node { id shortId title culprit level status substatus
    timesSeen userCount firstSeen lastSeen lastRelease assignee version } } } } }"""
STATS_QUERY = """query($org: String!, $project: String!) { project(organizationSlug: $org, slug: $project) {
  id issues(first: 25, query: "is:unresolved", sort: LAST_SEEN) { edges { node { id
    stats(period: HOUR_24) { start count } } } } } }"""


def time_queries(server: Server, boot: dict[str, str], samples: int) -> dict[str, list[float]]:
    """Milliseconds per request of the list's two queries, over HTTP like the browser's."""
    variables = {"org": boot["organization"], "project": boot["project"]}
    found: dict[str, list[float]] = {"list": [], "stats": []}
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {boot['token']}"}) as client:
        for _ in range(samples + 1):
            for name, query in (("list", LIST_QUERY), ("stats", STATS_QUERY)):
                started = time.perf_counter()
                response = client.post("/graphql", json={"query": query, "variables": variables}, timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200 and "errors" not in response.json(), response.text
                found[name].append(elapsed)
    return {name: values[1:] for name, values in found.items()}  # the first warms caches


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure_browser(
    server: Server, boot: dict[str, str], template: dict[str, Any], loads: int, live: int
) -> dict:
    from playwright.sync_api import sync_playwright

    path = f"/orgs/{boot['organization']}/projects/{boot['project']}/issues"
    paints: list[float] = []
    rows: list[float] = []
    latencies: list[float] = []
    project_id = boot["dsn"].rsplit("/", 1)[1]
    headers = auth_headers(boot["dsn"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(loads + 1):  # the first load warms the server's caches; not counted
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.add_init_script(
                    f"window.localStorage.setItem('stackline.token', {boot['token']!r});" + OBSERVER
                )
                page = context.new_page()
                page.goto(server.url + path)
                page.wait_for_selector(".issue-row", timeout=30_000)
                page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
                paints.append(
                    page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")
                )
                rows.append(page.evaluate("window.__rows"))
                context.close()
            paints, rows = paints[1:], rows[1:]

            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(
                f"window.localStorage.setItem('stackline.token', {boot['token']!r});" + OBSERVER
            )
            page = context.new_page()
            page.goto(server.url + path)
            page.wait_for_selector(".live.on")
            page.wait_for_selector(".issue-row")
            time.sleep(1.0)  # the subscription registers with the bus a moment after it starts
            with httpx.Client(base_url=server.url, timeout=30) as client:
                for n in range(live):
                    title, body = envelope_for(template, boot["dsn"], n, "live")
                    before = time.time() * 1000
                    client.post(
                        f"/api/{project_id}/envelope/", content=body, headers=headers
                    ).raise_for_status()
                    page.wait_for_function(f"{json.dumps(title)} in window.__seen", timeout=30_000)
                    latencies.append(page.evaluate(f"window.__seen[{json.dumps(title)}]") - before)
                    time.sleep(0.3)
            context.close()
        finally:
            browser.close()
    return {"paint": paints, "rows": rows, "live": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=15)
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    sizes = bundle_sizes()
    print(
        f"bundle: JS {sizes['js'] / 1024:.0f} KiB ({sizes['js_gzip'] / 1024:.1f} KiB gzip, "
        f"{sizes['first_js_gzip'] / 1024:.1f} KiB before any page), "
        f"CSS {sizes['css'] / 1024:.0f} KiB ({sizes['css_gzip'] / 1024:.1f} KiB gzip)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data").start()
        try:
            boot = server.bootstrap("bench", "shop")
            template = template_event(boot["dsn"])
            seconds = asyncio.run(ingest(server, boot["dsn"], template, args.issues))
            query = (
                '{ project(organizationSlug: "bench", slug: "shop") { issues(query: "") { totalCount } } }'
            )
            count = server.graphql(query, token=boot["token"])["data"]["project"]["issues"]["totalCount"]
            print(
                f"ingested {args.issues} events in {seconds:.1f} s (posted and projected): {count} issues",
                flush=True,
            )
            queries = time_queries(server, boot, 20)
            figures = measure_browser(server, boot, template, args.loads, args.live)
        finally:
            server.stop()
    paint, rows, live = figures["paint"], figures["rows"], figures["live"]
    load = os.getloadavg()[0]
    kib = {k: v / 1024 for k, v in sizes.items()}

    def spread(values: list[float]) -> str:
        return f"median **{statistics.median(values):.0f} ms**, p95 {percentile(values, 0.95):.0f} ms"

    lines = [
        f"- bundle: JS loaded before any page {kib['first_js']:.0f} KiB, "
        f"**{kib['first_js_gzip']:.1f} KiB gzip** (goal < 300 KB); all JS, every page's chunk included, "
        f"{kib['js']:.0f} KiB, {kib['js_gzip']:.1f} KiB gzip; "
        f"CSS {kib['css']:.0f} KiB, {kib['css_gzip']:.1f} KiB gzip",
        f"- issue list with {count} issues stored, {len(paint)} cold loads (empty cache each): "
        f"first contentful paint {spread(paint)}; first issue rows in the DOM {spread(rows)} (goal < 1 s)",
        f"- behind the list, over HTTP: the issues page (25 of {count}) {spread(queries['list'])}; "
        f"its 25 sparklines (`Issue.stats`, analytics) {spread(queries['stats'])}",
        f"- live: SDK POST of a new issue → its row in the open list, {len(live)} samples: "
        f"{spread(live)}, max {max(live):.0f} ms (goal < 1 s)",
    ]
    body = "\n".join(
        [
            "`bench/webui.py`: headless Debian Chromium (Playwright) against `stackline serve` on the "
            f"embedded defaults, {count} issues ingested through `/api/{{project}}/envelope/` "
            f"({args.issues} envelopes from one real sentry-sdk event, each its own fingerprint). "
            f"Commit {git_commit()}, load average {load:.1f} at the end (2 cores, shared with other work).",
            "",
            *lines,
        ]
    )
    print(body)
    if not args.no_write:
        write_section("webui", "Web UI", body)


if __name__ == "__main__":
    main()
