"""Debian's headless Chromium driven by Playwright, for the web UI's browser tests: launching it
(never a browser Playwright downloads) and opening a page logged in with a token.

Outside CI a missing /usr/bin/chromium skips the tests; in CI (CI=true) it is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Generous: on a loaded 2-core machine a server may take seconds to project a change (one run of
# test_webui_settings.py at load ~40 timed out once at 30 s; it passes in 30 s unloaded).
WAIT_MS = 60_000


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium before the tests")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium): the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(
    browser: Any, base_url: str, token: str | None, path: str = "/", live: bool = True, **context_options: Any
) -> Any:
    """A page in a fresh browser context (its own storage), with `token` already logged in;
    with `live` False its websocket is taken over and never answers (no live update arrives)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, **context_options)
    if not live:
        context.route_web_socket(re.compile(r"/graphql$"), lambda ws: None)
    if token:
        context.add_init_script(f"window.localStorage.setItem('stackline.token', {token!r})")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(base_url + path)
    return page
