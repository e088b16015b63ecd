"""Every resolver of an organization's object declares who may call it (a permission class of
`stackline/graphql/permissions.py`), instead of checking scopes by hand in its body."""

from __future__ import annotations

import pytest
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryObjectDefinition

from stackline.graphql.schema import schema

pytestmark = pytest.mark.unit  # builds the schema, runs nothing

# Resolved without a scope of their own: through a loader that filters by project:read (the
# webhook's project), or checked inside the resolver because the check depends on the input.
UNDECLARED = {
    ("Webhook", "project"),
    ("Query", "node"),  # an id that is not ours answers null before any check
    ("Viewer", "organizations"),
    ("Viewer", "personalTokens"),
    ("Mutation", "mergeIssues"),  # "name at least two issues" is answered before the scope check
    ("Mutation", "createOrganization"),
    ("Mutation", "createApiToken"),
    ("Subscription", "issueChanges"),
}


def resolver_fields() -> list[tuple[str, str, object]]:
    found = []
    for graphql_type in schema._schema.type_map.values():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            if field.base_resolver is not None:
                found.append((definition.name, schema.config.name_converter.get_graphql_name(field), field))
    return found


def test_every_resolver_declares_its_permission() -> None:
    undeclared = {
        (type_name, field_name)
        for type_name, field_name, field in resolver_fields()
        if not any(isinstance(extension, PermissionExtension) for extension in field.extensions)  # type: ignore[attr-defined]
    }
    assert undeclared == UNDECLARED
