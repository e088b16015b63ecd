from __future__ import annotations

import pytest

from stackline.domain.envelope import (
    EnvelopeError,
    dsn_public_key,
    parse_envelope,
    parse_sentry_auth,
)
from tests.corpus import CORPUS

ENVELOPES = CORPUS / "sdk-envelopes"

# Item types of every corpus envelope, in order. A new corpus file fails until it is listed here.
EXPECTED_ITEM_TYPES = {
    "sentry-cli__envelope.dat": ["event", "transaction", "session", "attachment"],
    "sentry-desktop-crash-reporter__binary_attachment.envelope": ["attachment"],
    "sentry-desktop-crash-reporter__breakpad.envelope": ["event", "session", "attachment", "attachment"],
    "sentry-desktop-crash-reporter__empty_headers_eof.envelope": ["session"],
    "sentry-desktop-crash-reporter__implicit_length.envelope": ["attachment"],
    "sentry-desktop-crash-reporter__inproc.envelope": ["event", "session"],
    "sentry-desktop-crash-reporter__native.envelope": ["event"],
    "sentry-desktop-crash-reporter__sigsegv.envelope": ["event"],
    "sentry-desktop-crash-reporter__stacktrace.envelope": ["event"],
    "sentry-desktop-crash-reporter__two_empty_attachments.envelope": ["attachment", "attachment"],
    "sentry-desktop-crash-reporter__two_items.envelope": ["attachment", "event"],
    "sentry-java__envelope-transaction-with-sample-rate.txt": ["transaction"],
    "sentry-java__envelope-transaction.txt": ["transaction"],
    "sentry-java__envelope_session_sdkversion.txt": ["session"],
}
JSON_ITEM_TYPES = {"event", "transaction", "session"}


def read(name: str) -> bytes:
    return (ENVELOPES / name).read_bytes()


def test_the_corpus_is_the_one_these_tests_know():
    assert sorted(path.name for path in ENVELOPES.iterdir()) == sorted(EXPECTED_ITEM_TYPES)


@pytest.mark.parametrize("name", sorted(EXPECTED_ITEM_TYPES))
def test_every_corpus_envelope_parses_into_its_items(name):
    envelope = parse_envelope(read(name))

    assert [item.type for item in envelope.items] == EXPECTED_ITEM_TYPES[name]
    for item in envelope.items:
        if "length" in item.headers:
            assert len(item.payload) == item.headers["length"]
        if item.type in JSON_ITEM_TYPES:
            assert isinstance(item.json(), dict)


def test_explicit_lengths_keep_payloads_apart():
    envelope = parse_envelope(read("sentry-cli__envelope.dat"))

    assert envelope.headers == {"event_id": "22d00b3f-d1b1-4b5d-8d20-49d138cd8a9c"}
    event, transaction, session, attachment = envelope.items
    assert event.json() == {"event_id": "22d00b3fd1b14b5d8d2049d138cd8a9c", "timestamp": 1595256674.296}
    assert transaction.json()["spans"][0]["span_id"] == "d42cee9fc3e74f5c"
    assert session.json()["attrs"] == {"release": "foo-bar@1.2.3", "environment": "production"}
    assert attachment.payload == b"some content"
    assert attachment.headers["filename"] == "file.txt"


def test_binary_attachment_keeps_its_exact_bytes():
    (attachment,) = parse_envelope(read("sentry-desktop-crash-reporter__binary_attachment.envelope")).items

    assert attachment.payload == b"\xff\xfe\xfd"


def test_binary_attachments_may_contain_newlines():
    envelope = parse_envelope(read("sentry-desktop-crash-reporter__breakpad.envelope"))

    event, session, minidump, screenshot = envelope.items
    assert event.json()["level"] == "fatal"
    assert session.json()["status"] == "crashed"
    assert minidump.headers["attachment_type"] == "event.minidump"
    assert len(minidump.payload) == 42412
    assert minidump.payload.startswith(b"MDMP")
    assert b"\n" in minidump.payload
    assert len(screenshot.payload) == 35546
    assert screenshot.payload.startswith(b"\x89PNG\r\n\x1a\n")
    assert screenshot.payload.endswith(b"IEND\xaeB`\x82")
    assert dsn_public_key(envelope.headers["dsn"]) == "b24ad083e8381f56eba37ed0ca79e4f0"


def test_an_item_without_length_runs_to_the_end_of_its_line():
    (attachment,) = parse_envelope(read("sentry-desktop-crash-reporter__implicit_length.envelope")).items

    assert attachment.headers == {"type": "attachment"}
    assert attachment.payload == b"helloworld"


def test_empty_envelope_headers_and_a_last_line_without_newline():
    envelope = parse_envelope(read("sentry-desktop-crash-reporter__empty_headers_eof.envelope"))

    assert envelope.headers == {}
    assert envelope.items[0].json() == {
        "started": "2020-02-07T14:16:00Z",
        "attrs": {"release": "sentry-test@1.0.0"},
    }


def test_zero_length_items():
    envelope = parse_envelope(read("sentry-desktop-crash-reporter__two_empty_attachments.envelope"))

    assert [item.payload for item in envelope.items] == [b"", b""]


def test_a_payload_may_end_without_its_newline():
    # The attachment's 10 bytes are a BOM, `Hello` and two newlines; the next item header follows
    # at once. Relay would reject this (it wants a newline after every payload); we accept it.
    envelope = parse_envelope(read("sentry-desktop-crash-reporter__two_items.envelope"))

    attachment, event = envelope.items
    assert attachment.payload == "\ufeffHello\n\n".encode()
    assert event.headers["filename"] == "application.log"
    assert event.json() == {"message": "hello world", "level": "error"}
    assert dsn_public_key(envelope.headers["dsn"]) == "e12d836b15bb49d7bbf99e64295d995b"


def test_envelope_header_carries_trace_and_sdk():
    sampled = parse_envelope(read("sentry-java__envelope-transaction-with-sample-rate.txt"))
    session = parse_envelope(read("sentry-java__envelope_session_sdkversion.txt"))

    assert sampled.headers["trace"]["sample_rate"] == "0.00000021"
    assert sampled.items[0].json()["transaction"] == "a-transaction"
    assert session.headers["sdk"]["packages"][0]["name"] == "io.sentry:maven:sentry-android-core"
    assert session.items[0].headers["content_type"] == "application/json"


def test_implicit_length_event_item():
    (event,) = parse_envelope(read("sentry-desktop-crash-reporter__sigsegv.envelope")).items

    assert event.json()["exception"]["values"][0]["type"] == "SIGSEGV"


@pytest.mark.parametrize(
    ("body", "payloads"),
    [
        (b"{}", []),
        (b"{}\n", []),
        (b'{"event_id":"abc"}\n\n\n', []),
        (b'{}\n{"type":"event"}', [b""]),
        (b'{}\n{"type":"event"}\n{"a":1}', [b'{"a":1}']),
        (b'{}\n{"type":"event"}\n{"a":1}\n\n\n', [b'{"a":1}']),
        (b'{}\n{"type":"attachment","length":5}\na\nb\nc\n', [b"a\nb\nc"]),
        (b'{}\n{"type":"attachment","length":0}', [b""]),
        (b'{}\n{"type":"a","length":1}\nx\n\n{"type":"b"}\ny\n', [b"x", b"y"]),
        (b'{}\n{"type":"a","length":null}\nxyz\n', [b"xyz"]),
        (b'{}\r\n{"type":"event"}\r\n{"a":1}\r\n', [b'{"a":1}\r']),
    ],
)
def test_edge_cases_that_are_valid(body, payloads):
    assert [item.payload for item in parse_envelope(body).items] == payloads


def test_unknown_item_types_parse_like_any_other():
    (item,) = parse_envelope(b'{}\n{"type":"something_new","length":2}\nhi\n').items

    assert item.type == "something_new"
    assert item.payload == b"hi"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "empty envelope"),
        (b"not json\n", "envelope header is not a JSON object"),
        (b"\n{}\n", "envelope header is not a JSON object"),
        (b"[1, 2]\n", "envelope header is not a JSON object"),
        (b'{}\n["event"]\n{}\n', "item 1 header is not a JSON object"),
        (b"{}\nnot json\n", "item 1 header is not a JSON object"),
        (b'{}\n{"type":"event","length":2}\n{}\n{"length":2}\n{}\n', "item 2 header has no type"),
        (b'{}\n{"type":5}\n{}\n', "item 1 header has no type"),
        (b'{}\n{"type":""}\n{}\n', "item 1 header has no type"),
        (b'{}\n{"type":"event","length":-1}\n{}\n', "item 1 length is not a non-negative integer"),
        (b'{}\n{"type":"event","length":1.5}\n{}\n', "item 1 length is not a non-negative integer"),
        (b'{}\n{"type":"event","length":"2"}\n{}\n', "item 1 length is not a non-negative integer"),
        (b'{}\n{"type":"event","length":true}\n{}\n', "item 1 length is not a non-negative integer"),
        (b'{}\n{"type":"event","length":100}\n{}\n', "item 1 length 100 runs past the end of the envelope"),
        (b'{}\n{"type":"event","length":1}', "item 1 length 1 runs past the end of the envelope"),
    ],
)
def test_malformed_envelopes_raise_a_one_line_error(body, detail):
    with pytest.raises(EnvelopeError) as raised:
        parse_envelope(body)

    assert str(raised.value) == detail
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"{not json", "item payload is not valid JSON"),
        (b"", "item payload is not valid JSON"),
        (b"\xff\xfe", "item payload is not valid JSON"),
        (b"[" * 100_000, "item payload is not valid JSON"),
        (b"[1, 2]", "item payload is not a JSON object"),
    ],
)
def test_item_json_rejects_what_is_not_an_object(payload, detail):
    body = b'{}\n{"type":"event","length":%d}\n%s\n' % (len(payload), payload)
    (item,) = parse_envelope(body).items

    with pytest.raises(EnvelopeError, match=f"^{detail}$"):
        item.json()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key=abc, sentry_secret=xyz",
            {
                "sentry_version": "7",
                "sentry_client": "sentry.python/2.75.0",
                "sentry_key": "abc",
                "sentry_secret": "xyz",
            },
        ),
        ("sentry sentry_key=abc,sentry_version=7", {"sentry_key": "abc", "sentry_version": "7"}),
        ("SENTRY   sentry_key=abc", {"sentry_key": "abc"}),
        ("sentry_key=abc, sentry_version=7", {"sentry_key": "abc", "sentry_version": "7"}),
        (
            "Sentry sentry_key=\"abc\", sentry_client='raven-js/3.0'",
            {"sentry_key": "abc", "sentry_client": "raven-js/3.0"},
        ),
        ("Sentry  sentry_key = abc ,  sentry_version=7 ", {"sentry_key": "abc", "sentry_version": "7"}),
        ("Sentry sentry_key=abc, garbage, =nokey", {"sentry_key": "abc"}),
        ("Sentry sentry_client=a=b", {"sentry_client": "a=b"}),
        ("Sentry", {}),
        ("", {}),
    ],
)
def test_parse_sentry_auth(header, expected):
    assert parse_sentry_auth(header) == expected


@pytest.mark.parametrize(
    ("dsn", "key"),
    [
        ("https://abc@host/42", "abc"),
        ("http://b24ad083e8381f56eba37ed0ca79e4f0@127.0.0.1:8000/3", "b24ad083e8381f56eba37ed0ca79e4f0"),
        ("https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42", "e12d836b15bb49d7bbf99e64295d995b"),
        ("https://public:secret@o1.ingest.sentry.io/1", "public"),
        ("https://host/42", None),
        ("https://@host/42", None),
        ("abc@host/42", None),
        ("http://key@[::1/42", None),
        ("", None),
    ],
)
def test_dsn_public_key(dsn, key):
    assert dsn_public_key(dsn) == key
