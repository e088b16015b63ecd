"""Ingest's faster preparation of a payload gives what the slower one gave, on every corpus payload.

Three algorithms were replaced for speed (issue 18) and are checked here against the ones they
replaced, on every JSON payload of the shared corpus (Sentry's samples and grouping inputs, the
event items of the SDK envelopes) plus hostile variants of each:

- decoding an item: `decode_json` (orjson, the standard library where orjson differs) against
  `json.loads`;
- normalizing: `normalize_event(consume=True)` (in place when nothing breaks a limit) against
  the copy first (`consume=False`, what normalize always did);
- scrubbing: the card and IBAN patterns skipped by a string's shape, and the walk's inlined path
  for scalars under normal keys, against the rules applied as before (`_reference_scrub_text`
  below is the previous `_Rules.scrub_text`, `_ReferenceWalk` the previous `_Walk.mapping`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from stackline.domain import scrub
from stackline.domain.envelope import EnvelopeError, decode_json, parse_envelope
from stackline.domain.normalize import MAX_STRING, normalize_event
from stackline.domain.scrub import ScrubConfig, scrub_event
from tests.corpus import CORPUS

RECEIVED = 1_700_000_000.0
CONFIGS = [
    ScrubConfig(),
    ScrubConfig(scrub_ip_addresses=True),
    ScrubConfig(sensitive_fields=("filename", "lineno"), safe_fields=("password",)),
]


def corpus_payloads() -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for path in sorted((CORPUS / "sentry-samples").glob("*.json")):
        found.append((path.name, path.read_bytes()))
    for path in sorted((CORPUS / "grouping" / "inputs").glob("*.json")):
        found.append((f"grouping/{path.name}", path.read_bytes()))
    for path in sorted((CORPUS / "sdk-envelopes").iterdir()):
        try:
            envelope = parse_envelope(path.read_bytes())
        except EnvelopeError:
            continue
        for index, item in enumerate(envelope.items):
            if item.type in ("event", "transaction", "session", "sessions", "client_report"):
                found.append((f"{path.name}#{index}", item.payload))
    return found


PAYLOADS = corpus_payloads()


def hostile(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload with what makes normalize cut, convert or note something, one at a time."""
    deep: Any = "bottom"
    for _ in range(70):
        deep = {"next": deep}
    variants = [
        {**payload, "extra": {**(payload.get("extra") or {}), "long": "x" * (MAX_STRING + 5)}},
        {
            **payload,
            "contexts": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": 1}}}}}}}}}}},
        },
        {**payload, "tags": {"big": 2**70, "card": 4111111111111111}},
        {**payload, "deep": deep},
        {**payload, "_stackline": {"notes": ["forged"]}},
        {**payload, "sentry.interfaces.Message": {"message": "legacy %s", "params": ["x"]}},
        {
            **payload,
            "user": {
                "id": 42,
                "ip_address": "{{auto}}",
                "password": "hunter2",
                "iban": "DE89370400440532013000",
            },
            "request": {
                "env": {"REMOTE_ADDR": "10.1.2.3"},
                "headers": [["Authorization", "Bearer abcdefgh12345"]],
            },
            "breadcrumbs": [
                {"message": f"card 4111 1111 1111 1111 at 2026-12-03T06:46:{index:02}Z"}
                for index in range(120)
            ],
        },
    ]
    return variants


def test_the_corpus_is_there():
    assert len(PAYLOADS) > 30


@pytest.mark.parametrize(("name", "raw"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_decode_json_gives_what_json_loads_gives(name, raw):
    expected = json.loads(raw)
    decoded = decode_json(raw)
    assert decoded == expected
    assert list(decoded) == list(expected)  # the order of keys too


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 123456789012345678901234567890}',
        b'{"a": -9223372036854775809, "b": 18446744073709551615}',
        b'{"a": NaN, "b": Infinity}',
        b'{"a": "\\ud800"}',
        b'\xef\xbb\xbf{"a": 1}',
        '{"a": "ü"}'.encode("utf-16"),
        b'{"a": 1, "b": 2, "a": 3}',
        b'{"a": 1e400}',
        b'{"id": "12345678901234567890", "n": 1234567890123456789}',
    ],
)
def test_decode_json_gives_what_json_loads_gives_where_orjson_differs(raw):
    expected = json.loads(raw)
    decoded = decode_json(raw)
    assert repr(decoded) == repr(expected)  # repr: NaN is not equal to itself
    assert [type(value) for value in decoded.values()] == [type(value) for value in expected.values()]


def events_of(raw: bytes) -> list[dict[str, Any]]:
    payload = json.loads(raw)
    return [payload, *hostile(payload)] if isinstance(payload, dict) else []


@pytest.mark.parametrize(("name", "raw"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_normalizing_in_place_gives_what_normalizing_a_copy_gives(name, raw):
    for payload in events_of(raw):
        for keep_ip in (True, False):
            kwargs = {"received_at": RECEIVED, "client_ip": "10.0.0.1", "keep_ip": keep_ip, "event_id": None}
            expected = normalize_event(copy.deepcopy(payload), **kwargs)
            consumed = normalize_event(copy.deepcopy(payload), consume=True, **kwargs)
            assert consumed.notes == expected.notes
            assert _same(consumed.payload, expected.payload, ignore=("event_id",))


def _same(left: Any, right: Any, ignore: tuple[str, ...] = ()) -> bool:
    """Equal, with the same order of keys everywhere (an id generated anew compared by shape)."""
    if isinstance(left, dict) and isinstance(right, dict):
        if list(left) != list(right):
            return False
        return all(
            (len(str(left[key])) == len(str(right[key]))) if key in ignore else _same(left[key], right[key])
            for key in left
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and (left == right or (left != left and right != right))  # NaN


def _reference_scrub_text(rules: Any, text: str) -> str:
    """`_Rules.scrub_text` as it was before the shape test skipped the card and IBAN patterns."""
    scrubbed = text
    if ("=" in scrubbed or (":" in scrubbed and ('"' in scrubbed or "'" in scrubbed))) and rules._mentions(
        scrubbed
    ):
        scrubbed = scrub._KEY_VALUE.sub(rules._key_value, scrubbed)
    if "://" in scrubbed and "@" in scrubbed:
        scrubbed = scrub._USERINFO.sub(scrub._filter_password, scrubbed)
    if "earer" in scrubbed or "EARER" in scrubbed:
        scrubbed = scrub._BEARER.sub(scrub._filter_token, scrubbed)
    if scrub._TWO_DIGITS.search(scrubbed):
        scrubbed = scrub._CARD.sub(scrub._filter_card, scrubbed)
        scrubbed = scrub._IBAN.sub(scrub._filter_iban, scrubbed)
        if rules.scrub_ips:
            scrubbed = scrub._IPV4.sub(scrub._filter_ipv4, scrubbed)
    if rules.scrub_ips and scrubbed.count(":") >= 2:
        scrubbed = scrub._IPV6.sub(scrub._filter_ipv6, scrubbed)
    return text if scrubbed == text else scrubbed


class _ReferenceWalk(scrub._Walk):
    """The walk as it was: every value of a mapping through `entry`."""

    def mapping(self, mapping: dict[Any, Any], depth: int, forced: frozenset[str] = frozenset()) -> Any:
        if depth > scrub.MAX_DEPTH:
            self.record()
            return scrub.FILTERED
        return {key: self.entry(key, value, depth, forced) for key, value in mapping.items()}


class _ReferenceRules(scrub._Rules):
    def scrub_text(self, text: str) -> str:
        return _reference_scrub_text(self, text)


def reference_scrub(payload: dict[str, Any], config: ScrubConfig) -> scrub.ScrubResult:
    """`scrub_event` with the previous walk and rules."""
    original_walk, original_rules = scrub._Walk, scrub._rules
    scrub._Walk = _ReferenceWalk  # type: ignore[misc]
    scrub._rules = lambda config: _ReferenceRules(config)  # type: ignore[assignment]
    try:
        return scrub.scrub_event(payload, config)
    finally:
        scrub._Walk, scrub._rules = original_walk, original_rules  # type: ignore[misc]


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (str(key), *strings_in(item))]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


@pytest.mark.parametrize(("name", "raw"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_scrubbing_gives_what_the_previous_rules_and_walk_gave(name, raw):
    for payload in events_of(raw):
        normalized = normalize_event(payload, received_at=RECEIVED).payload
        for config in CONFIGS:
            expected = reference_scrub(normalized, config)
            scrubbed = scrub_event(normalized, config)
            assert _same(scrubbed.payload, expected.payload)
            assert scrubbed.scrubbed_paths == expected.scrubbed_paths


@pytest.mark.parametrize("config", CONFIGS)
def test_every_corpus_string_scrubs_as_before(config):
    rules = scrub._Rules(config)
    texts = [text for _, raw in PAYLOADS for payload in events_of(raw) for text in strings_in(payload)]
    texts += [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "card 4111111111111111 ok",
        "DE89 3704 0044 0532 0130 00",
        "iban GB82WEST12345698765432 and DE89370400440532013000",
        "2026-12-03T06:46:39.083517Z",
        "12.1.2.3 and ::1 and fe80::1",
        "AB12 and 1234567890123 and ZZ00",
        "é4111111111111111",
    ]
    assert len(texts) > 1000
    for text in texts:
        assert rules.scrub_text(text) == _reference_scrub_text(rules, text), text


def test_ingest_leaves_no_unscrubbed_value_in_place():
    """The in-place normalization changes the decoded payload; the scrubbed event shares nothing
    with it (what ingest stores is a copy made by the scrub)."""
    sample = json.loads((CORPUS / "sentry-samples" / "pii.json").read_bytes())
    raw = json.dumps({**sample, "extra": {"db_password": "hunter22", "card": "4111111111111111"}}).encode()
    payload = decode_json(raw)
    normalized = normalize_event(payload, received_at=RECEIVED, event_id="ab" * 16, consume=True).payload
    scrubbed = scrub_event(normalized).payload
    before = normalize_event(json.loads(raw), received_at=RECEIVED, event_id="ab" * 16).payload
    assert _same(scrubbed, reference_scrub(before, ScrubConfig()).payload)
    assert "[Filtered]" in json.dumps(scrubbed) and "[Filtered]" not in raw.decode()
    assert not _shares_containers(scrubbed, payload)


def _shares_containers(left: Any, right: Any) -> bool:
    ids: set[int] = set()

    def collect(value: Any, into: set[int]) -> None:
        if isinstance(value, (dict, list)):
            into.add(id(value))
            for item in value.values() if isinstance(value, dict) else value:
                collect(item, into)

    collect(right, ids)
    mine: set[int] = set()
    collect(left, mine)
    return bool(ids & mine)


def test_corpus_path_is_the_shared_one():
    assert Path(CORPUS).name == "corpus"
