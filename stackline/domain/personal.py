"""Personal data, sealed at ingest so that one person's data can be erased from an immutable log.

Crypto-shredding: what names a person in an event (the `user` object's every field, the
request's `REMOTE_ADDR` and forwarding headers, a feedback's name and e-mail) is encrypted with
AES-GCM (`cryptography`) under a key of that person's own, the *subject key*, before the event is
appended. The keys live outside the log (`stackline/app/personal_keys.py`); erasing a person
deletes their key, and every sealed value of theirs reads `[erased]` from then on, in the log,
in every replay, everywhere.

What the projectors count by (the event's `user_key` and its `user`, `user.id`, `user.email`,
`user.username` tags) cannot be encrypted with a random nonce, or no two events of a person
would count as one user. Those become *pseudonyms*: an HMAC-SHA256 under a secret of the
organization, `email:~3f2a…` for `email:x@y` (and `~3f2a…` for the tag `user.email`). The key
store keeps, per pseudonym, the clear identifier sealed under the subject key, so a reader can
show it (`reveal`) until the person is erased, and search can hash what it is asked for.

The subject of an event is the person its `user_key` names (id, else e-mail, else username,
else IP address, as Sentry counts users); every identifier the event carries (the others, and
the request's address) is recorded as an alias of that subject, so erasing by any of them finds
it.

Pure: no I/O (nonces come from the OS's random source through `cryptography`'s callers). Never
hand-written crypto: AES-GCM and HMAC from `cryptography` and the standard library.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stackline.domain.error_event import ErrorEventFacts, ErrorEventReceived, user_key
from stackline.domain.events import DomainEvent, TransactionReceived, register
from stackline.domain.search import TagValue

ERASED = "[erased]"
SEALED = "~sealed:1:"  # then `{key id}:{base64url(nonce + ciphertext)}`
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12
# The identifiers a person is erased by, as `user_key` writes them (`email:x@y`).
IDENTIFIER_FIELDS = ("id", "email", "username", "ip_address")
# The tags `summarize` derives from the user: the value of `user` is a whole identifier, the
# others the value of one field.
USER_TAGS = {"user.id": "id", "user.email": "email", "user.username": "username"}
# Request headers that carry the client's address.
ADDRESS_HEADERS = frozenset(
    {"x-forwarded-for", "x-real-ip", "forwarded", "true-client-ip", "cf-connecting-ip"}
)
PSEUDONYM = re.compile(r"~([0-9a-f]{32})$")
_PSEUDONYM_HEX = 32


@dataclass(frozen=True, slots=True)
class SubjectKey:
    """One person's key in one organization. `key_id` is random and never reused, so a sealed
    value names the key it needs, and a key created after an erasure opens nothing before it."""

    key_id: str
    organization_id: str
    key: bytes = dataclasses.field(repr=False)
    _aead: AESGCM = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_aead", AESGCM(self.key))

    @property
    def aad(self) -> bytes:
        return f"{self.organization_id}:{self.key_id}".encode()

    def seal(self, value: Any) -> str:
        """`value` (any JSON value) as a sealed string."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, orjson.dumps(value), self.aad)
        return f"{SEALED}{self.key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, token: str) -> Any:
        """The value `seal` sealed; ERASED when it is not one of this key's."""
        parts = sealed_parts(token)
        if parts is None or parts[0] != self.key_id:
            return ERASED
        try:
            data = base64.urlsafe_b64decode(parts[1])
            return orjson.loads(self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], self.aad))
        except (InvalidTag, ValueError):
            return ERASED


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def sealed_parts(value: Any) -> tuple[str, str] | None:
    """(key id, data) of a sealed string; None for anything else."""
    if not isinstance(value, str) or not value.startswith(SEALED):
        return None
    key_id, _, data = value[len(SEALED) :].partition(":")
    return (key_id, data) if key_id and data else None


def pseudonym_of(secret: bytes, identifier: str) -> str:
    """The hex HMAC-SHA256 (under the organization's secret) of an identifier (`email:x@y`)."""
    return hmac.new(secret, identifier.encode(), hashlib.sha256).hexdigest()[:_PSEUDONYM_HEX]


def identifier(field: str, value: Any) -> str:
    """An identifier as `user_key` writes it: `email:x@y`, `ip_address:1.2.3.4`, cut at 254."""
    return f"{field}:{value}"[:254]


@register
@dataclass(frozen=True, slots=True)
class UserErased(DomainEvent):
    """An owner erased a person: the keys of the subjects seen under one identifier were deleted.
    The audit record of it, in the stream `erasure-{organization_id}`; it names the person only
    by the pseudonym (`kind` says which field: email, id, username, ip_address)."""

    organization_id: str
    kind: str
    pseudonym: str
    subjects: int
    actor: str


def erasure_stream(organization_id: str) -> str:
    return f"erasure-{organization_id}"


# --- who an event is about ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """The person an event is about (`primary`, an identifier) and every identifier it names
    them by (the primary among them)."""

    primary: str
    identifiers: tuple[str, ...]


def subject_of_payload(payload: Mapping[str, Any]) -> Subject | None:
    found: list[str] = []
    user = payload.get("user")
    if isinstance(user, dict):
        for field in IDENTIFIER_FIELDS:
            value = user.get(field)
            if value not in (None, "") and not isinstance(value, (dict, list)):
                found.append(identifier(field, value))
    request = payload.get("request")
    env = request.get("env") if isinstance(request, dict) else None
    address = env.get("REMOTE_ADDR") if isinstance(env, dict) else None
    if isinstance(address, str) and address:
        found.append(identifier("ip_address", address))
    if not found:
        if isinstance(user, dict) and user:
            return Subject("user:anonymous", ("user:anonymous",))  # a name or geo but no identifier
        return None
    return Subject(found[0], tuple(dict.fromkeys(found)))


def subject_of_feedback(name: str | None, email: str | None) -> Subject | None:
    if email:
        return Subject(identifier("email", email), (identifier("email", email),))
    if name:
        return Subject(identifier("name", name), (identifier("name", name),))
    return None


# --- sealing ----------------------------------------------------------------------------------


MIN_NEEDLE = 5  # shorter identifiers (`id:42`) would seal every string holding the digits


def seal_payload(payload: dict[str, Any], key: SubjectKey, needles: tuple[str, ...] = ()) -> dict[str, Any]:
    """A copy of `payload` with its personal values sealed: every field of `user`, the request's
    `REMOTE_ADDR` and its address headers, and anywhere else (a frame's variables, a breadcrumb,
    an exception's message) every string that holds one of `needles` (the person's identifiers,
    in clear), sealed whole."""
    sealed: dict[str, Any] = orjson.loads(sealed_payload_json(payload, key, needles))
    return sealed


def sealed_payload_json(payload: dict[str, Any], key: SubjectKey, needles: tuple[str, ...] = ()) -> str:
    """`seal_payload` as JSON text. The walk for strings holding a needle happens only when the
    text, once the known places are sealed, still holds one (most events: no)."""
    sealed = dict(payload)
    user = payload.get("user")
    if isinstance(user, dict):
        sealed["user"] = {field: _seal(key, value) for field, value in user.items()}
    request = payload.get("request")
    if isinstance(request, dict):
        sealed["request"] = _sealed_request(request, key)
    text = orjson.dumps(sealed)
    searched = [orjson.dumps(needle)[1:-1] for needle in needles if len(needle) >= MIN_NEEDLE]
    if any(needle in text for needle in searched):
        wanted = tuple(needle for needle in needles if len(needle) >= MIN_NEEDLE)
        text = orjson.dumps({name: _seal_holding(value, key, wanted) for name, value in sealed.items()})
    return text.decode()


def _sealed_request(request: dict[str, Any], key: SubjectKey) -> dict[str, Any]:
    request = dict(request)
    env = request.get("env")
    if isinstance(env, dict) and "REMOTE_ADDR" in env:
        request["env"] = {**env, "REMOTE_ADDR": _seal(key, env["REMOTE_ADDR"])}
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: _seal(key, value) if str(name).lower() in ADDRESS_HEADERS else value
            for name, value in headers.items()
        }
    elif isinstance(headers, list):
        request["headers"] = [
            [pair[0], _seal(key, pair[1])]
            if isinstance(pair, list) and len(pair) == 2 and str(pair[0]).lower() in ADDRESS_HEADERS
            else pair
            for pair in headers
        ]
    return request


def _seal_holding(value: Any, key: SubjectKey, needles: tuple[str, ...]) -> Any:
    """`value` with every string that holds a needle sealed (iteratively: any depth)."""
    if isinstance(value, str):
        return key.seal(value) if any(needle in value for needle in needles) else value
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for name, item in pairs:
            if isinstance(item, (dict, list)):
                child: Any = {} if isinstance(item, dict) else []
                stack.append((item, child))
            elif isinstance(item, str) and any(needle in item for needle in needles):
                child = key.seal(item)
            else:
                child = item
            if isinstance(target, dict):
                target[name] = child
            else:
                target.append(child)
    return root


def _seal(key: SubjectKey, value: Any) -> Any:
    if value is None or value == "" or sealed_parts(value) is not None:
        return value
    return key.seal(value)


def pseudonymize_facts(facts: ErrorEventFacts, pseudonym: Callable[[str], str]) -> ErrorEventFacts:
    """The facts with the user and the user tags as pseudonyms (`email:~…`, `~…`)."""
    tags = []
    for name, value in facts.summary.tags:
        if name == "user":
            value = pseudonymous_identifier(value, pseudonym)
        elif name in USER_TAGS:
            value = "~" + pseudonym(identifier(USER_TAGS[name], value))
        tags.append((name, value))
    summary = dataclasses.replace(facts.summary, tags=tuple(tags))
    user = pseudonymous_identifier(facts.user, pseudonym) if facts.user else None
    return dataclasses.replace(facts, summary=summary, user=user)


def pseudonymous_identifier(value: str, pseudonym: Callable[[str], str]) -> str:
    """`email:x@y` as `email:~…`."""
    field, _, _ = value.partition(":")
    return f"{field}:~{pseudonym(value)}"


def seal_error_event(
    event: ErrorEventReceived,
    key: SubjectKey,
    pseudonym: Callable[[str], str],
    subject: Subject,
    payload: dict[str, Any] | None = None,
) -> ErrorEventReceived:
    """The event as the log keeps it: its payload's personal values sealed, its facts'
    pseudonymous. Needs the payload (an event fresh from intake has it; `payload`, when the
    caller has parsed it already)."""
    needles = tuple(identifier.partition(":")[2] for identifier in subject.identifiers)
    return dataclasses.replace(
        event,
        facts=pseudonymize_facts(event.facts, pseudonym),
        payload_json=sealed_payload_json(event.payload if payload is None else payload, key, needles),
    )


def seal_transaction(
    event: TransactionReceived, key: SubjectKey, pseudonym: Callable[[str], str], subject: Subject
) -> TransactionReceived:
    """A transaction as the log keeps it: its payload sealed like an error's, and the user it
    counts as (`_stackline.user`) and the user tags (`_stackline.user_tags`) pseudonymous, for
    the analytics rows (`pseudonymous_user`)."""
    needles = tuple(identifier.partition(":")[2] for identifier in subject.identifiers)
    sealed = seal_payload(event.payload, key, needles)
    marker = sealed.get("_stackline")
    marker = dict(marker) if isinstance(marker, dict) else {}
    counted = user_key(event.payload)  # who the transaction counts as, as before sealing
    if counted:
        marker["user"] = pseudonymous_identifier(counted, pseudonym)
    user = event.payload.get("user")
    if isinstance(user, dict):
        marker["user_tags"] = {
            tag: "~" + pseudonym(identifier(field, user[field]))
            for tag, field in USER_TAGS.items()
            if user.get(field) not in (None, "") and not isinstance(user.get(field), (dict, list))
        }
    sealed["_stackline"] = marker
    return dataclasses.replace(event, payload=sealed)


def pseudonymous_user(payload: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The pseudonymous user key and user tags that `seal_transaction` recorded (None, {} when
    the payload has none)."""
    marker = payload.get("_stackline")
    if not isinstance(marker, dict) or not isinstance(marker.get("user"), str):
        return None, {}
    tags = marker.get("user_tags")
    return marker["user"], dict(tags) if isinstance(tags, dict) else {}


# SDK log attributes that name the user (sentry-python sets them with send_default_pii).
LOG_USER_ATTRIBUTES = {
    "user.id": "id",
    "user.email": "email",
    "user.username": "username",
    "user.name": None,
    "user.ip_address": "ip_address",
    "client.address": "ip_address",
}


def subject_of_log(record: Mapping[str, Any]) -> Subject | None:
    """The person a log record names in its `user.*` attributes (None when it names no one)."""
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        return None
    found = []
    for name, field in LOG_USER_ATTRIBUTES.items():
        attribute = attributes.get(name)
        value = attribute.get("value") if isinstance(attribute, dict) else None
        if field is not None and value not in (None, "") and not isinstance(value, (dict, list)):
            found.append(identifier(field, value))
    if not found:
        return None
    return Subject(found[0], tuple(dict.fromkeys(found)))


def seal_log(record: dict[str, Any], key: SubjectKey, subject: Subject) -> dict[str, Any]:
    """A log record with its `user.*` attributes sealed, and its body and string attributes that
    hold one of the person's identifiers sealed whole."""
    needles = tuple(
        needle for needle in (i.partition(":")[2] for i in subject.identifiers) if len(needle) >= MIN_NEEDLE
    )
    attributes = {}
    for name, attribute in record["attributes"].items():
        value = attribute.get("value")
        if name in LOG_USER_ATTRIBUTES or (isinstance(value, str) and any(n in value for n in needles)):
            attribute = {"value": _seal(key, value), "type": "string"}
        attributes[name] = attribute
    body = record.get("body")
    if isinstance(body, str) and any(needle in body for needle in needles):
        body = key.seal(body)
    return {**record, "attributes": attributes, "body": body}


def may_be_personal(event: ErrorEventReceived) -> bool:
    """A cheap test on the payload's text: an event without a user and without a request
    environment or headers has nothing to seal (most of a load test's events)."""
    text = event.payload_json or ""
    return '"user"' in text or "REMOTE_ADDR" in text or '"headers"' in text


def pseudonymous_search(terms: tuple[Any, ...], pseudonym: Callable[[str], str]) -> tuple[Any, ...]:
    """Search terms on the user tags (`user.email:x@y`, `user:id:42`) as the stored
    pseudonyms, so that an exact value still finds its issues. A wildcard cannot match a hash:
    such a term is left as it is (and matches no pseudonymous value)."""
    found = []
    for term in terms:
        if isinstance(term, TagValue) and "*" not in term.value:
            if term.key == "user" and ":" in term.value:
                term = dataclasses.replace(term, value=pseudonymous_identifier(term.value, pseudonym))
            elif term.key in USER_TAGS:
                term = dataclasses.replace(
                    term, value="~" + pseudonym(identifier(USER_TAGS[term.key], term.value))
                )
        found.append(term)
    return tuple(found)


# --- opening ----------------------------------------------------------------------------------


def open_payload(payload: Any, keys: Mapping[str, SubjectKey]) -> Any:
    """`payload` with every sealed string opened by its key, or ERASED when the key is gone."""
    if isinstance(payload, dict):
        return {name: open_payload(value, keys) for name, value in payload.items()}
    if isinstance(payload, list):
        return [open_payload(value, keys) for value in payload]
    parts = sealed_parts(payload)
    if parts is None:
        return payload
    key = keys.get(parts[0])
    return ERASED if key is None else key.open(payload)


def key_ids_in(payload: Any) -> set[str]:
    """The key ids that `open_payload` needs for `payload`."""
    found: set[str] = set()
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif (parts := sealed_parts(value)) is not None:
            found.add(parts[0])
    return found


def pseudonym_in(value: Any) -> str | None:
    """The pseudonym (hex) of a pseudonymous value (`email:~…` or `~…`); None for a clear one."""
    if not isinstance(value, str):
        return None
    match = PSEUDONYM.search(value)
    return match.group(1) if match else None


def revealed(value: str, identifiers: Mapping[str, str]) -> str:
    """A pseudonymous value shown as it was sent (`email:x@y` for `email:~…`, `x@y` for `~…`),
    given the identifiers of the pseudonyms still known; ERASED for one no longer known. Any
    other value is returned as it is."""
    hexed = pseudonym_in(value)
    if hexed is None:
        return value
    clear = identifiers.get(hexed)
    if clear is None:
        return ERASED
    if value.startswith("~"):
        return clear.partition(":")[2]
    return clear
