from __future__ import annotations

# The analytics projection's tests run on each analytics engine, like the executor contract.
from tests.analytics.conftest import executor  # noqa: F401
