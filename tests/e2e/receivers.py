"""The receivers a server sends alerts and webhooks to in the e2e tests, real ones on free ports:
`Mailbox`, an SMTP server (aiosmtpd), and `Receiver`, an HTTP server answering from a script of
status codes; their fixtures (imported by tests/e2e/conftest.py), and the settings that point a
server at them (`WEBHOOK_ENV`, `alert_env`)."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.server import free_port

# Small backoff so retries happen within a test; the policy is the production one.
WEBHOOK_ENV = {
    "STACKLINE_WEBHOOK_BASE_DELAY": "0.2",
    "STACKLINE_WEBHOOK_MAX_DELAY": "1",
    "STACKLINE_WEBHOOK_POLL_INTERVAL": "0.1",
    "STACKLINE_WEBHOOK_TIMEOUT": "5",
}


def alert_env(mailbox: Mailbox) -> dict[str, str]:
    return {
        **WEBHOOK_ENV,
        "STACKLINE_SMTP_HOST": "127.0.0.1",
        "STACKLINE_SMTP_PORT": str(mailbox.port),
        "STACKLINE_SMTP_FROM": "alerts@stackline.test",
    }


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on a free port; each path answers from its script of status codes
    (the last one repeats) and every request is recorded."""

    scripts: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                script = receiver.scripts.get(self.path, [200])
                status = script.pop(0) if len(script) > 1 else script[0]
                answer = b"busy, come back later" if status >= 500 else b"ok"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@dataclass
class Mailbox:
    """A real SMTP server (aiosmtpd) on a free port, keeping every message it accepts."""

    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def start(self) -> Mailbox:
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        assert self.controller is not None
        return self.controller.port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """One SMTP server for a module, whose shared server sends to it: a test counts what arrives
    after it started."""
    running = Mailbox().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def empty_mailbox() -> Iterator[Mailbox]:
    """An SMTP server of the test's own: every message in it came from this test's server."""
    running = Mailbox().start()
    try:
        yield running
    finally:
        running.stop()
