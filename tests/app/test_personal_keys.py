"""The key store as two processes on one data directory (or one PostgreSQL database) see it:
whoever stores a person's key first wins, and the other's batch takes that key, aliases and all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from stackline.app.personal_keys import PersonalKeys
from stackline.domain.personal import Subject
from tests import postgres


@pytest.fixture(params=["sqlite", "postgres"])
async def two_processes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[PersonalKeys]]:
    database = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'readmodels.sqlite3'}"
    else:
        database = await postgres.create_database()
        url = postgres.url_for(database)
    stores = [await PersonalKeys.open(url, tmp_path), await PersonalKeys.open(url, tmp_path)]
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()
        if database is not None:
            await postgres.drop_database(database)


async def test_a_person_new_to_both_processes_keeps_the_key_stored_first(
    two_processes: list[PersonalKeys],
) -> None:
    first, second = two_processes
    seen_first = Subject("email:ana@shop.example", ("email:ana@shop.example", "ip_address:203.0.113.5"))
    seen_second = Subject("email:ana@shop.example", ("email:ana@shop.example", "username:ana_s"))
    mine = (await first.subject_keys("org-1", [seen_first]))["email:ana@shop.example"]
    # The second process has never seen her: its batch makes a key of its own, finds hers stored.
    theirs = (await second.subject_keys("org-1", [seen_second]))["email:ana@shop.example"]
    assert (theirs.key_id, theirs.key) == (mine.key_id, mine.key)

    # Its alias went in under the key that was kept, so it opens (`reveal`) and erasing by it
    # finds the one subject.
    pseudonym = await second.pseudonym("org-1", "username:ana_s")
    assert await first.identifiers("org-1", [pseudonym]) == {pseudonym: "username:ana_s"}
    assert await first.erase("org-1", "username:ana_s") == (pseudonym, [mine.key_id])
    assert await second.keys("org-1", [mine.key_id]) == {}
