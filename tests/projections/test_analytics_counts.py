"""The analytics projection counts each error's tags exactly once, on each engine, even when a
crash left a batch counted in one month's partition of a counts table and not in another's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from stackline.analytics.port import AnalyticsExecutor
from stackline.analytics.schema import TAG_COUNTS
from stackline.domain.error_event import error_event_received
from stackline.eventstore import RecordedEvent
from stackline.projections.analytics import AnalyticsProjection
from stackline.projections.runner import Effects

OCTOBER = datetime(2026, 10, 31, 23, 0, tzinfo=UTC).timestamp()
NOVEMBER = datetime(2026, 11, 1, 1, 0, tzinfo=UTC).timestamp()


def recorded(position: int, at: float, browser: str) -> RecordedEvent:
    """An error as the log holds it: received at `at`, tagged with a browser."""
    received = error_event_received(
        "org-a",
        1,
        f"{position:032x}",
        at,
        {"message": f"boom {position}", "timestamp": at, "platform": "python", "tags": {"browser": browser}},
    )
    return RecordedEvent(
        id=uuid.uuid4(),
        stream=f"project-1-errors-{position}",
        version=0,
        position=position,
        type="ErrorEventReceived",
        schema_version=received.schema_version,
        data=received.to_data(),
        metadata={},
        recorded_at=datetime.now(UTC),
    )


async def counts(executor: AnalyticsExecutor) -> dict[str, list[tuple]]:
    """Each counts table's errors per browser and month, as stored."""
    return {
        table: [
            tuple(row)
            for row in await executor.query(
                f"SELECT value, toYYYYMM(day) AS month, sum(times) FROM {table} WHERE key = 'browser'"
                " GROUP BY value, month ORDER BY value, month"
            )
        ]
        for table in TAG_COUNTS
    }


async def apply_in_a_new_process(executor: AnalyticsExecutor, batch: list[RecordedEvent]) -> None:
    """A projection that knows nothing yet of what the engine holds, as after a restart."""
    await AnalyticsProjection(executor).apply_batch(None, batch, Effects())  # type: ignore[arg-type]


async def test_a_batch_reapplied_after_a_crash_between_two_months_counts_each_error_once(
    executor: AnalyticsExecutor,
) -> None:
    batch = [
        recorded(1, OCTOBER, "Firefox"),
        recorded(2, NOVEMBER, "Chrome"),
        recorded(3, OCTOBER, "Chrome"),
        recorded(4, NOVEMBER, "Firefox"),
    ]
    await apply_in_a_new_process(executor, batch)
    counted = await counts(executor)
    assert counted["issue_tag_counts"] == [
        ("Chrome", 202610, 1),
        ("Chrome", 202611, 1),
        ("Firefox", 202610, 1),
        ("Firefox", 202611, 1),
    ]
    assert counted["error_tag_counts"] == counted["issue_tag_counts"]

    # The crash: the batch's insert reached November's partition of one counts table and not
    # October's. The checkpoint was not saved, so the batch is applied again.
    await executor.execute("ALTER TABLE issue_tag_counts DROP PARTITION 202610")
    await apply_in_a_new_process(executor, batch)
    assert await counts(executor) == counted

    # Applied once more, in a batch that goes further, and followed by the next batch: only the
    # errors not counted yet are.
    projection = AnalyticsProjection(executor)
    await projection.apply_batch(None, batch + [recorded(5, NOVEMBER, "Safari")], Effects())  # type: ignore[arg-type]
    await projection.apply_batch(None, [recorded(6, OCTOBER, "Safari")], Effects())  # type: ignore[arg-type]
    later = await counts(executor)
    for table in TAG_COUNTS:
        assert later[table] == sorted(counted[table] + [("Safari", 202610, 1), ("Safari", 202611, 1)])
    [[stored]] = await executor.query("SELECT count() FROM events FINAL")
    assert stored == 6
