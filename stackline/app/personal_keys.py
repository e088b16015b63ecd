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
Only a subject seen for the first time costs a write. Never logs a personal value.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
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
from stackline.readmodels.upsert import insert_absent

CACHE_SECONDS = 300.0
CACHE_LIMIT = 100_000
SCHEMA = "stackline_keys"  # PostgreSQL

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
        return f"sqlite+aiosqlite:///{data_dir / 'keys.sqlite3'}"
    return database_url


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


class PersonalKeys:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # One writer at a time in this process: concurrent requests each opening a write
        # transaction overflowed the pool (a new aiosqlite thread and connection apiece) and
        # queued on SQLite's lock; in turn, each commits at once (docs/benchmarks.md, ingest).
        self._writing = asyncio.Lock()
        self._secrets: dict[str, bytes] = {}
        self._keys: dict[tuple[str, str], tuple[float, SubjectKey]] = {}  # (org, subject) ->
        self._recorded: dict[tuple[str, str, str], float] = {}  # (org, pseudonym, key id) ->
        self._pseudonyms: dict[tuple[str, str], str] = {}  # (org, identifier) -> pseudonym

    @classmethod
    async def open(cls, database_url: str, data_dir: Path) -> PersonalKeys:
        url = keys_url(database_url, data_dir)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _secure_delete)
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

    async def close(self) -> None:
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
        self, organization_id: str, events: Sequence[tuple[uuid.UUID, DomainEvent]]
    ) -> list[tuple[uuid.UUID, DomainEvent]]:
        """The events of one ingest request as the log keeps them: personal values sealed under
        their subject's key, what projectors count by pseudonymous."""
        sealed: list[tuple[uuid.UUID, DomainEvent]] = []
        for event_id, domain_event in events:
            if isinstance(domain_event, ErrorEventReceived) and may_be_personal(domain_event):
                domain_event = await self._seal_error(organization_id, domain_event)
            elif isinstance(domain_event, LogsReceived):
                domain_event = await self._seal_logs(organization_id, domain_event)
            elif isinstance(domain_event, TransactionReceived):
                domain_event = await self._seal_transaction(organization_id, domain_event)
            elif isinstance(domain_event, FeedbackReceived) and (domain_event.name or domain_event.email):
                domain_event = await self._seal_feedback(organization_id, domain_event)
            sealed.append((event_id, domain_event))
        return sealed

    async def _seal_error(self, organization_id: str, domain_event: ErrorEventReceived) -> ErrorEventReceived:
        secret = await self.secret(organization_id)
        payload = domain_event.payload
        subject = subject_of_payload(payload)
        if subject is None:
            return domain_event
        key = await self.subject_key(organization_id, subject)
        return seal_error_event(
            domain_event,
            key,
            lambda identifier: self._pseudonym_cached(organization_id, secret, identifier),
            subject,
        )

    async def _seal_transaction(
        self, organization_id: str, domain_event: TransactionReceived
    ) -> TransactionReceived:
        subject = subject_of_payload(domain_event.payload)
        if subject is None:
            return domain_event
        secret = await self.secret(organization_id)
        key = await self.subject_key(organization_id, subject)
        return seal_transaction(
            domain_event,
            key,
            lambda identifier: self._pseudonym_cached(organization_id, secret, identifier),
            subject,
        )

    async def _seal_logs(self, organization_id: str, domain_event: LogsReceived) -> LogsReceived:
        records = []
        for record in domain_event.logs:
            subject = subject_of_log(record)
            if subject is not None:
                record = seal_log(record, await self.subject_key(organization_id, subject), subject)
            records.append(record)
        return dataclasses.replace(domain_event, logs=records)

    async def _seal_feedback(self, organization_id: str, domain_event: FeedbackReceived) -> FeedbackReceived:
        subject = subject_of_feedback(domain_event.name, domain_event.email)
        assert subject is not None
        key = await self.subject_key(organization_id, subject)
        return dataclasses.replace(
            domain_event,
            name=key.seal(domain_event.name) if domain_event.name else None,
            email=key.seal(domain_event.email) if domain_event.email else None,
        )

    async def subject_key(self, organization_id: str, subject: Subject) -> SubjectKey:
        """The subject's key (made the first time), with every identifier of `subject`
        recorded as one of its pseudonyms."""
        secret = await self.secret(organization_id)
        now = time.monotonic()
        primary = self._pseudonym_cached(organization_id, secret, subject.primary)
        cached = self._keys.get((organization_id, primary))
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            key = cached[1]
        else:
            key = await self._load_or_make(organization_id, primary)
            self._remember(self._keys, (organization_id, primary), (now, key))
        missing = []
        for identifier in subject.identifiers:
            pseudonym = self._pseudonym_cached(organization_id, secret, identifier)
            seen = self._recorded.get((organization_id, pseudonym, key.key_id))
            if seen is None or now - seen >= CACHE_SECONDS:
                missing.append((pseudonym, identifier))
        if missing:
            async with self._writing, self.engine.begin() as conn:
                await insert_absent(
                    conn,
                    personal_pseudonyms,
                    [
                        {
                            "organization_id": organization_id,
                            "pseudonym": pseudonym,
                            "key_id": key.key_id,
                            "identifier": key.seal(identifier),
                        }
                        for pseudonym, identifier in missing
                    ],
                    returning=(personal_pseudonyms.c.pseudonym,),
                )
            for pseudonym, _ in missing:
                self._remember(self._recorded, (organization_id, pseudonym, key.key_id), now)
        return key

    async def _load_or_make(self, organization_id: str, subject: str) -> SubjectKey:
        async with self._writing, self.engine.begin() as conn:
            await insert_absent(
                conn,
                personal_keys,
                [
                    {
                        "key_id": uuid.uuid4().hex,
                        "organization_id": organization_id,
                        "subject": subject,
                        "key": new_key(),
                    }
                ],
                returning=(personal_keys.c.key_id,),
            )
            row = (
                await conn.execute(
                    select(personal_keys.c.key_id, personal_keys.c.key).where(
                        personal_keys.c.organization_id == organization_id,
                        personal_keys.c.subject == subject,
                    )
                )
            ).one()
        return SubjectKey(row.key_id, organization_id, row.key)

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


async def _key_ids_of(conn: AsyncConnection, organization_id: str, pseudonym: str) -> list[str]:
    rows = await conn.execute(
        select(personal_pseudonyms.c.key_id).where(
            personal_pseudonyms.c.organization_id == organization_id,
            personal_pseudonyms.c.pseudonym == pseudonym,
        )
    )
    return [row.key_id for row in rows]
