"""GraphiQL at `/graphql` as a new user meets it: served from the Python package, so it works
with no network beyond the server (no CDN), and a query with the token in its Headers tab
answers in the page.

Outside CI the browser test skips when /usr/bin/chromium is missing; in CI it is a failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.browser import WAIT_MS, chromium
from tests.e2e.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("graphiql") / "data").start()
    try:
        yield running
    finally:
        running.stop()


class References(HTMLParser):
    """Every URL an HTML page makes the browser load: script src, link href, img src, ..."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_the_graphiql_page_names_no_other_host_and_its_assets_are_served(server: Server) -> None:
    page = httpx.get(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = References()
    references.feed(page.text)
    assert references.urls, page.text
    for url in references.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is loaded from another host"
        asset = httpx.get(f"{server.url}{url}")
        assert asset.status_code == 200, url
        assert "max-age=31536000" in asset.headers["cache-control"]
    assert not re.search(r"(?i)\b(?:unpkg|jsdelivr|cdnjs|esm\.sh)\b", page.text)
    # The API itself is still what POST /graphql answers.
    assert httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }


def test_graphiql_runs_a_query_with_the_token_in_its_headers_tab_offline(server: Server) -> None:
    boot = server.bootstrap("giql", "web")
    server_host = urlsplit(server.url).netloc
    blocked: list[str] = []

    def only_the_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == server_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.route("**/*", only_the_server)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server.url}/graphql")

        query_editor = page.locator(".graphiql-query-editor .monaco-editor").first
        query_editor.click()
        page.keyboard.press("ControlOrMeta+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text("{ viewer { kind organizations { slug } } }")

        page.get_by_role("button", name=re.compile("^Headers$")).click()
        headers_editor = page.locator(".graphiql-editor-tool .monaco-editor").last
        headers_editor.click()
        page.keyboard.press("ControlOrMeta+A")
        page.keyboard.press("Delete")
        page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {boot['token']}"}))

        page.locator(".graphiql-execute-button").click()
        response = page.locator(".graphiql-response")
        response.get_by_text('"giql"').wait_for()
        text = response.inner_text()
        context.close()
    assert '"ORGANIZATION"' in text or '"kind"' in text, text
    assert blocked == [], f"GraphiQL asked other hosts for: {blocked}"
