"""The embedded default's process loads no client of a server it does not use (issue 18: asyncpg,
kurrentdbclient with grpc and nats cost it ~18 MB of RSS); choosing one by its URL still works
(`tests/e2e` runs every backend)."""

from __future__ import annotations

import subprocess
import sys

SERVER_CLIENTS = ("asyncpg", "kurrentdbclient", "grpc", "nats")


def test_the_app_and_its_wiring_import_no_server_client():
    code = (
        "import sys\n"
        "import stackline.entrypoints.asgi, stackline.entrypoints.cli, stackline.app.wiring\n"
        f"print(sorted(m for m in {SERVER_CLIENTS!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
