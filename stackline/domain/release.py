"""Releases made through the release API (`sentry-cli releases new/finalize/deploys`), and the
artifact bundles (source maps and minified sources) uploaded for them.

A release belongs to an organization and names the projects it ships (stream
`release-{organization_id}-{version}`); it is the same release an event's `release` names: the
read model gives each of its projects a `releases` row, so "resolve in next release" counts it.
An organization's artifact bundles live in one stream (`artifacts-{organization_id}`), whose
`ArtifactStore` keeps the bytes stored against the organization's quota: one stream, one
expected version, so two concurrent uploads cannot both slip under it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stackline.domain.events import DomainEvent, register
from stackline.domain.organization import InvalidCommand

MAX_VERSION_LENGTH = 250


def release_stream(organization_id: str, version: str) -> str:
    return f"release-{organization_id}-{version}"


def artifacts_stream(organization_id: str) -> str:
    return f"artifacts-{organization_id}"


def check_version(version: object) -> str:
    """A release version as Sentry accepts it: non-empty, no surrounding blanks, no slash or
    newline, not '.' or '..' or 'latest', at most 250 characters."""
    if not isinstance(version, str) or not version or version != version.strip():
        raise InvalidCommand("a release version is a non-empty string without surrounding whitespace")
    if len(version) > MAX_VERSION_LENGTH:
        raise InvalidCommand(f"a release version has at most {MAX_VERSION_LENGTH} characters")
    if version in (".", "..", "latest") or any(c in version for c in "/\\\n\r\t\0"):
        raise InvalidCommand(f"invalid release version {version!r}")
    return version


def normalize_debug_id(value: object) -> str | None:
    """A debug id as its canonical lowercase UUID (an appendix after it, as in `…-0`, dropped)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().replace("-", "")[:32]
    if len(text) != 32 or any(c not in "0123456789abcdef" for c in text):
        return None
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@register
@dataclass(frozen=True, slots=True)
class ReleaseCreated(DomainEvent):
    organization_id: str
    version: str
    project_ids: tuple[int, ...]
    url: str | None
    date_started: str | None
    date_released: str | None
    created_at: float


@register
@dataclass(frozen=True, slots=True)
class ReleaseUpdated(DomainEvent):
    """Projects added, a URL set, or the release finalized (`date_released` set)."""

    organization_id: str
    version: str
    added_project_ids: tuple[int, ...]
    url: str | None
    date_released: str | None


@register
@dataclass(frozen=True, slots=True)
class DeployCreated(DomainEvent):
    organization_id: str
    version: str
    deploy_id: str
    environment: str
    name: str | None
    url: str | None
    date_started: str | None
    date_finished: str
    project_ids: tuple[int, ...]


@dataclass
class Release:
    organization_id: str
    version: str
    exists: bool = False
    project_ids: tuple[int, ...] = ()
    url: str | None = None
    date_released: str | None = None
    deploys: int = 0
    stream_version: int = -1

    @classmethod
    def from_events(
        cls, organization_id: str, version: str, events: Iterable[DomainEvent], stream_version: int
    ) -> Release:
        release = cls(organization_id, version, stream_version=stream_version)
        for event in events:
            release.apply(event)
        return release

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, ReleaseCreated):
            self.exists, self.project_ids = True, event.project_ids
            self.url, self.date_released = event.url, event.date_released
        elif isinstance(event, ReleaseUpdated):
            self.project_ids = self.project_ids + event.added_project_ids
            self.url = event.url if event.url is not None else self.url
            self.date_released = event.date_released or self.date_released
        elif isinstance(event, DeployCreated):
            self.deploys += 1

    def create(
        self,
        project_ids: Sequence[int],
        url: str | None,
        date_started: str | None,
        date_released: str | None,
        now: float,
    ) -> list[DomainEvent]:
        """Create the release; creating one that exists adds the new projects (as Sentry does)."""
        if not project_ids:
            raise InvalidCommand("a release needs at least one project")
        if not self.exists:
            ids = tuple(dict.fromkeys(project_ids))
            return [
                ReleaseCreated(self.organization_id, self.version, ids, url, date_started, date_released, now)
            ]
        return self.update(project_ids, None, None)

    def update(
        self, project_ids: Sequence[int], url: str | None, date_released: str | None
    ) -> list[DomainEvent]:
        if not self.exists:
            raise LookupError(self.version)
        added = tuple(p for p in dict.fromkeys(project_ids) if p not in self.project_ids)
        changed_url = url if url is not None and url != self.url else None
        released = date_released if date_released and date_released != self.date_released else None
        if not (added or changed_url or released):
            return []
        return [ReleaseUpdated(self.organization_id, self.version, added, changed_url, released)]

    def deploy(
        self,
        deploy_id: str,
        environment: str,
        name: str | None,
        url: str | None,
        date_started: str | None,
        date_finished: str,
        project_ids: Sequence[int],
    ) -> list[DomainEvent]:
        if not self.exists:
            raise LookupError(self.version)
        if not environment or len(environment) > 64:
            raise InvalidCommand("a deploy needs an environment of at most 64 characters")
        unknown = [p for p in project_ids if p not in self.project_ids]
        if unknown:
            raise InvalidCommand("a deploy's projects must be projects of its release")
        ids = tuple(project_ids) or self.project_ids
        return [
            DeployCreated(
                self.organization_id,
                self.version,
                deploy_id,
                environment,
                name,
                url,
                date_started,
                date_finished,
                ids,
            )
        ]


@register
@dataclass(frozen=True, slots=True)
class ArtifactBundleStored(DomainEvent):
    """An uploaded artifact bundle's files, each stored in the blob store under its SHA-256
    before this event was appended. `files` holds one mapping per file: `url` (`~/path`),
    `type` (`minified_source`, `source_map`, `source`), `debug_id`, `sourcemap` (the name the
    minified file points to), `sha256` and `size`."""

    organization_id: str
    bundle_id: str  # the SHA-1 of the uploaded bundle, as sentry-cli names it
    project_ids: tuple[int, ...]
    release: str | None
    dist: str | None
    size: int  # bytes stored for its files
    files: tuple[dict[str, Any], ...]
    stored_at: float


class QuotaExceeded(InvalidCommand):
    """Storing the bundle would take the organization past its artifact quota."""


@dataclass
class ArtifactStore:
    """An organization's artifact bundles: which are stored and how many bytes they take."""

    organization_id: str
    bundles: set[str] = field(default_factory=set)
    stored_bytes: int = 0
    stream_version: int = -1

    @classmethod
    def from_events(
        cls, organization_id: str, events: Iterable[DomainEvent], stream_version: int
    ) -> ArtifactStore:
        store = cls(organization_id, stream_version=stream_version)
        for event in events:
            if isinstance(event, ArtifactBundleStored):
                store.bundles.add(event.bundle_id)
                store.stored_bytes += event.size
        return store

    def store_bundle(
        self,
        bundle_id: str,
        project_ids: Sequence[int],
        release: str | None,
        dist: str | None,
        files: Sequence[dict[str, Any]],
        quota_bytes: int,
        now: float,
    ) -> list[DomainEvent]:
        """Store a bundle; one already stored is not stored (nor counted) twice."""
        if bundle_id in self.bundles:
            return []
        size = sum(int(f["size"]) for f in files)
        if self.stored_bytes + size > quota_bytes:
            raise QuotaExceeded(
                f"this bundle ({size} bytes) would take the organization's artifacts past its quota "
                f"of {quota_bytes} bytes ({self.stored_bytes} stored)"
            )
        return [
            ArtifactBundleStored(
                self.organization_id, bundle_id, tuple(project_ids), release, dist, size, tuple(files), now
            )
        ]
