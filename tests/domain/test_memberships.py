"""The Organization aggregate's membership rules and the User aggregate's tokens, on plain events."""

from __future__ import annotations

import pytest

from stackline.domain.events import MemberAdded, MemberRemoved, MemberRoleChanged, OrganizationCreated
from stackline.domain.organization import ROLE_SCOPES, InvalidCommand, Organization
from stackline.domain.user import User


def org(*members: tuple[str, str]) -> Organization:
    return Organization.from_events(
        [
            OrganizationCreated("o1", "acme", "Acme"),
            *(MemberAdded("o1", email, role) for email, role in members),
        ]
    )


def test_creating_with_an_owner_makes_them_owner() -> None:
    events = Organization().create("o1", "acme", "Acme", owner="olivia@acme.test")
    assert events[1] == MemberAdded("o1", "olivia@acme.test", "owner")


def test_the_last_owner_can_be_neither_demoted_nor_removed() -> None:
    acme = org(("olivia@x.io", "owner"), ("mel@x.io", "admin"))
    with pytest.raises(InvalidCommand, match="last owner cannot be demoted"):
        acme.change_member_role("olivia@x.io", "admin", as_owner=True)
    with pytest.raises(InvalidCommand, match="last owner cannot be removed"):
        acme.remove_member("olivia@x.io", as_owner=True)
    acme.apply(MemberRoleChanged("o1", "mel@x.io", "owner"))
    assert acme.remove_member("olivia@x.io", as_owner=True) == [MemberRemoved("o1", "olivia@x.io")]


def test_only_owners_make_demote_or_remove_owners() -> None:
    acme = org(("olivia@x.io", "owner"), ("mel@x.io", "member"))
    for attempt in (
        lambda: acme.change_member_role("mel@x.io", "owner", as_owner=False),
        lambda: acme.add_member("new@x.io", "owner", as_owner=False),
        lambda: acme.remove_member("olivia@x.io", as_owner=False),
    ):
        with pytest.raises(InvalidCommand, match="only an owner"):
            attempt()
    assert acme.change_member_role("mel@x.io", "admin", as_owner=False) == [
        MemberRoleChanged("o1", "mel@x.io", "admin")
    ]


def test_role_scopes_grow_from_member_to_owner() -> None:
    assert ROLE_SCOPES["member"] == {"org:read", "project:read", "event:read", "event:write"}
    assert ROLE_SCOPES["admin"] - ROLE_SCOPES["member"] == {"project:write", "org:write"}
    assert ROLE_SCOPES["owner"] == {
        "org:read",
        "org:write",
        "project:read",
        "project:write",
        "event:read",
        "event:write",
    }


def test_tokens_expire_in_the_future_and_revoke_once() -> None:
    user = User()
    for event in user.register("u1", "Mel@X.io"):
        user.apply(event)
    assert user.email == "mel@x.io"
    with pytest.raises(InvalidCommand, match="future"):
        user.issue_token("t1", "h", "label", ["org:read"], expires_at=10.0, now=20.0)
    with pytest.raises(InvalidCommand, match="unknown scopes"):
        user.issue_token("t1", "h", "label", ["org:admin"], expires_at=None, now=20.0)
    for event in user.issue_token("t1", "h", "label", ["org:read"], expires_at=30.0, now=20.0):
        user.apply(event)
    [revoked] = user.revoke_token("t1")
    user.apply(revoked)
    assert user.revoke_token("t1") == []
    with pytest.raises(InvalidCommand, match="token not found"):
        user.revoke_token("t2")
