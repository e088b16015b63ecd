"""The release and artifact-store aggregates: what they decide from their streams."""

from __future__ import annotations

import pytest

from stackline.domain.organization import InvalidCommand
from stackline.domain.release import (
    ArtifactBundleStored,
    ArtifactStore,
    DeployCreated,
    QuotaExceeded,
    Release,
    ReleaseCreated,
    ReleaseUpdated,
    check_version,
    normalize_debug_id,
)


def test_creating_a_release_twice_adds_its_new_projects_only() -> None:
    release = Release("org", "1.0")
    [created] = release.create([1, 1, 2], None, None, None, 10.0)
    assert isinstance(created, ReleaseCreated) and created.project_ids == (1, 2)
    release.apply(created)
    [updated] = release.create([2, 3], None, None, None, 11.0)
    assert isinstance(updated, ReleaseUpdated) and updated.added_project_ids == (3,)
    release.apply(updated)
    assert release.create([1, 3], None, None, None, 12.0) == []


def test_finalizing_is_said_once_and_deploys_need_the_release_and_its_projects() -> None:
    release = Release("org", "1.0")
    with pytest.raises(LookupError):
        release.update([], None, "2026-01-01T00:00:00Z")
    release.apply(release.create([1], None, None, None, 1.0)[0])
    [finalized] = release.update([], None, "2026-01-01T00:00:00Z")
    release.apply(finalized)
    assert release.update([], None, "2026-01-01T00:00:00Z") == []
    [deploy] = release.deploy("d1", "production", None, None, None, "2026-01-01T00:00:00Z", [])
    assert isinstance(deploy, DeployCreated) and deploy.project_ids == (1,)
    with pytest.raises(InvalidCommand):
        release.deploy("d2", "production", None, None, None, "2026-01-01T00:00:00Z", [7])
    with pytest.raises(InvalidCommand):
        release.deploy("d3", "", None, None, None, "2026-01-01T00:00:00Z", [])


@pytest.mark.parametrize("version", ["", " 1.0", "a/b", "latest", "..", "x" * 251, None])
def test_versions_sentry_refuses_are_refused(version: object) -> None:
    with pytest.raises(InvalidCommand):
        check_version(version)


def test_the_artifact_quota_counts_each_bundle_once() -> None:
    files = [{"url": "~/a.js", "size": 600}]
    store = ArtifactStore("org")
    [stored] = store.store_bundle("b1", [1], None, None, files, 1000, 1.0)
    assert isinstance(stored, ArtifactBundleStored) and stored.size == 600
    store = ArtifactStore.from_events("org", [stored], 0)
    assert store.store_bundle("b1", [1], None, None, files, 1000, 2.0) == []  # already stored
    with pytest.raises(QuotaExceeded):
        store.store_bundle("b2", [1], None, None, files, 1000, 2.0)


def test_debug_ids_are_read_in_any_case_and_with_an_appendix() -> None:
    canonical = "d8e949b7-ea72-5ebf-a854-f71af4eadcf4"
    assert normalize_debug_id("D8E949B7EA725EBFA854F71AF4EADCF4") == canonical
    assert normalize_debug_id(canonical + "-0") == canonical
    assert normalize_debug_id("not-a-debug-id") is None
