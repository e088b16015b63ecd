"""The User aggregate: a person, known by email, and their personal API tokens.

A user's stream (`user-{email}`) holds who they are and the tokens they own; what they may do
in an organization is not here but in that organization's memberships (see organization.py), so
a personal token's power follows the user's current role there. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from stackline.domain.events import ApiTokenRevoked, DomainEvent, PersonalTokenIssued, UserRegistered
from stackline.domain.organization import EMAIL, InvalidCommand, check_expiry, check_scopes


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise InvalidCommand(f"{email!r} is not an email address")
    return email


def stream_name(email: str) -> str:
    return f"user-{email}"


@dataclass(slots=True)
class User:
    id: str | None = None
    email: str | None = None
    name: str | None = None
    tokens: dict[str, bool] = field(default_factory=dict)  # token id -> revoked

    @classmethod
    def from_events(cls, events: Iterable[DomainEvent]) -> User:
        user = cls()
        for event in events:
            user.apply(event)
        return user

    @property
    def exists(self) -> bool:
        return self.id is not None

    def apply(self, event: DomainEvent) -> None:
        match event:
            case UserRegistered(user_id=user_id, email=email, name=name):
                self.id, self.email, self.name = user_id, email, name
            case PersonalTokenIssued(token_id=token_id):
                self.tokens[token_id] = False
            case ApiTokenRevoked(token_id=token_id):
                self.tokens[token_id] = True

    def register(self, user_id: str, email: str, name: str = "") -> list[DomainEvent]:
        email = normalize_email(email)
        if self.exists:
            return []
        return [UserRegistered(user_id, email, name or email.split("@")[0])]

    def issue_token(
        self,
        token_id: str,
        token_hash: str,
        label: str,
        scopes: Iterable[str],
        expires_at: float | None,
        now: float,
    ) -> list[DomainEvent]:
        if self.id is None or self.email is None:
            raise InvalidCommand("user does not exist")
        scopes = check_scopes(scopes)
        check_expiry(expires_at, now)
        return [PersonalTokenIssued(self.id, self.email, token_id, token_hash, label, scopes, expires_at)]

    def revoke_token(self, token_id: str) -> list[DomainEvent]:
        if token_id not in self.tokens:
            raise InvalidCommand("token not found")
        if self.tokens[token_id]:
            return []
        return [ApiTokenRevoked(token_id, email=self.email)]
