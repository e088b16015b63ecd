"""The subject keys and pseudonyms of crypto-shredding: a small store apart from the read models.

Why not a table among the read models: those are derived from the log and `stackline replay`
drops every one of them; a key is the one thing the log cannot give back (losing it erases the
person, keeping a copy keeps them). So the keys live in a store of their own, created here and
never touched by replay or alembic: on SQLite the file `keys.sqlite3` beside the read models
(with `secure_delete`, so a deleted key leaves no page behind); on PostgreSQL the schema
`stackline_keys` of the read-model database (replay reflects and drops `public` only).

Three tables: one HMAC secret per organization (pseudonyms), one AES key per subject
(`personal_keys`, with the pseudonym of the identifier that made it), and the pseudonyms each
subject was seen under, each with its identifier sealed under the subject's key (`reveal`).
Erasing deletes a subject's key and its pseudonyms' rows.

On the ingest hot path (`seal_plan`) everything is cached: the secret for good, a subject's key
and the pseudonyms already recorded for CACHE_SECONDS (another process's erasure is missed that
long, and what it seals meanwhile is sealed under a deleted key: unreadable, never readable).
Only a subject or alias seen for the first time costs a write, and the writes of concurrent
requests share one transaction (`_KeyWriter`, a group commit), committed before their events
are appended: a key is durable before any event sealed under it is acknowledged. Never logs a
personal value.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.events import DomainEvent, FeedbackReceived, LogsReceived, TransactionReceived
from stackline.domain.personal import (
    Subject,
    SubjectKey,
    key_ids_in,
    may_be_personal,
    new_key,
    open_payload,
    pseudonym_in,
    pseudonym_of,
    pseudonymous_search,
    revealed,
    seal_error_event,
    seal_log,
    seal_transaction,
    sealed_parts,
    subject_of_feedback,
    subject_of_log,
    subject_of_payload,
)
from stackline.readmodels.db import create_engine
from stackline.readmodels.upsert import SQLITE_VARIABLES, insert_absent

CACHE_SECONDS = 300.0
CACHE_LIMIT = 100_000
SCHEMA = "stackline_keys"  # PostgreSQL
KEYS_FILE = "keys.sqlite3"  # SQLite, beside the read models
STORED_KEYS_PER_QUERY = 1000  # subjects per `IN (...)`, well under SQLite's bound variables

metadata = MetaData()
personal_secrets = Table(
    "personal_secrets",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
)
personal_keys = Table(
    "personal_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("subject", String(32), nullable=False),  # pseudonym of the identifier that made it
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("organization_id", "subject", name="uq_personal_keys_subject"),
)
personal_pseudonyms = Table(
    "personal_pseudonyms",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("pseudonym", String(32), primary_key=True),
    Column("key_id", String(32), primary_key=True),
    Column("identifier", String(1024), nullable=False),  # sealed under the subject's key
)


def keys_url(database_url: str, data_dir: Path) -> str:
    """Where the keys live for a read-model database (see the module's docstring)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return f"sqlite+aiosqlite:///{data_dir / KEYS_FILE}"
    return database_url


def _key_store_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """`secure_delete`, so an erased key leaves no page behind; `synchronous=FULL` (the read
    models' NORMAL may lose the last commits to a power cut), because a key must be as durable
    as the acknowledged events sealed under it, like the event store's own commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


@dataclass(frozen=True, slots=True)
class _KeyWrite:
    """What one subject of a request needs written: its key, unless the cache holds it (`key`),
    and the aliases (pseudonym, identifier) not yet recorded under it."""

    organization_id: str
    subject: str  # the pseudonym of its primary identifier
    key: SubjectKey | None
    aliases: list[tuple[str, str]]


class _KeyWriter:
    """Group commit for the key store, as `stackline/eventstore/batching.py` does for the log:
    the writes of every request that arrives while a transaction is being written wait together
    and go into the next one. A burst of new people costs one transaction (one fsync) per batch,
    not two or three per person; a lone request is written at once."""

    def __init__(self, write: Callable[[Sequence[_KeyWrite]], Awaitable[list[SubjectKey]]]) -> None:
        self._write = write
        self._pending: list[tuple[list[_KeyWrite], asyncio.Future[list[SubjectKey]]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, writes: list[_KeyWrite]) -> list[SubjectKey]:
        """Each write's key, once the transaction holding them has committed."""
        future: asyncio.Future[list[SubjectKey]] = asyncio.get_running_loop().create_future()
        self._pending.append((writes, future))
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    keys = iter(await self._write([write for writes, _ in batch for write in writes]))
                except Exception as error:  # the transaction failed: every request in it hears so
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for writes, future in batch:
                    answer = [next(keys) for _ in writes]
                    if not future.done():  # a request that was cancelled meanwhile
                        future.set_result(answer)
        finally:
            self._flushing = None


class PersonalKeys:
    def __init__(self, engine: AsyncEngine, sqlite: _SQLiteKeyWriter | None = None) -> None:
        self.engine = engine
        self._sqlite = sqlite
        # One key-store write transaction at a time in this process (a group commit's, an
        # erasure's, a new organization's secret): concurrent ones overflowed the pool (a new
        # aiosqlite thread and connection apiece) and queued on SQLite's lock.
        self._writing = asyncio.Lock()
        self._secrets: dict[str, bytes] = {}
        self._keys: dict[tuple[str, str], tuple[float, SubjectKey]] = {}  # (org, subject) ->
        self._recorded: dict[tuple[str, str, str], float] = {}  # (org, pseudonym, key id) ->
        self._pseudonyms: dict[tuple[str, str], str] = {}  # (org, identifier) -> pseudonym
        self._writer = _KeyWriter(self._write_keys)

    @classmethod
    async def open(cls, database_url: str, data_dir: Path) -> PersonalKeys:
        url = keys_url(database_url, data_dir)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _key_store_pragmas)
        for attempt in range(3):
            # Processes that start together (an API and its projectors) race to create the
            # tables; whoever loses finds them made and tries again.
            try:
                if engine.dialect.name != "sqlite":
                    async with engine.begin() as conn:
                        await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
                    async with engine.execution_options(schema_translate_map={None: SCHEMA}).begin() as conn:
                        await conn.run_sync(metadata.create_all)
                else:
                    async with engine.begin() as conn:
                        await conn.run_sync(metadata.create_all)
                break
            except DBAPIError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2)
        if engine.dialect.name != "sqlite":
            engine = engine.execution_options(schema_translate_map={None: SCHEMA})
            return cls(engine)
        return cls(engine, _SQLiteKeyWriter(data_dir / KEYS_FILE))

    async def close(self) -> None:
        if self._sqlite is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._sqlite.close)
        await self.engine.dispose()

    # --- pseudonyms ---------------------------------------------------------------------------

    async def secret(self, organization_id: str) -> bytes:
        secret = self._secrets.get(organization_id)
        if secret is None:
            async with self._writing, self.engine.begin() as conn:
                await insert_absent(
                    conn,
                    personal_secrets,
                    [{"organization_id": organization_id, "secret": os.urandom(32)}],
                    returning=(personal_secrets.c.organization_id,),
                )
                secret = (
                    await conn.execute(
                        select(personal_secrets.c.secret).where(
                            personal_secrets.c.organization_id == organization_id
                        )
                    )
                ).scalar_one()
            self._secrets[organization_id] = secret
        return secret

    async def pseudonym(self, organization_id: str, identifier: str) -> str:
        return pseudonym_of(await self.secret(organization_id), identifier)

    def _pseudonym_cached(self, organization_id: str, secret: bytes, identifier: str) -> str:
        """An HMAC costs more than a lookup, and a busy server sees the same people again."""
        found = self._pseudonyms.get((organization_id, identifier))
        if found is None:
            found = pseudonym_of(secret, identifier)
            self._remember(self._pseudonyms, (organization_id, identifier), found)
        return found

    async def search_terms(self, organization_id: str, terms: tuple[Any, ...]) -> tuple[Any, ...]:
        """Search terms with the user tags' values hashed as they are stored."""
        secret = await self.secret(organization_id)
        return pseudonymous_search(terms, lambda identifier: pseudonym_of(secret, identifier))

    async def search_term_rewrite(self, organization_id: str) -> Callable[[Any], Any]:
        """`search_terms` for one term at a time (the analytics event filter's hook)."""
        secret = await self.secret(organization_id)
        return lambda term: pseudonymous_search((term,), lambda identifier: pseudonym_of(secret, identifier))[
            0
        ]

    # --- the ingest step ----------------------------------------------------------------------

    async def seal_plan(
        self,
        organization_id: str,
        events: Sequence[tuple[uuid.UUID, DomainEvent]],
        payloads: Mapping[uuid.UUID, dict[str, Any]] | None = None,
        run: Callable[[Callable[[], list[tuple[uuid.UUID, DomainEvent]]]], Awaitable[Any]] | None = None,
    ) -> list[tuple[uuid.UUID, DomainEvent]]:
        """The events of one ingest request as the log keeps them: personal values sealed under
        their subject's key, what projectors count by pseudonymous. `payloads` are the error
        events' payloads as intake built them (`Plan.payloads`); an error event without one is
        sealed from its `payload_json`. The keys of the request's new subjects are written and
        committed before this returns, all in one transaction (`subject_keys`). `run`, when
        given, runs the sealing itself (walking and encrypting the payloads: CPU, seconds for a
        large body) where the request's other CPU steps ran, an intake worker for a large one."""
        payloads = payloads or {}
        subjects: list[Any] = []  # per event: its Subject, a log's list of them, or None
        for event_id, domain_event in events:
            subjects.append(self._subjects_of(domain_event, payloads.get(event_id)))
        wanted = [
            subject
            for found in subjects
            for subject in (found if isinstance(found, list) else [found])
            if subject is not None
        ]
        if not wanted:
            return list(events)
        secret = await self.secret(organization_id)
        keys = await self.subject_keys(organization_id, wanted)

        def pseudonym(identifier: str) -> str:
            return self._pseudonym_cached(organization_id, secret, identifier)

        def seal() -> list[tuple[uuid.UUID, DomainEvent]]:
            return self._sealed(events, subjects, keys, payloads, pseudonym)

        return await run(seal) if run is not None else seal()

    @staticmethod
    def _sealed(
        events: Sequence[tuple[uuid.UUID, DomainEvent]],
        subjects: list[Any],
        keys: Mapping[str, SubjectKey],
        payloads: Mapping[uuid.UUID, dict[str, Any]],
        pseudonym: Callable[[str], str],
    ) -> list[tuple[uuid.UUID, DomainEvent]]:
        sealed: list[tuple[uuid.UUID, DomainEvent]] = []
        for (event_id, domain_event), subject in zip(events, subjects, strict=True):
            if isinstance(subject, Subject):
                key = keys[subject.primary]
                if isinstance(domain_event, ErrorEventReceived):
                    domain_event = seal_error_event(
                        domain_event, key, pseudonym, subject, payloads.get(event_id)
                    )
                elif isinstance(domain_event, TransactionReceived):
                    domain_event = seal_transaction(domain_event, key, pseudonym, subject)
                elif isinstance(domain_event, FeedbackReceived):
                    domain_event = dataclasses.replace(
                        domain_event,
                        name=key.seal(domain_event.name) if domain_event.name else None,
                        email=key.seal(domain_event.email) if domain_event.email else None,
                    )
            elif isinstance(subject, list) and isinstance(domain_event, LogsReceived):
                domain_event = dataclasses.replace(
                    domain_event,
                    logs=[
                        record if found is None else seal_log(record, keys[found.primary], found)
                        for record, found in zip(domain_event.logs, subject, strict=True)
                    ],
                )
            sealed.append((event_id, domain_event))
        return sealed

    @staticmethod
    def _subjects_of(
        domain_event: DomainEvent, payload: dict[str, Any] | None
    ) -> Subject | list[Subject | None] | None:
        """Who `domain_event` is about (for logs: each record's subject), None for no one."""
        if isinstance(domain_event, ErrorEventReceived):
            if payload is None:
                if not may_be_personal(domain_event):
                    return None
                payload = domain_event.payload
            return subject_of_payload(payload)
        if isinstance(domain_event, TransactionReceived):
            return subject_of_payload(domain_event.payload)
        if isinstance(domain_event, FeedbackReceived):
            return subject_of_feedback(domain_event.name, domain_event.email)
        if isinstance(domain_event, LogsReceived):
            found = [subject_of_log(record) for record in domain_event.logs]
            return found if any(found) else None
        return None

    async def subject_keys(self, organization_id: str, subjects: Iterable[Subject]) -> dict[str, SubjectKey]:
        """The key of each subject (by its primary identifier; made the first time), with every
        identifier of each recorded as one of its pseudonyms. What the cache does not hold is
        written by the next group commit of the key store (`_KeyWriter`), and is durable when
        this returns: an event sealed under a key is only appended, and acknowledged, after it."""
        secret = await self.secret(organization_id)
        now = time.monotonic()
        identifiers: dict[str, dict[str, None]] = {}  # primary -> every identifier, in order
        for subject in subjects:
            identifiers.setdefault(subject.primary, {}).update(dict.fromkeys(subject.identifiers))
        found: dict[str, SubjectKey] = {}
        writes: list[_KeyWrite] = []
        for primary, names in identifiers.items():
            hashed = self._pseudonym_cached(organization_id, secret, primary)
            cached = self._keys.get((organization_id, hashed))
            key = cached[1] if cached is not None and now - cached[0] < CACHE_SECONDS else None
            aliases = []
            for identifier in names:
                pseudonym = self._pseudonym_cached(organization_id, secret, identifier)
                seen = None if key is None else self._recorded.get((organization_id, pseudonym, key.key_id))
                if seen is None or now - seen >= CACHE_SECONDS:
                    aliases.append((pseudonym, identifier))
            if key is not None and not aliases:
                found[primary] = key
            else:
                writes.append(_KeyWrite(organization_id, hashed, key, aliases))
        if writes:
            written = await self._writer.write(writes)
            for write, key in zip(writes, written, strict=True):
                self._remember(self._keys, (organization_id, write.subject), (now, key))
                for pseudonym, _ in write.aliases:
                    self._remember(self._recorded, (organization_id, pseudonym, key.key_id), now)
            by_subject = {write.subject: key for write, key in zip(writes, written, strict=True)}
            for primary in identifiers:
                if primary not in found:
                    found[primary] = by_subject[self._pseudonym_cached(organization_id, secret, primary)]
        return found

    async def _write_keys(self, writes: Sequence[_KeyWrite]) -> list[SubjectKey]:
        """One group commit of the key store: the new subjects' keys inserted (a key another
        process or an earlier batch stored first is kept, by the unique constraint, and read
        back), then every alias row, in one transaction. On SQLite the whole transaction is one
        call into the key store's writer thread (`_SQLiteKeyWriter`); on PostgreSQL, a
        statement per table through the engine."""
        batch = _KeyBatch.of(writes)
        async with self._writing:
            if self._sqlite is not None:
                return await self._sqlite.write(batch)
            async with self.engine.begin() as conn:
                if batch.new:
                    inserted = await insert_absent(
                        conn, personal_keys, batch.key_rows(), returning=(personal_keys.c.key_id,)
                    )
                    if len(inserted) < len(batch.new):
                        batch = batch.keeping(await _stored_keys(conn, batch.new_subjects))
                if batch.aliases:
                    await insert_absent(
                        conn, personal_pseudonyms, batch.aliases, returning=(personal_pseudonyms.c.pseudonym,)
                    )
            return batch.keys

    @staticmethod
    def _remember(cache: dict, key: Any, value: Any) -> None:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[key] = value

    # --- readers ------------------------------------------------------------------------------

    async def keys(self, organization_id: str, key_ids: Iterable[str]) -> dict[str, SubjectKey]:
        """The keys still held of `key_ids` (an erased one is absent), uncached: a reader sees
        an erasure at once."""
        wanted = sorted(set(key_ids))
        if not wanted:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(personal_keys.c.key_id, personal_keys.c.key).where(
                    personal_keys.c.organization_id == organization_id, personal_keys.c.key_id.in_(wanted)
                )
            )
            return {row.key_id: SubjectKey(row.key_id, organization_id, row.key) for row in rows}

    async def identifiers(self, organization_id: str, pseudonyms: Iterable[str]) -> dict[str, str]:
        """The clear identifier (`email:x@y`) of each pseudonym still known."""
        wanted = sorted(set(pseudonyms))
        if not wanted:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(personal_pseudonyms.c.pseudonym, personal_pseudonyms.c.identifier, personal_keys.c.key)
                .join(personal_keys, personal_keys.c.key_id == personal_pseudonyms.c.key_id)
                .where(
                    personal_pseudonyms.c.organization_id == organization_id,
                    personal_pseudonyms.c.pseudonym.in_(wanted),
                )
            )
            found: dict[str, str] = {}
            for row in rows:
                parts = sealed_parts(row.identifier)
                if parts is None:
                    continue
                clear = SubjectKey(parts[0], organization_id, row.key).open(row.identifier)
                if isinstance(clear, str):
                    found[row.pseudonym] = clear
            return found

    async def open_payloads(
        self, payloads: Iterable[tuple[str, dict[str, Any] | None]]
    ) -> list[dict[str, Any] | None]:
        """Each (organization id, payload) with its sealed values opened, or `[erased]`."""
        items = list(payloads)
        wanted: dict[str, set[str]] = {}
        for organization_id, payload in items:
            if payload is not None:
                wanted.setdefault(organization_id, set()).update(key_ids_in(payload))
        keys = {
            organization_id: await self.keys(organization_id, ids) for organization_id, ids in wanted.items()
        }
        return [
            None if payload is None else open_payload(payload, keys.get(organization_id, {}))
            for organization_id, payload in items
        ]

    async def open_value(self, organization_id: str, value: str | None) -> str | None:
        """One sealed value (a feedback's name or e-mail) opened, or `[erased]`."""
        if value is None:
            return None
        opened = (await self.open_payloads([(organization_id, {"value": value})]))[0]
        shown = opened["value"] if opened is not None else None
        return shown if isinstance(shown, str) or shown is None else str(shown)

    async def reveal(self, organization_id: str, values: Iterable[Any]) -> dict[str, str]:
        """Each pseudonymous value among `values` as it was sent, or `[erased]`; the clear ones
        are absent (`shown.get(value, value)`)."""
        pseudonymous = {value for value in values if pseudonym_in(value) is not None}
        if not pseudonymous:
            return {}
        known = await self.identifiers(organization_id, {pseudonym_in(value) or "" for value in pseudonymous})
        return {value: revealed(value, known) for value in pseudonymous}

    # --- erasure ------------------------------------------------------------------------------

    async def erase(self, organization_id: str, identifier: str) -> tuple[str, list[str]]:
        """Delete the key of every subject seen under `identifier`: (its pseudonym, the key ids
        deleted)."""
        pseudonym = await self.pseudonym(organization_id, identifier)
        async with self._writing, self.engine.begin() as conn:
            key_ids = await _key_ids_of(conn, organization_id, pseudonym)
            subjects = await conn.execute(
                select(personal_keys.c.key_id).where(
                    personal_keys.c.organization_id == organization_id, personal_keys.c.subject == pseudonym
                )
            )
            key_ids = sorted({*key_ids, *(row.key_id for row in subjects)})
            if key_ids:
                await conn.execute(
                    delete(personal_pseudonyms).where(
                        personal_pseudonyms.c.organization_id == organization_id,
                        personal_pseudonyms.c.key_id.in_(key_ids),
                    )
                )
                await conn.execute(
                    delete(personal_keys).where(
                        personal_keys.c.organization_id == organization_id,
                        personal_keys.c.key_id.in_(key_ids),
                    )
                )
        if self.engine.dialect.name == "sqlite":
            async with self.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        erased = set(key_ids)
        for cache_key, (_, key) in list(self._keys.items()):
            if key.key_id in erased:
                del self._keys[cache_key]
        for recorded in list(self._recorded):
            if recorded[2] in erased:
                del self._recorded[recorded]
        return pseudonym, key_ids


@dataclass(frozen=True, slots=True)
class _KeyBatch:
    """One group commit's rows, made on the event loop: a new key for each subject the cache did
    not hold, and every alias sealed under its subject's key, so that the writer thread runs
    little more than SQL (each statement it runs hands the GIL to the busy event loop and waits
    to get it back). A candidate key another writer stored first is replaced by that one
    (`keeping`). Rows are sorted, so two processes' batches cannot deadlock on each other's
    unique keys (PostgreSQL)."""

    writes: Sequence[_KeyWrite]
    keys: list[SubjectKey]  # each write's key: the cached one, else the candidate
    new: list[SubjectKey]  # the candidates, by (organization id, subject)
    new_subjects: list[tuple[str, str]]
    aliases: list[dict[str, Any]]

    @classmethod
    def of(cls, writes: Sequence[_KeyWrite]) -> _KeyBatch:
        candidates: dict[tuple[str, str], SubjectKey] = {}
        for w in writes:
            if w.key is None and (w.organization_id, w.subject) not in candidates:
                candidates[(w.organization_id, w.subject)] = SubjectKey(
                    uuid.uuid4().hex, w.organization_id, new_key()
                )
        keys = [w.key or candidates[(w.organization_id, w.subject)] for w in writes]
        subjects = sorted(candidates)
        return cls(writes, keys, [candidates[s] for s in subjects], subjects, _alias_rows(writes, keys))

    def key_rows(self) -> list[dict[str, Any]]:
        return [
            {"key_id": key.key_id, "organization_id": organization_id, "subject": subject, "key": key.key}
            for (organization_id, subject), key in zip(self.new_subjects, self.new, strict=True)
        ]

    def keeping(self, stored: Mapping[tuple[str, str], SubjectKey]) -> _KeyBatch:
        """This batch with the stored key of each new subject in place of its candidate (the
        same for those this transaction inserted), the aliases sealed again under them."""
        keys = [
            stored[(w.organization_id, w.subject)] if w.key is None else key
            for w, key in zip(self.writes, self.keys, strict=True)
        ]
        return _KeyBatch(self.writes, keys, [], [], _alias_rows(self.writes, keys))


def _alias_rows(writes: Sequence[_KeyWrite], keys: Sequence[SubjectKey]) -> list[dict[str, Any]]:
    """The pseudonym rows of `writes`, each identifier sealed under its subject's key, sorted."""
    rows = {
        (w.organization_id, pseudonym, key.key_id): {
            "organization_id": w.organization_id,
            "pseudonym": pseudonym,
            "key_id": key.key_id,
            "identifier": key.seal(identifier),
        }
        for w, key in zip(writes, keys, strict=True)
        for pseudonym, identifier in w.aliases
    }
    return [rows[name] for name in sorted(rows)]


class _SQLiteKeyWriter:
    """The key store's group commits on SQLite: the standard library's driver on a connection
    of its own, in a thread of its own, one call per transaction, a statement per table
    (multi-row `INSERT … ON CONFLICT DO NOTHING`; the stored keys are read back only when one
    was there already). Through aiosqlite each of the transaction's statements was a round trip
    between the event loop and its thread (about 17 for one new subject before batching)."""

    def __init__(self, path: Path) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="keys-writer")
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "secure_delete=ON", "synchronous=FULL"):
            self._conn.execute(f"PRAGMA {pragma}")

    async def write(self, batch: _KeyBatch) -> list[SubjectKey]:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._write, batch)

    def close(self) -> None:
        self._thread.submit(self._conn.close).result()
        self._thread.shutdown()

    def _write(self, batch: _KeyBatch) -> list[SubjectKey]:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if batch.new:
                before = conn.total_changes
                self._insert(
                    "personal_keys", ("key_id", "organization_id", "subject", "key"), batch.key_rows()
                )
                if conn.total_changes - before < len(batch.new):
                    batch = batch.keeping(self._stored(batch.new_subjects))
            self._insert(
                "personal_pseudonyms", ("organization_id", "pseudonym", "key_id", "identifier"), batch.aliases
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return batch.keys

    def _insert(self, table: str, names: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        per_statement = SQLITE_VARIABLES // len(names)
        placeholders = "(" + ", ".join("?" * len(names)) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            self._conn.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([placeholders] * len(chunk))}"
                " ON CONFLICT DO NOTHING",
                [row[name] for row in chunk for name in names],
            )

    def _stored(self, subjects: Sequence[tuple[str, str]]) -> dict[tuple[str, str], SubjectKey]:
        found: dict[tuple[str, str], SubjectKey] = {}
        for organization_id, names in _by_organization(subjects).items():
            for start in range(0, len(names), STORED_KEYS_PER_QUERY):
                chunk = names[start : start + STORED_KEYS_PER_QUERY]
                rows = self._conn.execute(
                    "SELECT key_id, subject, key FROM personal_keys WHERE organization_id = ?"
                    f" AND subject IN ({', '.join('?' * len(chunk))})",
                    (organization_id, *chunk),
                )
                for key_id, subject, key in rows:
                    found[(organization_id, subject)] = SubjectKey(key_id, organization_id, key)
        return found


def _by_organization(subjects: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for organization_id, subject in subjects:
        found.setdefault(organization_id, []).append(subject)
    return found


async def _stored_keys(
    conn: AsyncConnection, subjects: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], SubjectKey]:
    """The stored key of each (organization id, subject), read in the writing transaction."""
    found: dict[tuple[str, str], SubjectKey] = {}
    for organization_id, names in _by_organization(subjects).items():
        for start in range(0, len(names), STORED_KEYS_PER_QUERY):
            rows = await conn.execute(
                select(personal_keys.c.key_id, personal_keys.c.subject, personal_keys.c.key).where(
                    personal_keys.c.organization_id == organization_id,
                    personal_keys.c.subject.in_(names[start : start + STORED_KEYS_PER_QUERY]),
                )
            )
            for row in rows:
                found[(organization_id, row.subject)] = SubjectKey(row.key_id, organization_id, row.key)
    return found


async def _key_ids_of(conn: AsyncConnection, organization_id: str, pseudonym: str) -> list[str]:
    rows = await conn.execute(
        select(personal_pseudonyms.c.key_id).where(
            personal_pseudonyms.c.organization_id == organization_id,
            personal_pseudonyms.c.pseudonym == pseudonym,
        )
    )
    return [row.key_id for row in rows]
