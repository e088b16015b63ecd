"""Projection of releases, deploys and artifact bundles, and the symbolication of JavaScript events.

Releases made through the release API get their `org_releases` row and, for each of their
projects, the `releases` row the issue lifecycle reads (unless an event named the release
first: then that event's position stays its first). It runs before the issues projection in
the same batch, so a release created ahead of its first event is the one that event sees.

An error event of a JavaScript platform is read with its payload and its frames are mapped
through the organization's source maps (`symbolicate.py`); the result is a row of
`symbolicated_events`, and the stored event keeps its minified frames. A frame whose map is not
uploaded yet leaves a `sourcemap_wanted` row; a later `ArtifactBundleStored` that brings it
maps those events then, in log order, so a replay reaches the same rows. Never appends.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from symbolic.sourcemap import SourceMapView, SourceView

from stackline.app.blobs import BlobStore
from stackline.domain.error_event import ErrorEventReceived
from stackline.domain.grouping import GroupingResult, group_event
from stackline.domain.registry import decode
from stackline.domain.release import ArtifactBundleStored, DeployCreated, ReleaseCreated, ReleaseUpdated
from stackline.eventstore import EventStore, RecordedEvent
from stackline.projections.runner import Effects
from stackline.projections.symbolicate import (
    FoundMap,
    release_key,
    resolve_sourcemap_url,
    symbolicate,
    wants_symbolication,
    with_mapped_frames,
)
from stackline.readmodels.schema import (
    artifact_bundles,
    artifact_files,
    deploys,
    org_releases,
    releases,
    sourcemap_wanted,
    symbolicated_events,
)
from stackline.readmodels.upsert import upsert

TYPES = frozenset(
    {
        ReleaseCreated.__name__,
        ReleaseUpdated.__name__,
        DeployCreated.__name__,
        ArtifactBundleStored.__name__,
        ErrorEventReceived.__name__,
    }
)
PARSED_MAPS = 64  # parsed maps kept between batches, by blob


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class SourceMapsProjection:
    def __init__(self, store: EventStore | None, blobs: BlobStore | None) -> None:
        self.store = store  # error payloads are the events' bodies
        self.blobs = blobs  # the maps' bytes; None: events are not symbolicated
        # (project, event id) -> the grouping of its mapped frames, for the issues projection
        # that follows in the same batch (the same dict, refilled each batch).
        self.groupings: dict[tuple[int, str], GroupingResult] = {}
        self._maps: OrderedDict[str, SourceMapView] = OrderedDict()
        self._sources: OrderedDict[str, SourceView] = OrderedDict()

    async def apply_batch(
        self, conn: AsyncConnection, batch: Sequence[RecordedEvent], effects: Effects
    ) -> None:
        self.groupings.clear()
        released: set[tuple[int, str]] = set()  # (project, release) an earlier event of the batch named
        to_map: list[tuple[RecordedEvent, ErrorEventReceived]] = []
        for recorded in batch:
            if recorded.type not in TYPES:
                continue
            if recorded.type == ErrorEventReceived.__name__:
                data = recorded.data
                facts = data.get("facts") or {}
                if facts.get("release"):
                    released.add((data["project_id"], facts["release"]))
                if self.blobs is not None and wants_symbolication(
                    (facts.get("summary") or {}).get("platform")
                ):
                    event = decode(recorded.type, data)
                    if isinstance(event, ErrorEventReceived):
                        to_map.append((recorded, event))
                continue
            # Pending symbolications go first: the bundle must find the events before it.
            await self._symbolicate(conn, to_map)
            to_map = []
            event = decode(recorded.type, recorded.data)
            if isinstance(event, ReleaseCreated):
                await self._release_created(conn, recorded, event, released)
            elif isinstance(event, ReleaseUpdated):
                await self._release_updated(conn, recorded, event, released)
            elif isinstance(event, DeployCreated):
                await conn.execute(
                    deploys.insert(),
                    {
                        "organization_id": event.organization_id,
                        "version": event.version,
                        "deploy_id": event.deploy_id,
                        "environment": event.environment,
                        "name": event.name,
                        "url": event.url,
                        "date_started": event.date_started,
                        "date_finished": event.date_finished,
                        "position": recorded.position,
                    },
                )
            elif isinstance(event, ArtifactBundleStored):
                await self._bundle_stored(conn, recorded, event)
        await self._symbolicate(conn, to_map)

    # -- releases ------------------------------------------------------------------------

    async def _release_created(
        self, conn: AsyncConnection, recorded: RecordedEvent, event: ReleaseCreated, released: set
    ) -> None:
        await upsert(
            conn,
            org_releases,
            {
                "organization_id": event.organization_id,
                "version": event.version,
                "project_ids": list(event.project_ids),
                "url": event.url,
                "date_started": event.date_started,
                "date_released": event.date_released,
                "created_at": at(event.created_at),
            },
            keys=("organization_id", "version"),
            update={"project_ids": list(event.project_ids)},
        )
        await self._project_releases(
            conn, recorded, event.version, event.project_ids, event.created_at, released
        )

    async def _release_updated(
        self, conn: AsyncConnection, recorded: RecordedEvent, event: ReleaseUpdated, released: set
    ) -> None:
        row = (
            await conn.execute(
                select(org_releases).where(
                    org_releases.c.organization_id == event.organization_id,
                    org_releases.c.version == event.version,
                )
            )
        ).first()
        if row is None:
            return
        values: dict[str, Any] = {"project_ids": list(row.project_ids) + list(event.added_project_ids)}
        if event.url is not None:
            values["url"] = event.url
        if event.date_released:
            values["date_released"] = event.date_released
        await conn.execute(
            org_releases.update()
            .where(
                org_releases.c.organization_id == event.organization_id,
                org_releases.c.version == event.version,
            )
            .values(**values)
        )
        seen = recorded.recorded_at.timestamp()
        await self._project_releases(conn, recorded, event.version, event.added_project_ids, seen, released)

    async def _project_releases(
        self,
        conn: AsyncConnection,
        recorded: RecordedEvent,
        version: str,
        project_ids: Sequence[int],
        seen: float,
        released: set,
    ) -> None:
        """Each project's `releases` row, first seen here unless an event saw it first."""
        if not project_ids:
            return
        stored = {
            pid
            for (pid,) in await conn.execute(
                select(releases.c.project_id).where(
                    releases.c.version == version, releases.c.project_id.in_(list(project_ids))
                )
            )
        }
        rows = [
            {
                "project_id": pid,
                "version": version,
                "first_position": recorded.position,
                "first_seen": at(seen),
            }
            for pid in dict.fromkeys(project_ids)
            if pid not in stored and (pid, version) not in released
        ]
        if rows:
            await conn.execute(releases.insert(), rows)

    # -- artifacts -----------------------------------------------------------------------

    async def _bundle_stored(
        self, conn: AsyncConnection, recorded: RecordedEvent, event: ArtifactBundleStored
    ) -> None:
        exists = (
            await conn.execute(
                select(artifact_bundles.c.bundle_id).where(
                    artifact_bundles.c.organization_id == event.organization_id,
                    artifact_bundles.c.bundle_id == event.bundle_id,
                )
            )
        ).first()
        if exists is not None:
            return
        await conn.execute(
            artifact_bundles.insert(),
            {
                "organization_id": event.organization_id,
                "bundle_id": event.bundle_id,
                "release": event.release,
                "dist": event.dist,
                "size": event.size,
                "file_count": len(event.files),
                "position": recorded.position,
                "stored_at": at(event.stored_at),
            },
        )
        files = {f["url"]: f for f in event.files}  # a URL once per bundle
        if files:
            await conn.execute(
                artifact_files.insert(),
                [
                    {
                        "organization_id": event.organization_id,
                        "bundle_id": event.bundle_id,
                        "url": f["url"],
                        "file_type": f["type"],
                        "debug_id": f.get("debug_id"),
                        "sourcemap": f.get("sourcemap"),
                        "release": event.release,
                        "dist": event.dist,
                        "sha256": f["sha256"],
                        "size": f["size"],
                        "position": recorded.position,
                    }
                    for f in files.values()
                ],
            )
        if self.blobs is None:
            return
        keys = {f"debug:{f['debug_id']}" for f in event.files if f.get("debug_id")}
        if event.release:
            keys.add(release_key(event.release, event.dist))
        waiting = list(
            await conn.execute(
                select(sourcemap_wanted.c.position)
                .where(
                    sourcemap_wanted.c.organization_id == event.organization_id,
                    sourcemap_wanted.c.key.in_(sorted(keys)),
                )
                .distinct()
            )
        )
        if not waiting or self.store is None:
            return
        positions = sorted(row.position for row in waiting)
        again = []
        for stored in await self.store.read_positions(positions):
            decoded = decode(stored.type, stored.data)
            if isinstance(decoded, ErrorEventReceived):
                again.append((stored, decoded))
        await self._symbolicate(conn, again, regroup=False)

    # -- symbolication -------------------------------------------------------------------

    async def _symbolicate(
        self,
        conn: AsyncConnection,
        events: list[tuple[RecordedEvent, ErrorEventReceived]],
        regroup: bool = True,
    ) -> None:
        """Map the events' frames and store them; with `regroup`, events projected for the first
        time are grouped by their mapped frames (an event mapped late keeps its issue)."""
        if not events or self.store is None:
            return
        bodies = {
            r.position: r.body for r in await self.store.read_positions([r.position for r, _ in events])
        }
        found: dict[tuple, FoundMap | None] = {}
        for recorded, event in events:
            body = bodies.get(recorded.position)
            if body is None:
                continue
            payload = event.with_payload(body).payload
            org = event.organization_id

            async def find(
                debug_id: str | None, release: str | None, dist: str | None, urls: list[str], org: str = org
            ) -> FoundMap | None:
                # Frames of one file share their map: looked up once per call.
                key = (org, debug_id, release, dist, tuple(urls))
                if key not in found:
                    found[key] = await self._find_map(conn, org, debug_id, release, dist, urls)
                return found[key]

            result = await symbolicate(payload, find)
            if regroup and result.mapped:
                self.groupings[(event.project_id, event.event_id)] = group_event(
                    with_mapped_frames(payload, result.exceptions)
                )
            key = {"project_id": event.project_id, "event_id": event.event_id}
            await conn.execute(
                delete(sourcemap_wanted).where(
                    sourcemap_wanted.c.organization_id == org,
                    sourcemap_wanted.c.project_id == event.project_id,
                    sourcemap_wanted.c.event_id == event.event_id,
                )
            )
            if result.missing:
                await conn.execute(
                    sourcemap_wanted.insert(),
                    [
                        {"organization_id": org, "key": k[:800], **key, "position": recorded.position}
                        for k in sorted(result.missing)
                    ],
                )
            await upsert(
                conn,
                symbolicated_events,
                {
                    **key,
                    "organization_id": org,
                    "position": recorded.position,
                    "exceptions": result.exceptions,
                    "mapped_frames": result.mapped,
                },
                keys=("project_id", "event_id"),
                update={"exceptions": result.exceptions, "mapped_frames": result.mapped},
            )

    async def _find_map(
        self,
        conn: AsyncConnection,
        org: str,
        debug_id: str | None,
        release: str | None,
        dist: str | None,
        urls: list[str],
    ) -> FoundMap | None:
        """The newest uploaded map for a frame: by debug id, else by release, dist and URL."""
        if debug_id is not None:
            rows = list(
                await conn.execute(
                    select(artifact_files.c.file_type, artifact_files.c.sha256, artifact_files.c.url)
                    .where(artifact_files.c.organization_id == org, artifact_files.c.debug_id == debug_id)
                    .order_by(artifact_files.c.position.desc())
                )
            )
            maps = [r for r in rows if r.file_type == "source_map"]
            if maps:
                minified = next((r for r in rows if r.file_type == "minified_source"), None)
                return await self._load(
                    maps[0].sha256, f"debug_id:{debug_id}", minified.sha256 if minified else None
                )
        if release is None:
            return None
        in_release = and_(
            artifact_files.c.organization_id == org,
            artifact_files.c.release == release,
            artifact_files.c.dist.is_(None) if dist is None else artifact_files.c.dist == dist,
        )
        rows = list(
            await conn.execute(
                select(
                    artifact_files.c.url,
                    artifact_files.c.file_type,
                    artifact_files.c.sha256,
                    artifact_files.c.sourcemap,
                )
                .where(in_release, artifact_files.c.url.in_(urls))
                .order_by(artifact_files.c.position.desc())
            )
        )
        minified = next((r for r in rows if r.file_type == "minified_source"), None)
        map_urls = [f"{u}.map" for u in urls]
        if minified is not None and minified.sourcemap:
            map_urls.insert(0, resolve_sourcemap_url(minified.url, minified.sourcemap))
        found = list(
            await conn.execute(
                select(artifact_files.c.url, artifact_files.c.sha256)
                .where(
                    in_release,
                    artifact_files.c.file_type == "source_map",
                    or_(artifact_files.c.url.in_(map_urls)),
                )
                .order_by(artifact_files.c.position.desc())
            )
        )
        if not found:
            return None
        best = min(found, key=lambda r: map_urls.index(r.url))
        return await self._load(best.sha256, best.url, minified.sha256 if minified else None)

    async def _load(self, sha256: str, url: str, minified_sha256: str | None) -> FoundMap | None:
        view = await self._parsed(sha256)
        if view is None:
            return None
        minified = await self._source(minified_sha256) if minified_sha256 else None
        return FoundMap(view, url, minified)

    async def _parsed(self, sha256: str) -> SourceMapView | None:
        view = self._maps.get(sha256)
        if view is not None:
            self._maps.move_to_end(sha256)
            return view
        assert self.blobs is not None
        data = await self.blobs.get(sha256)
        if data is None:
            return None
        try:
            view = await asyncio.to_thread(SourceMapView.from_json_bytes, data)
        except Exception:  # checked at upload; a blob changed on disk is not worth a crash
            return None
        self._maps[sha256] = view
        if len(self._maps) > PARSED_MAPS:
            self._maps.popitem(last=False)
        return view

    async def _source(self, sha256: str) -> SourceView | None:
        source = self._sources.get(sha256)
        if source is not None:
            return source
        assert self.blobs is not None
        data = await self.blobs.get(sha256)
        if data is None:
            return None
        try:
            source = SourceView.from_bytes(data)
        except Exception:  # noqa: BLE001 - function names then come from the map alone
            return None
        self._sources[sha256] = source
        if len(self._sources) > PARSED_MAPS:
            self._sources.popitem(last=False)
        return source
