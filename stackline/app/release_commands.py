"""Release and artifact commands: load the release (or the organization's artifact store), let
it decide, append with the expected version. They never write read models."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from stackline.app.stream_commands import append_decided, load_aggregate, retrying
from stackline.domain.release import ArtifactStore, Release, artifacts_stream, release_stream
from stackline.eventstore import EventStore


class ReleaseCommands:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def _release(self, org_id: str, version: str) -> Release:
        return await load_aggregate(
            self.store,
            release_stream(org_id, version),
            lambda events, v: Release.from_events(org_id, version, events, v),
        )

    async def create_release(
        self,
        org_id: str,
        version: str,
        project_ids: Sequence[int],
        url: str | None,
        date_started: str | None,
        date_released: str | None,
        actor: str | None,
    ) -> int | None:
        async def attempt() -> int | None:
            release = await self._release(org_id, version)
            events = release.create(project_ids, url, date_started, date_released, time.time())
            return await append_decided(
                self.store, release_stream(org_id, version), release.stream_version, events, actor
            )

        return await retrying(attempt)

    async def update_release(
        self,
        org_id: str,
        version: str,
        project_ids: Sequence[int],
        url: str | None,
        date_released: str | None,
        actor: str | None,
    ) -> int | None:
        """Raises LookupError for a release that does not exist."""

        async def attempt() -> int | None:
            release = await self._release(org_id, version)
            events = release.update(project_ids, url, date_released)
            return await append_decided(
                self.store, release_stream(org_id, version), release.stream_version, events, actor
            )

        return await retrying(attempt)

    async def create_deploy(
        self,
        org_id: str,
        version: str,
        deploy_id: str,
        environment: str,
        name: str | None,
        url: str | None,
        date_started: str | None,
        date_finished: str,
        project_ids: Sequence[int],
        actor: str | None,
    ) -> int | None:
        async def attempt() -> int | None:
            release = await self._release(org_id, version)
            events = release.deploy(
                deploy_id, environment, name, url, date_started, date_finished, project_ids
            )
            return await append_decided(
                self.store, release_stream(org_id, version), release.stream_version, events, actor
            )

        return await retrying(attempt)

    async def _artifacts(self, org_id: str) -> ArtifactStore:
        return await load_aggregate(
            self.store,
            artifacts_stream(org_id),
            lambda events, v: ArtifactStore.from_events(org_id, events, v),
        )

    async def bundle_stored(self, org_id: str, bundle_id: str) -> bool:
        return bundle_id in (await self._artifacts(org_id)).bundles

    async def check_quota(
        self, org_id: str, bundle_id: str, files: Sequence[dict[str, Any]], quota_bytes: int
    ) -> None:
        """Raise QuotaExceeded if storing these files now would pass the quota."""
        (await self._artifacts(org_id)).store_bundle(bundle_id, [], None, None, files, quota_bytes, 0.0)

    async def store_bundle(
        self,
        org_id: str,
        bundle_id: str,
        project_ids: Sequence[int],
        release: str | None,
        dist: str | None,
        files: Sequence[dict[str, Any]],
        quota_bytes: int,
        actor: str | None,
    ) -> int | None:
        """Append the bundle (its files' blobs are already written); raises QuotaExceeded."""

        async def attempt() -> int | None:
            artifacts = await self._artifacts(org_id)
            events = artifacts.store_bundle(
                bundle_id, project_ids, release, dist, files, quota_bytes, time.time()
            )
            return await append_decided(
                self.store, artifacts_stream(org_id), artifacts.stream_version, events, actor
            )

        return await retrying(attempt)
