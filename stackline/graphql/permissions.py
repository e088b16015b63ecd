"""Who may resolve a field: Strawberry permission classes over the scope checks of `Context`.

A field on an object of an organization (a source with `organization_id`) needs the scope in that
organization; a root field or a mutation (no such source) needs it in at least one organization,
and then filters by `Context.orgs(scope)`. A refusal raises the same `PublicError` the context's
checks raise (`NotAuthenticated`, "this API token lacks the ... scope", ...), so clients see the
same errors whether a check is declared here or called by hand. Never queries anything.
"""

from __future__ import annotations

from typing import Any, ClassVar

from strawberry.permission import BasePermission
from strawberry.types import Info

from stackline.graphql.context import NotAuthenticated, ctx


class HoldsScope(BasePermission):
    """The viewer holds `scope` in the source's organization (or, at the root, in some organization)."""

    scope: ClassVar[str]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        organization_id = getattr(source, "organization_id", None)
        if isinstance(organization_id, str):
            ctx(info).require_scope(organization_id, self.scope)
        else:
            ctx(info).require_viewer(self.scope)
        return True  # a refusal has raised its PublicError


class OrgRead(HoldsScope):
    scope = "org:read"


class OrgWrite(HoldsScope):
    scope = "org:write"


class ProjectRead(HoldsScope):
    scope = "project:read"


class ProjectWrite(HoldsScope):
    scope = "project:write"


class EventRead(HoldsScope):
    scope = "event:read"


class EventWrite(HoldsScope):
    scope = "event:write"


class IsAuthenticated(BasePermission):
    """Any valid API token, whatever its scopes."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if ctx(info).viewer is None:
            raise NotAuthenticated()
        return True
