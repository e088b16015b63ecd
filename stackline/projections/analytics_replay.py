"""An analytics replay in which the engine, not Python, turns the log's error events into rows.

The analytics projector (`analytics.py`) decodes every event, builds its row and encodes it
again as JSON for the engine: about two thirds of its CPU per event. An error event's row is
only a selection of its stored data (the facts decided at ingest: summary, release, user
pseudonym, grouping hash), so here the store hands over the data as the JSON text it keeps
(`ReadsEncoded`, the SQLite and PostgreSQL stores), and the engine parses it into the row, in
C++: each error is inserted into `ERROR_LOG`, a Null table whose views fill `events_inbox` (and
so `events` and both tag counts tables) and the accepted outcomes (`schema.py`).

Python keeps every other event, through the projector itself: transactions (their row needs
`summarize` and the pseudonyms of the payload), sessions, client reports, outcomes, the other
accepted items; and errors of an older schema (upcast on decode) or grouped under another
config (regrouped from the payload). An event of the log goes one way or the other, never both.

Why not the engine's own `sqlite()` / `postgresql()` table functions, reading the log with no
Python at all: the embedded engine, chdb-core-lite, is built without them (docs/benchmarks.md),
and a ClickHouse server would read its own filesystem and network, not this process's.

This never writes to the read-model database (`app/replay.py` saves the checkpoint).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from stackline.analytics.port import AnalyticsExecutor
from stackline.domain import error_event
from stackline.domain.error_event import ErrorEventReceived
from stackline.eventstore import EventStore
from stackline.eventstore.port import EncodedEvent, ReadsEncoded
from stackline.projections.analytics import AnalyticsProjection
from stackline.projections.runner import REPLAY_BATCH, Effects

ERROR_LOG = "replay_error_log"
# Batches the engine takes at once when analytics replays alone: one per core of this machine.
# Beside the read models' projector, which bounds that replay, one: a second would take its core.
ENGINE_INSERTS = 2
# The part of an ErrorEventReceived's data (schema 3) the rows are made of; the engine skips
# the rest, and reads a JSON null into a String as "" (the projector's `or ""`).
_ERROR_DATA = (
    "Tuple(organization_id String, project_id UInt64, event_id String, received_at Float64,"
    " facts Tuple(summary Tuple(title String, level String, platform String, timestamp Float64,"
    " tags Array(Tuple(String, String))), release String, environment String, transaction String,"
    " user String, grouping Tuple(hash String)))"
)
# `analytics.clickhouse_time`: whole seconds, then milliseconds rounded half to even, mod 1000.
_TIMESTAMP = (
    "fromUnixTimestamp64Milli(toInt64(floor(s.timestamp)) * 1000"
    " + toInt64(roundBankers((s.timestamp - floor(s.timestamp)) * 1000)) % 1000, 'UTC')"
)
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {ERROR_LOG} (position UInt64, data {_ERROR_DATA}) ENGINE = Null",
    # The columns of `events`, in its order, as `analytics._error_row` makes them.
    f"CREATE MATERIALIZED VIEW IF NOT EXISTS {ERROR_LOG}_to_events TO events_inbox AS"
    " SELECT data.organization_id AS organization_id, data.project_id AS project_id, 'error' AS type,"
    f" {_TIMESTAMP} AS timestamp, data.event_id AS event_id, data.facts.grouping.hash AS primary_hash,"
    " position, s.level AS level, s.platform AS platform, data.facts.release AS release,"
    " data.facts.environment AS environment, data.facts.user AS user, s.title AS title,"
    " data.facts.transaction AS transaction, 0 AS duration_ms,"
    " mapFromArrays(arrayMap(pair -> pair.1, s.tags), arrayMap(pair -> pair.2, s.tags)) AS tags"
    f" FROM (SELECT position, data, data.facts.summary AS s FROM {ERROR_LOG})",
    # An accepted error's outcome: item 0 of its position, at the second it was received.
    f"CREATE MATERIALIZED VIEW IF NOT EXISTS {ERROR_LOG}_to_outcomes TO outcomes AS"
    " SELECT data.organization_id AS organization_id, data.project_id AS project_id,"
    " toDateTime(toUInt32(floor(data.received_at)), 'UTC') AS timestamp, 'error' AS category,"
    " 'accepted' AS outcome, '' AS reason, 1 AS quantity, position, 0 AS item"
    f" FROM {ERROR_LOG}",
)
DROP = (
    f"DROP VIEW IF EXISTS {ERROR_LOG}_to_events",
    f"DROP VIEW IF EXISTS {ERROR_LOG}_to_outcomes",
    f"DROP TABLE IF EXISTS {ERROR_LOG}",
)


class EngineAnalyticsReplay:
    """Fills the (new, empty) analytics tables from the log up to a position."""

    def __init__(
        self, name: str, store: EventStore, log: ReadsEncoded, executor: AnalyticsExecutor, inserts: int = 1
    ) -> None:
        self.name = name
        self.inserts = inserts  # at once (`ENGINE_INSERTS`)
        self.store = store
        self.log = log  # the same store (`encoded_log(store)`)
        self.executor = executor
        self.projection = AnalyticsProjection(executor, store)  # for the events Python keeps
        self.position = 0
        self.in_engine = 0  # events whose rows the engine made
        self._inserting: set[asyncio.Future[None]] = set()
        # An error grouped under the current config, the one place the key "config" occurs in
        # its data (in a JSON string a quote is escaped, so no value can hold this text).
        self._current = f'"config":"{error_event.GROUPING_CONFIG}"'.encode()

    async def run_until(self, position: int, on_batch: Callable[[int], None] | None = None) -> None:
        for statement in CREATE:
            await self.executor.execute(statement)
        # The next batch is read while the engine takes this one (as `ProjectorRunner` does).
        upcoming: asyncio.Future[list[EncodedEvent]] | None = None
        self._inserting = set()
        try:
            upcoming = asyncio.ensure_future(self.log.read_all_encoded(self.position, REPLAY_BATCH))
            while upcoming is not None:
                batch = [event for event in await upcoming if event[0] <= position]
                upcoming = None
                if not batch:
                    break
                if batch[-1][0] < position:
                    upcoming = asyncio.ensure_future(self.log.read_all_encoded(batch[-1][0], REPLAY_BATCH))
                await self._apply(batch)
                self.position = batch[-1][0]
                if on_batch is not None:
                    on_batch(len(batch))
            for insert in self._inserting:
                await insert
        finally:
            if upcoming is not None:
                upcoming.cancel()
            # Whatever is still inserting finishes (or fails) before its views are dropped.
            await asyncio.gather(*self._inserting, return_exceptions=True)
            for statement in DROP:
                await self.executor.execute(statement)

    async def _apply(self, batch: Sequence[EncodedEvent]) -> None:
        errors: list[bytes] = []
        kept: list[int] = []
        current, version = self._current, ErrorEventReceived.schema_version
        for at, type_, schema_version, data in batch:
            if type_ == "ErrorEventReceived" and schema_version == version and current in data:
                errors.append(b'{"position":%d,"data":%b}' % (at, data))
            else:
                kept.append(at)
        # Python's events first: the projector asks the tag counts tables how far they count
        # (once, the first time), and must not hear of errors past its own events.
        if kept:
            await self.projection.apply_batch(None, await self.store.read_positions(kept), Effects())
        if errors:
            # Inserts may run side by side (`ENGINE_INSERTS`): one insert parses its rows on one
            # thread, and leaves the other core idle while Python waits for it.
            if len(self._inserting) >= self.inserts:
                done, self._inserting = await asyncio.wait(
                    self._inserting, return_when=asyncio.FIRST_COMPLETED
                )
                for insert in done:
                    insert.result()
            body = b"\n".join(errors)
            self._inserting.add(asyncio.ensure_future(self.executor.insert_encoded(ERROR_LOG, body)))
            self.in_engine += len(errors)
