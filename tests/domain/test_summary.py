from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stackline.domain.envelope import parse_envelope
from stackline.domain.summary import EventSummary, summarize
from tests.corpus import CORPUS, load_json

RECEIVED = 1_700_000_000.0


def sample(name: str) -> dict:
    return load_json(f"sentry-samples/{name}")


def error(*exceptions: dict, **fields) -> dict:
    return {"exception": {"values": list(exceptions)}, **fields}


def frame(module: str, function: str, *, in_app: bool | None = None) -> dict:
    return {"module": module, "function": function, "in_app": in_app}


# --- corpus samples --------------------------------------------------------------------------


def test_python_modern():
    assert summarize(sample("python-modern.json"), RECEIVED) == EventSummary(
        title="Exception: This is an example Python exception",
        culprit="__main__ in main",
        level="error",
        message=None,
        platform="python",
        timestamp=1751006912.86742,
        tags=(
            ("environment", "production"),
            ("handled", "no"),
            ("level", "error"),
            ("mechanism", "excepthook"),
            ("runtime", "CPython 3.13.5"),
            ("runtime.name", "CPython"),
            ("server_name", "web01.example.org"),
        ),
        exception_type="Exception",
        exception_value="This is an example Python exception",
    )


def test_java_legacy_interfaces():
    summary = summarize(sample("java.json"), RECEIVED)

    assert summary.title == "ApiException: Authentication failed, token expired!"
    # No culprit or transaction in the payload: the innermost in-app frame.
    assert summary.culprit == "io.sentry.example.ApiRequest in perform"
    assert summary.message == "Authentication failed, token expired!"
    assert summary.platform == "java"
    assert summary.timestamp == RECEIVED  # the sample has no timestamp
    assert summary.tags[0] == ("server_name", "web1.example.com")
    assert summary.tags[-2:] == (("browser", "Chrome 60.0"), ("release", "3.0.2"))
    assert dict(summary.tags)["environment"] == "production"


def test_javascript_keeps_its_explicit_culprit():
    summary = summarize(sample("javascript.json"), RECEIVED)

    assert summary.title == "TypeError: Object [object Object] has no method 'updateFrom'"
    assert summary.culprit == "views.js in updateMember"
    assert summary.level == "error"


def test_generic_event():
    summary = summarize(sample("generic-event.json"), RECEIVED)

    assert summary.title == "Code has errored"
    assert summary.message == "Code has errored"
    assert summary.culprit == "iOS_Swift.ViewController"  # its transaction
    assert summary.timestamp == 1562681591.0
    # Its own tag, those derived from its contexts, request and fields, then its release.
    assert summary.tags == (
        ("environment", "prod"),
        ("browser", "Python Requests 2.22"),
        ("browser.name", "Python Requests"),
        ("runtime", "CPython 3.7.3"),
        ("runtime.name", "CPython"),
        ("url", "http://127.0.0.1:5000/"),
        ("server_name", "mcbk.local"),
        ("transaction", "iOS_Swift.ViewController"),
        ("release", "3.0.2"),
    )
    assert summary.exception_type is None


def test_security_report_is_titled_by_its_logentry():
    summary = summarize(sample("csp.json"), RECEIVED)

    assert summary.title == "Blocked 'script' from 'example.org'"
    assert summary.culprit == "script-src 'self' 'unsafe-eval' 'unsafe-inline' www.example.com"


def test_chained_exceptions_title_the_last_and_blame_the_last_with_frames():
    summary = summarize(sample("exceptions-and-no-threads.json"), RECEIVED)

    assert summary.title.startswith("ActionView::Template::Error: undefined local variable or method `foo'")
    assert summary.exception_type == "ActionView::Template::Error"
    assert summary.culprit == "app/views/welcome/view_error.html.erb in ?"


def test_events_with_nothing_to_show():
    for name in ("empty-exception.json", "empty-stacktrace.json", "python-rawbody.json"):
        summary = summarize(sample(name), RECEIVED)
        assert (summary.title, summary.culprit, summary.message) == ("<unlabeled event>", None, None)


def test_transaction_is_titled_by_its_name():
    summary = summarize(sample("transaction.json"), RECEIVED)

    assert summary.title == "/country_by_code/"
    assert summary.culprit == "/country_by_code/"


def test_native_sdk_event_from_an_envelope():
    path = CORPUS / "sdk-envelopes" / "sentry-desktop-crash-reporter__inproc.envelope"
    event = parse_envelope(path.read_bytes()).items[0].json()

    summary = summarize(event, RECEIVED)

    assert summary.title == "SIGSEGV: Segfault"
    assert summary.level == "fatal"
    assert summary.platform == "native"
    assert summary.timestamp == datetime(2025, 10, 9, 8, 5, 4, 920505, UTC).timestamp()
    assert ("environment", "development") in summary.tags


# --- title -----------------------------------------------------------------------------------


def test_title_is_type_alone_without_a_value():
    assert summarize(error({"type": "SIGSEGV"}), RECEIVED).title == "SIGSEGV"


def test_title_without_a_type():
    assert summarize(error({"value": "went wrong"}), RECEIVED).title == "Error: went wrong"


def test_title_uses_the_first_line_and_is_truncated():
    long_value = "x" * 500
    summary = summarize(error({"type": "ValueError", "value": f"\n{long_value}\nsecond line"}), RECEIVED)

    assert len(summary.title) == 200
    assert summary.title == f"ValueError: {'x' * 187}…"
    assert summary.exception_value == f"\n{long_value}\nsecond line"


def test_message_title_is_its_first_line():
    summary = summarize({"message": "  Import failed  \nrow 3: bad"}, RECEIVED)

    assert summary.title == "Import failed"
    assert summary.message == "  Import failed  \nrow 3: bad"


def test_message_title_prefers_the_formatted_text():
    event = {"logentry": {"message": "User %s not found", "formatted": "User bob not found"}}

    assert summarize(event, RECEIVED).title == "User bob not found"


def test_title_and_culprit_are_safe_to_store():
    summary = summarize(error({"type": "Bad\x00Type", "value": "lone \ud800"}, culprit="a\x00b"), RECEIVED)

    assert summary.title == "BadType: lone ?"
    assert summary.culprit == "ab"
    assert summary.exception_type == "BadType"


# --- culprit ---------------------------------------------------------------------------------


def test_culprit_is_the_innermost_in_app_frame():
    frames = [
        frame("app.views", "index", in_app=True),
        frame("app.models", "save", in_app=True),
        frame("django.db", "execute"),
    ]

    assert (
        summarize(error({"type": "E", "stacktrace": {"frames": frames}}), RECEIVED).culprit
        == "app.models in save"
    )


def test_culprit_is_the_innermost_frame_without_in_app_frames():
    frames = [frame("app.views", "index"), {"filename": "lib/db.rb", "function": "query"}]

    assert (
        summarize(error({"type": "E", "stacktrace": {"frames": frames}}), RECEIVED).culprit
        == "lib/db.rb in query"
    )


def test_culprit_from_a_function_alone():
    frames = [{"function": "crash_here", "package": "/usr/bin/app"}]

    assert summarize(error({"type": "E", "stacktrace": {"frames": frames}}), RECEIVED).culprit == "crash_here"


def test_culprit_prefers_explicit_culprit_then_transaction():
    frames = [frame("app.views", "index", in_app=True)]
    event = error({"type": "E", "stacktrace": {"frames": frames}})

    assert summarize(event | {"transaction": "/checkout"}, RECEIVED).culprit == "/checkout"
    assert summarize(event | {"transaction": "/checkout", "culprit": "mine"}, RECEIVED).culprit == "mine"
    assert summarize(event | {"transaction": "", "culprit": ""}, RECEIVED).culprit == "app.views in index"


def test_culprit_from_a_bare_stacktrace():
    assert summarize(sample("python.json"), RECEIVED).culprit == "raven.scripts.runner in main"


def test_no_culprit_for_a_message_without_stack():
    assert summarize({"message": "hello"}, RECEIVED).culprit is None


def test_culprit_is_truncated():
    assert len(summarize({"culprit": "c" * 300}, RECEIVED).culprit) == 200


# --- level, platform, timestamp, tags --------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("fatal", "fatal"),
        ("critical", "fatal"),
        ("ERROR", "error"),
        ("warning", "warning"),
        ("warn", "warning"),
        (" Info ", "info"),
        ("debug", "debug"),
        ("log", "error"),
        ("", "error"),
        (None, "error"),
        (40, "error"),
        (["fatal"], "error"),
    ],
)
def test_level(level, expected):
    assert summarize({"level": level}, RECEIVED).level == expected


def test_level_defaults_to_error_when_absent():
    assert summarize({}, RECEIVED).level == "error"


@pytest.mark.parametrize(
    ("platform", "expected"), [("python", "python"), ("", None), (7, None), ({}, None), ("p" * 65, None)]
)
def test_platform(platform, expected):
    assert summarize({"platform": platform}, RECEIVED).platform == expected


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (1595256674.296, 1595256674.296),
        (1595256674, 1595256674.0),
        ("2025-10-15T12:05:52.469352Z", datetime(2025, 10, 15, 12, 5, 52, 469352, UTC).timestamp()),
        ("2020-10-23T10:24:01.791+02:00", datetime(2020, 10, 23, 8, 24, 1, 791000, UTC).timestamp()),
        ("2020-10-23T10:24:01Z", datetime(2020, 10, 23, 10, 24, 1, tzinfo=UTC).timestamp()),
        ("2020-10-23T10:24:01", datetime(2020, 10, 23, 10, 24, 1, tzinfo=UTC).timestamp()),  # naive: UTC
        ("2020-10-23T10:24:01.123456789Z", datetime(2020, 10, 23, 10, 24, 1, 123456, UTC).timestamp()),
        (None, RECEIVED),
        ("", RECEIVED),
        ("yesterday", RECEIVED),
        ("1595256674", RECEIVED),
        (True, RECEIVED),
        (float("nan"), RECEIVED),
        (float("inf"), RECEIVED),
        (1e20, RECEIVED),
        (10**400, RECEIVED),
        ("9999-12-31T23:59:59-23:59", RECEIVED),
        (-5, RECEIVED),
        ("0001-01-01T00:00:00Z", RECEIVED),
        ({"seconds": 1}, RECEIVED),
    ],
)
def test_timestamp(timestamp, expected):
    summary = summarize({"timestamp": timestamp}, RECEIVED)

    assert summary.timestamp == expected
    datetime.fromtimestamp(summary.timestamp, UTC)  # what the projection does with it


def test_tags_from_a_dict_with_scalar_values():
    event = {
        "tags": {"a": "x", "n": 3, "f": 1.5, "b": True, "none": None, "list": [1], "empty": "", "": "no key"}
    }

    assert summarize(event, RECEIVED).tags == (("a", "x"), ("n", "3"), ("f", "1.5"), ("b", "true"))


def test_tags_from_pairs_skip_malformed_ones_and_keep_the_first_value():
    event = {"tags": [["a", "1"], ["b"], "c", ["d", "2", "3"], [4, "x"], ["a", "again"], ("e", "5")]}

    assert summarize(event, RECEIVED).tags == (("a", "1"), ("e", "5"))


def test_environment_and_release_become_tags_unless_already_tagged():
    event = {"tags": {"environment": "staging"}, "environment": "production", "release": "web@1.2.3"}

    assert summarize(event, RECEIVED).tags == (("environment", "staging"), ("release", "web@1.2.3"))
    assert summarize({"environment": "prod", "release": {"v": 1}}, RECEIVED).tags == (
        ("environment", "prod"),
    )


def test_tags_garbage():
    assert summarize({"tags": "a=b"}, RECEIVED).tags == ()
    assert summarize({"tags": None}, RECEIVED).tags == ()


# --- odd input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        {},
        {"exception": {"values": [None, {"type": None, "value": {"x": 1}}]}},
        {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [None, 3, {}]}}]}},
        {
            "exception": {
                "values": [{"type": "E", "stacktrace": {"frames": [{"module": 5, "function": None}]}}]
            }
        },
        {"sentry.interfaces.Exception": "nope", "stacktrace": {"frames": None}},
        {"message": {"formatted": None}, "logentry": []},
        {"culprit": ["x"], "transaction": 5, "type": "transaction"},
        {"type": "transaction", "transaction": None},
    ],
)
def test_odd_input_never_raises(event):
    summary = summarize(event, RECEIVED)

    assert summary.title
    assert summary.level == "error"
    assert summary.timestamp == RECEIVED


def test_tags_are_derived_from_contexts_request_and_user_as_sentry_does():
    event = {
        "tags": {"team": "payments", "browser": "Custom 1"},
        "server_name": "web-3",
        "transaction": "/checkout",
        "contexts": {
            "browser": {"name": "Firefox", "version": "120.0"},
            "os": {"name": "Ubuntu", "version": "22.04"},
            "runtime": {"name": "CPython", "version": "3.11.7"},
            "device": {"model": "Pixel 8", "family": "Pixel"},
        },
        "request": {"url": "https://shop.example/pay?card=1#top", "method": "POST"},
        "user": {"id": 42, "email": "ana@example.com", "username": "ana", "ip_address": "203.0.113.9"},
        "environment": "production",
        "release": "web@1.0",
    }
    tags = dict(summarize(event, RECEIVED).tags)
    assert tags["team"] == "payments"
    assert tags["browser"] == "Custom 1"  # the SDK's own tag wins
    assert tags["browser.name"] == "Firefox"
    assert tags["os"] == "Ubuntu 22.04" and tags["os.name"] == "Ubuntu"
    assert tags["runtime"] == "CPython 3.11.7" and tags["runtime.name"] == "CPython"
    assert tags["device"] == "Pixel 8" and tags["device.family"] == "Pixel"
    assert tags["url"] == "https://shop.example/pay"  # without query string or fragment
    assert tags["server_name"] == "web-3" and tags["transaction"] == "/checkout"
    assert tags["user"] == "id:42"
    assert (
        tags["user.id"] == "42" and tags["user.email"] == "ana@example.com" and tags["user.username"] == "ana"
    )
    assert "user.ip" not in tags  # an address is not a tag
    assert tags["environment"] == "production" and tags["release"] == "web@1.0"


def test_a_browser_context_alone_gives_the_browser_tag():
    tags = dict(summarize({"contexts": {"browser": {"name": "Chrome", "version": "119"}}}, RECEIVED).tags)
    assert tags["browser"] == "Chrome 119" and tags["browser.name"] == "Chrome"
    odd = {"contexts": {"browser": "Chrome", "os": {"name": 7}}, "request": {"url": 5}, "user": []}
    assert summarize(odd, RECEIVED).tags == ()
