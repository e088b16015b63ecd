"""Sealing personal data with a subject key, pseudonyms, and opening it again (or `[erased]`)."""

from __future__ import annotations

import orjson

from stackline.domain.error_event import error_event_received
from stackline.domain.events import TransactionReceived
from stackline.domain.personal import (
    ERASED,
    Subject,
    SubjectKey,
    UserErased,
    key_ids_in,
    new_key,
    open_payload,
    pseudonym_of,
    pseudonymous_search,
    pseudonymous_user,
    revealed,
    seal_error_event,
    seal_log,
    seal_payload,
    seal_transaction,
    sealed_parts,
    subject_of_feedback,
    subject_of_log,
    subject_of_payload,
)
from stackline.domain.search import TagValue, parse_query

SECRET = b"s" * 32
PAYLOAD = {
    "event_id": "a" * 32,
    "message": "checkout failed",
    "user": {
        "id": "42",
        "email": "ana@example.org",
        "ip_address": "203.0.113.9",
        "name": "Ana",
        "data": {"x": 1},
    },
    "request": {
        "url": "https://shop.example/cart",
        "env": {"REMOTE_ADDR": "203.0.113.9", "SERVER_NAME": "shop"},
        "headers": {"X-Forwarded-For": "203.0.113.9", "Accept": "text/html"},
    },
    "extra": {"customer": "mail to ana@example.org", "count": 3},
}


def key(key_id: str = "k" * 32, org: str = "org-1") -> SubjectKey:
    return SubjectKey(key_id, org, new_key())


def pseudonym(identifier: str) -> str:
    return pseudonym_of(SECRET, identifier)


def test_a_sealed_value_opens_with_its_key_only() -> None:
    mine, other = key(), key("o" * 32)
    sealed = mine.seal({"email": "ana@example.org"})
    assert "ana@example.org" not in sealed
    assert mine.open(sealed) == {"email": "ana@example.org"}
    assert other.open(sealed) == ERASED  # another key id
    assert SubjectKey(mine.key_id, "org-2", mine.key).open(sealed) == ERASED  # bound to its organization
    assert SubjectKey(mine.key_id, "org-1", new_key()).open(sealed) == ERASED  # a new key of the same id
    assert mine.seal("x") != mine.seal("x")  # a fresh nonce each time


def test_the_subject_is_whom_sentry_counts_and_every_identifier_is_an_alias() -> None:
    subject = subject_of_payload(PAYLOAD)
    assert subject == Subject("id:42", ("id:42", "email:ana@example.org", "ip_address:203.0.113.9"))
    assert subject_of_payload({"request": {"env": {"REMOTE_ADDR": "1.2.3.4"}}}) == Subject(
        "ip_address:1.2.3.4", ("ip_address:1.2.3.4",)
    )
    assert subject_of_payload({"message": "x"}) is None
    assert subject_of_feedback("Ana", "ana@example.org") == Subject(
        "email:ana@example.org", ("email:ana@example.org",)
    )
    assert subject_of_feedback("Ana", None) == Subject("name:Ana", ("name:Ana",))


def test_sealing_a_payload_leaves_no_personal_value_in_clear_and_opening_restores_it() -> None:
    subject_key = key()
    sealed = seal_payload(PAYLOAD, subject_key, ("ana@example.org", "203.0.113.9", "42"))
    text = orjson.dumps(sealed).decode()
    for clear in ("ana@example.org", "203.0.113.9", '"Ana"'):
        assert clear not in text
    assert sealed["request"]["headers"]["Accept"] == "text/html"
    assert sealed["request"]["env"]["SERVER_NAME"] == "shop"
    assert sealed["extra"]["count"] == 3
    assert sealed_parts(sealed["extra"]["customer"]) is not None  # a string holding the e-mail
    assert key_ids_in(sealed) == {subject_key.key_id}
    assert open_payload(sealed, {subject_key.key_id: subject_key}) == PAYLOAD
    erased = open_payload(sealed, {})
    assert erased["user"] == {field: ERASED for field in PAYLOAD["user"]}
    assert erased["request"]["env"] == {"REMOTE_ADDR": ERASED, "SERVER_NAME": "shop"}
    assert erased["extra"] == {"customer": ERASED, "count": 3}
    assert PAYLOAD["user"]["email"] == "ana@example.org"  # the input is not changed


def test_an_error_events_facts_count_by_pseudonym() -> None:
    event = error_event_received("org-1", 1, "a" * 32, 1_700_000_000.0, PAYLOAD)
    subject = subject_of_payload(PAYLOAD)
    assert subject is not None
    sealed = seal_error_event(event, key(), pseudonym, subject)
    assert sealed.facts.user == "id:~" + pseudonym("id:42")
    tags = dict(sealed.facts.summary.tags)
    assert tags["user.email"] == "~" + pseudonym("email:ana@example.org")
    assert tags["user"] == "id:~" + pseudonym("id:42")
    assert sealed.payload_json is not None and "ana@example.org" not in sealed.payload_json
    assert "ana@example.org" not in orjson.dumps(sealed.to_data()).decode()
    # The same person in another event: the same pseudonyms, so one user.
    again = seal_error_event(event, key("n" * 32), pseudonym, subject)
    assert again.facts.user == sealed.facts.user


def test_a_transaction_is_sealed_and_counts_by_pseudonym() -> None:
    event = TransactionReceived("org-1", 1, "b" * 32, 1_700_000_000.0, {**PAYLOAD, "type": "transaction"})
    subject = subject_of_payload(event.payload)
    assert subject is not None
    sealed = seal_transaction(event, key(), pseudonym, subject)
    assert "ana@example.org" not in orjson.dumps(sealed.to_data()).decode()
    user, tags = pseudonymous_user(sealed.payload)
    assert user == "id:~" + pseudonym("id:42")
    assert tags == {
        "user.id": "~" + pseudonym("id:42"),
        "user.email": "~" + pseudonym("email:ana@example.org"),
    }
    assert pseudonymous_user(PAYLOAD) == (None, {})


def test_a_log_records_user_attributes_and_text_naming_the_user_are_sealed() -> None:
    record = {
        "log_id": "c" * 32,
        "body": "cart of ana@example.org abandoned",
        "attributes": {
            "user.email": {"value": "ana@example.org", "type": "string"},
            "user.name": {"value": "Ana", "type": "string"},
            "sentry.release": {"value": "web@1", "type": "string"},
        },
    }
    subject = subject_of_log(record)
    assert subject == Subject("email:ana@example.org", ("email:ana@example.org",))
    subject_key = key()
    sealed = seal_log(record, subject_key, subject)
    assert (
        "ana@example.org" not in orjson.dumps(sealed).decode()
        and '"Ana"' not in orjson.dumps(sealed).decode()
    )
    assert sealed["attributes"]["sentry.release"] == {"value": "web@1", "type": "string"}
    assert open_payload(sealed, {subject_key.key_id: subject_key}) == record
    assert open_payload(sealed, {})["body"] == ERASED
    assert subject_of_log({"attributes": {"sentry.release": {"value": "web@1"}}}) is None


def test_pseudonymous_values_are_revealed_while_known_and_erased_after() -> None:
    hexed = pseudonym("email:ana@example.org")
    known = {hexed: "email:ana@example.org"}
    assert revealed("~" + hexed, known) == "ana@example.org"
    assert revealed("email:~" + hexed, known) == "email:ana@example.org"
    assert revealed("~" + hexed, {}) == ERASED
    assert revealed("chrome", {}) == "chrome"


def test_search_on_user_tags_hashes_the_value() -> None:
    terms = pseudonymous_search(
        parse_query("user.email:ana@example.org user:id:42 browser:Firefox"), pseudonym
    )
    assert TagValue("user.email", "~" + pseudonym("email:ana@example.org")) in terms
    assert TagValue("user", "id:~" + pseudonym("id:42")) in terms
    assert TagValue("browser", "Firefox") in terms


def test_the_erasure_audit_event_names_no_one_in_clear() -> None:
    event = UserErased("org-1", "email", pseudonym("email:ana@example.org"), 1, "owner@example.org")
    assert "ana@example.org" not in orjson.dumps(event.to_data()).decode()
