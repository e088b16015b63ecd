"""Use case: erase one person's data in an organization (`UserErased`).

Authorization: owners only (org:write and ownership); another organization answers like a missing
one. The keys of the subjects seen under the identifier are deleted from the key store
(`stackline/app/personal_keys.py`), after which their sealed data reads `[erased]` everywhere; the
event recorded names the person by pseudonym only. Never writes read models.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stackline.domain.events import event_type
from stackline.domain.personal import UserErased, erasure_stream, identifier
from stackline.eventstore import NewEvent, StreamState
from stackline.readmodels import queries
from stackline.readmodels.reads import read
from stackline.usecases.refusals import Refusal

if TYPE_CHECKING:
    from stackline.app.lookups import Viewer
    from stackline.app.personal_keys import PersonalKeys
    from stackline.app.wiring import Services


@dataclass(frozen=True)
class ErasureAnswer:
    subjects_erased: int = 0  # how many subjects (people as events named them) lost their key
    refusal: Refusal | None = None


def _personal(services: Services) -> PersonalKeys:
    assert services.personal is not None, "open_services opens the key store"
    return services.personal


async def erase_user(
    services: Services, viewer: Viewer, org_slug: str, identifiers: dict[str, str | None]
) -> ErasureAnswer:
    """`identifiers`: email, id, username and ip_address, exactly one of them given (not None or "")."""
    org = await read(services.engine, queries.organization_by_slug, viewer.orgs("org:write"), org_slug)
    if org is None or not viewer.owns(org.id):
        # Another organization's owner learns nothing of this one.
        return ErasureAnswer(refusal=Refusal("organization not found", ["organizationSlug"]))
    given = [(field, value) for field, value in identifiers.items() if value not in (None, "")]
    if len(given) != 1:
        return ErasureAnswer(refusal=Refusal("give exactly one of email, id, username, ipAddress"))
    field, value = given[0]
    assert value is not None
    pseudonym, key_ids = await _personal(services).erase(org.id, identifier(field, value))
    erased = UserErased(org.id, field, pseudonym, len(key_ids), viewer.actor)
    await services.store.append(
        erasure_stream(org.id),
        [
            NewEvent(
                event_type(erased),
                erased.to_data(),
                metadata={"organization_id": org.id},
                id=uuid.uuid4(),
                schema_version=erased.schema_version,
            )
        ],
        StreamState.ANY,
    )
    return ErasureAnswer(subjects_erased=len(key_ids))
