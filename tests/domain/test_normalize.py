from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackline.domain.grouping import event_exceptions, event_message, group_event
from stackline.domain.normalize import (
    MAX_BREADCRUMBS,
    MAX_STRING,
    TOO_DEEP,
    NormalizedEvent,
    format_message,
    normalize_event,
)
from tests.corpus import CORPUS, load_json

RECEIVED = 1_700_000_000.0
HEX32 = re.compile(r"^[0-9a-f]{32}$")
SAMPLES = sorted(path.name for path in (CORPUS / "sentry-samples").glob("*.json"))


def normalize(payload: dict, **options) -> NormalizedEvent:
    return normalize_event(payload, received_at=RECEIVED, **options)


def normalized(payload: dict, **options) -> dict:
    return normalize(payload, **options).payload


def sample(name: str) -> dict:
    return load_json(f"sentry-samples/{name}")


def frames(count: int) -> list[dict]:
    return [{"function": f"f{index}", "lineno": index} for index in range(count)]


# --- the contract ----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, [], "event", 42, b"{}"])
def test_a_payload_that_is_not_a_dict_is_the_callers_problem(payload):
    with pytest.raises(ValueError):
        normalize_event(payload, received_at=RECEIVED)


def test_the_input_is_never_mutated_and_the_result_shares_nothing_with_it():
    payload = sample("java.json")
    payload["extra"] = {"deep": {"list": [1, {"x": "y" * (MAX_STRING + 10)}]}}
    payload["breadcrumbs"] = [{"message": str(index)} for index in range(150)]
    before = copy.deepcopy(payload)

    result = normalized(payload)

    assert payload == before
    result["extra"]["deep"]["list"][1]["x"] = "changed"
    result["exception"]["values"][0]["type"] = "changed"
    assert payload == before


def test_notes_are_returned_and_recorded_in_the_payload():
    result = normalize({"level": "loud", "platform": "cobol"})
    assert result.notes == (
        "level 'loud' is unknown: set to error",
        "platform 'cobol' is unknown: set to other",
    )
    assert result.payload["_stackline"] == {"notes": list(result.notes)}


def test_an_event_with_nothing_to_report_has_no_notes():
    payload = sample("python-modern.json")
    result = normalize_event(payload, received_at=payload["received"])
    assert result.notes == ()
    assert "_stackline" not in result.payload


def test_a_client_cannot_forge_stacklines_own_key():
    result = normalize({"_stackline": {"scrubbed": [], "notes": ["all fine"]}})
    assert result.payload["_stackline"] == {"notes": ["dropped the client-supplied _stackline"]}


def test_the_number_of_notes_is_bounded():
    result = normalize({"extra": {str(index): "x" * (MAX_STRING + 1) for index in range(500)}})
    assert len(result.notes) == 51
    assert result.notes[-1] == "… and 450 more changes"


# --- event_id --------------------------------------------------------------------------------


def test_event_id_is_lowercase_hex_without_dashes():
    payload = {"event_id": "28434DE4-CCF3-46C3-B9B9-5F07EC3A3846"}
    assert normalized(payload)["event_id"] == "28434de4ccf346c3b9b95f07ec3a3846"


def test_a_missing_event_id_is_generated_without_a_note():
    result = normalize({})
    assert HEX32.match(result.payload["event_id"])
    assert result.notes == ()


@pytest.mark.parametrize("event_id", ["not-a-uuid", "1234", 1234, {"id": 1}])
def test_an_invalid_event_id_is_replaced_with_a_note(event_id):
    result = normalize({"event_id": event_id})
    assert HEX32.match(result.payload["event_id"])
    assert result.notes == ("event_id was not a UUID: generated a new one",)


def test_the_event_id_decided_by_the_caller_wins():
    payload = {"event_id": "28434de4ccf346c3b9b95f07ec3a3846"}
    assert normalized(payload, event_id="ab" * 16)["event_id"] == "ab" * 16


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        RECEIVED - 10,
        int(RECEIVED - 10),
        "1699999990",
        "2023-11-14T22:13:10Z",
        "2023-11-14T22:13:10+00:00",
        "2023-11-14T23:13:10+01:00",
        "2023-11-14T22:13:10",  # no offset: UTC
    ],
)
def test_timestamps_become_float_unix_seconds(raw):
    timestamp = normalized({"timestamp": raw})["timestamp"]
    assert timestamp == RECEIVED - 10
    assert isinstance(timestamp, float)


def test_fractions_of_a_second_are_kept():
    assert normalized({"timestamp": "2023-11-14T22:13:19.250Z"})["timestamp"] == RECEIVED - 0.75


def test_a_missing_timestamp_is_the_time_received():
    result = normalize({})
    assert result.payload["timestamp"] == RECEIVED
    assert result.notes == ()


@pytest.mark.parametrize("raw", ["yesterday", True, -5, float("nan"), 1e300, [1]])
def test_an_invalid_timestamp_is_the_time_received_with_a_note(raw):
    result = normalize({"timestamp": raw})
    assert result.payload["timestamp"] == RECEIVED
    assert result.notes == ("timestamp was not a valid time: set to the time received",)


def test_a_timestamp_more_than_30_days_old_is_clamped():
    result = normalize({"timestamp": RECEIVED - 31 * 86400})
    assert result.payload["timestamp"] == RECEIVED
    assert result.notes == ("timestamp was more than 30 days in the past: set to the time received",)
    assert normalized({"timestamp": RECEIVED - 29 * 86400})["timestamp"] == RECEIVED - 29 * 86400


def test_a_timestamp_more_than_a_minute_ahead_is_clamped():
    result = normalize({"timestamp": RECEIVED + 61})
    assert result.payload["timestamp"] == RECEIVED
    assert result.notes == ("timestamp was more than 60 seconds in the future: set to the time received",)
    assert normalized({"timestamp": RECEIVED + 59})["timestamp"] == RECEIVED + 59


def test_received_is_the_time_received_whatever_the_client_says():
    assert normalized({"received": 1.0})["received"] == RECEIVED


def test_start_timestamp_moves_with_a_clamped_timestamp_so_the_duration_is_kept():
    payload = {"type": "transaction", "start_timestamp": RECEIVED + 3600, "timestamp": RECEIVED + 3602.5}
    event = normalized(payload)
    assert (event["start_timestamp"], event["timestamp"]) == (RECEIVED - 2.5, RECEIVED)


def test_start_timestamp_accepts_the_same_formats():
    start = datetime.fromtimestamp(RECEIVED - 5, UTC).isoformat()
    event = normalized({"type": "transaction", "start_timestamp": start, "timestamp": RECEIVED - 1})
    assert event["start_timestamp"] == RECEIVED - 5


def test_a_transaction_without_start_timestamp_starts_when_it_ends():
    assert normalized({"type": "transaction", "timestamp": RECEIVED - 1})["start_timestamp"] == RECEIVED - 1
    assert "start_timestamp" not in normalized({"timestamp": RECEIVED - 1})


def test_an_invalid_start_timestamp_is_set_to_timestamp():
    result = normalize({"type": "transaction", "start_timestamp": "soon", "timestamp": RECEIVED - 1})
    assert result.payload["start_timestamp"] == RECEIVED - 1
    assert result.notes == ("start_timestamp was not a valid time: set to timestamp",)


# --- level and platform ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("fatal", "fatal"),
        ("critical", "fatal"),
        ("error", "error"),
        ("warning", "warning"),
        ("warn", "warning"),
        (" WARN ", "warning"),
        ("info", "info"),
        ("log", "info"),
        ("debug", "debug"),
        (50, "fatal"),
        (40, "error"),
        (30, "warning"),
        (20, "info"),
        (10, "debug"),
        ("30", "warning"),
    ],
)
def test_levels(raw, level):
    result = normalize({"level": raw})
    assert result.payload["level"] == level
    assert result.notes == ()


@pytest.mark.parametrize("raw", ["panic", 35, True, {"level": "error"}])
def test_an_unknown_level_is_error_with_a_note(raw):
    result = normalize({"level": raw})
    assert result.payload["level"] == "error"
    assert len(result.notes) == 1 and result.notes[0].startswith("level ")


def test_the_default_level_is_error_and_info_for_transactions():
    assert normalized({})["level"] == "error"
    assert normalized({"type": "transaction"})["level"] == "info"
    assert normalized({"type": "transaction", "level": "warning"})["level"] == "warning"


@pytest.mark.parametrize(
    "platform", ["python", "javascript", "node", "cocoa", "csharp", "native", "other", "as"]
)
def test_known_platforms_are_kept(platform):
    assert normalized({"platform": platform})["platform"] == platform


def test_platform_is_matched_without_case_or_spaces():
    assert normalized({"platform": " Python "})["platform"] == "python"


@pytest.mark.parametrize("platform", ["dart", "", 3, ["python"]])
def test_unknown_platforms_become_other_with_a_note(platform):
    result = normalize({"platform": platform})
    assert result.payload["platform"] == "other"
    assert len(result.notes) == 1


def test_a_missing_platform_is_other():
    result = normalize({})
    assert result.payload["platform"] == "other"
    assert result.notes == ()


# --- tags, environment, release --------------------------------------------------------------


def test_tags_from_an_object_become_pairs():
    tags = {"browser": "Chrome", "count": 3, "ok": True, "ratio": 0.5}
    expected = [["browser", "Chrome"], ["count", "3"], ["ok", "true"], ["ratio", "0.5"]]
    assert normalized({"tags": tags})["tags"] == expected


def test_tags_as_pairs_are_kept_with_trimmed_keys():
    tags = [["  browser ", "Chrome"], ("os", "Linux")]
    assert normalized({"tags": tags})["tags"] == [["browser", "Chrome"], ["os", "Linux"]]


def test_invalid_tags_are_dropped_with_one_note():
    tags = [
        ["", "empty"],
        ["   ", "blank"],
        ["none", None],
        ["nested", {"a": 1}],
        ["one"],
        "a:b",
        7,
        ["ok", ""],
    ]
    result = normalize({"tags": tags})
    assert result.payload["tags"] == [["ok", ""]]
    assert result.notes == ("tags: dropped 7 invalid or empty entries",)


def test_long_tag_keys_and_values_are_truncated_to_200():
    result = normalize({"tags": {"k" * 300: "v" * 300}})
    [[key, value]] = result.payload["tags"]
    assert (len(key), len(value)) == (200, 200)
    assert key.endswith("…") and value.endswith("…")
    assert len(result.notes) == 2


def test_tags_are_always_a_list():
    assert normalized({})["tags"] == []
    result = normalize({"tags": "browser=Chrome"})
    assert result.payload["tags"] == []
    assert result.notes == ("dropped tags: neither an object nor a list of pairs",)


def test_environment_and_release_are_truncated():
    result = normalize({"environment": "e" * 100, "release": "r" * 300})
    assert len(result.payload["environment"]) == 64
    assert len(result.payload["release"]) == 200
    assert result.notes == ("environment: cut to 64 characters", "release: cut to 200 characters")


def test_environment_and_release_must_be_text():
    result = normalize({"environment": {"name": "prod"}, "release": 2, "dist": None})
    assert "environment" not in result.payload and "dist" not in result.payload
    assert result.payload["release"] == "2"
    assert result.notes == ("dropped environment: not a string",)


def test_the_object_dist_of_the_generic_event_sample_is_dropped():
    result = normalize(sample("generic-event.json"))
    assert "dist" not in result.payload
    assert "dropped dist: not a string" in result.notes


# --- user and request ------------------------------------------------------------------------


def test_known_user_fields_are_kept_and_others_move_into_data():
    user = {
        "id": 42,
        "email": "a@example.com",
        "subscription": "basic",
        "data": {"plan": "pro"},
        "geo": {"city": "X"},
    }
    assert normalized({"user": user})["user"] == {
        "id": "42",
        "email": "a@example.com",
        "data": {"subscription": "basic", "plan": "pro"},
        "geo": {"city": "X"},
    }


def test_auto_ip_address_is_the_client_ip():
    event = normalized({"user": {"ip_address": "{{auto}}"}}, client_ip="203.0.113.7")
    assert event["user"] == {"ip_address": "203.0.113.7"}


def test_auto_ip_address_without_a_client_ip_is_dropped():
    assert normalized({"user": {"id": "1", "ip_address": "{{auto}}"}})["user"] == {"id": "1"}


def test_keep_ip_false_removes_every_ip_address():
    payload = {
        "user": {"id": "1", "ip_address": "{{auto}}"},
        "request": {
            "url": "https://example.com/",
            "env": {"REMOTE_ADDR": "203.0.113.7", "SERVER_NAME": "web"},
        },
    }
    event = normalized(payload, client_ip="203.0.113.7", keep_ip=False)
    assert event["user"] == {"id": "1"}
    assert event["request"]["env"] == {"SERVER_NAME": "web"}
    event = normalized(sample("java.json"), keep_ip=False)
    assert "ip_address" not in event["user"] and "REMOTE_ADDR" not in event["request"]["env"]


def test_ip_addresses_are_kept_by_default():
    event = normalized(sample("java.json"))
    assert event["user"]["ip_address"] == "0:0:0:0:0:0:0:1"
    assert event["request"]["env"]["REMOTE_ADDR"] == "0:0:0:0:0:0:0:1"


@pytest.mark.parametrize("field", ["user", "request"])
def test_a_user_or_request_that_is_not_an_object_is_dropped(field):
    result = normalize({field: "someone"})
    assert field not in result.payload
    assert result.notes == (f"dropped {field}: not an object",)


# --- logentry --------------------------------------------------------------------------------


def test_a_message_string_becomes_a_logentry_and_is_kept():
    event = normalized({"message": "Code has errored"})
    assert event["logentry"] == {"message": "Code has errored", "formatted": "Code has errored"}
    assert event["message"] == "Code has errored"


def test_a_legacy_message_interface_becomes_a_formatted_logentry():
    payload = {"sentry.interfaces.Message": {"message": "User %s not found in %s", "params": ["bob", "db"]}}
    assert normalized(payload)["logentry"] == {
        "message": "User %s not found in %s",
        "params": ["bob", "db"],
        "formatted": "User bob not found in db",
    }


def test_a_message_object_becomes_a_logentry():
    event = normalized({"message": {"message": "%d retries", "params": [3]}})
    assert event["logentry"] == {"message": "%d retries", "params": [3], "formatted": "3 retries"}


def test_an_existing_formatted_text_is_kept():
    logentry = {"message": "Hello %s", "params": ["a"], "formatted": "Hello world"}
    assert normalized({"logentry": logentry})["logentry"] == logentry


def test_logentry_wins_over_message():
    event = normalized({"logentry": {"formatted": "from logentry"}, "message": "from message"})
    assert event["logentry"] == {"formatted": "from logentry"}
    assert event["message"] == "from message"


def test_an_empty_message_makes_no_logentry():
    assert "logentry" not in normalized(sample("transaction.json"))


@pytest.mark.parametrize(
    ("template", "params", "formatted"),
    [
        ("%s and %s", ["a", "b"], "a and b"),
        ("%s and %s", ["a"], "a and %s"),  # too few: the placeholder stays
        ("%s", ["a", "b"], "a"),  # too many: ignored
        ("%d items", ["many"], "many items"),  # wrong type: rendered anyway
        ("%5.2f%%", [1.5], "1.5%"),  # width and precision are ignored
        ("%999999999s!", ["x"], "x!"),  # a template cannot ask for a gigabyte of padding
        ("%(user)s did %(what)s", {"user": "bob", "what": "it"}, "bob did it"),
        ("{user} did {what}", {"user": "bob"}, "bob did {what}"),
        ("{0} then {1} then {0}", ["a", "b"], "a then b then a"),
        ("%(user)s", ["bob"], "%(user)s"),
        ("value: %s", [None], "value: None"),
        ("value: %s", [{"a": [1]}], 'value: {"a": [1]}'),
        ("100%% sure %s", ["x"], "100% sure x"),
        ("at 100%, %s", ["x"], "at 100%, x"),  # a lone `%` that starts no placeholder stays
        ("no placeholders", ["x"], "no placeholders"),
        ("%s", [], "%s"),
    ],
)
def test_format_message_never_raises(template, params, formatted):
    assert format_message(template, params) == formatted


def test_formatted_text_is_bounded():
    formatted = format_message("%s" * 100, ["x" * MAX_STRING])
    assert len(formatted) == MAX_STRING and formatted.endswith("…")


def test_an_invalid_logentry_is_dropped():
    result = normalize({"logentry": ["not", "an", "object"]})
    assert "logentry" not in result.payload
    assert result.notes == ("dropped logentry: not an object",)


# --- legacy interfaces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legacy", "modern", "value"),
    [
        ("sentry.interfaces.Exception", "exception", {"values": [{"type": "E", "value": "v"}]}),
        ("sentry.interfaces.Stacktrace", "stacktrace", {"frames": [{"function": "f"}]}),
        ("sentry.interfaces.Http", "request", {"url": "https://example.com/"}),
        ("sentry.interfaces.User", "user", {"id": "1"}),
    ],
)
def test_legacy_interfaces_are_renamed(legacy, modern, value):
    result = normalize({legacy: value})
    assert legacy not in result.payload
    assert result.payload[modern] == value
    assert result.notes == (f"renamed {legacy} to {modern}",)


def test_the_legacy_message_interface_becomes_logentry():
    result = normalize({"sentry.interfaces.Message": {"message": "hello"}})
    assert result.payload["logentry"] == {"message": "hello", "formatted": "hello"}
    assert "sentry.interfaces.Message" not in result.payload


def test_a_modern_interface_wins_over_its_legacy_twin():
    result = normalize({"user": {"id": "modern"}, "sentry.interfaces.User": {"id": "legacy"}})
    assert result.payload["user"] == {"id": "modern"}
    assert result.notes == ("dropped sentry.interfaces.User: the event also has user",)


def test_the_java_sample_gets_modern_interfaces():
    event = normalized(sample("java.json"))
    assert not [key for key in event if key.startswith("sentry.interfaces.")]
    assert event["logentry"]["formatted"] == "Authentication failed, token expired!"
    assert event["request"]["url"] == "http://localhost:8080/"
    assert event["user"]["username"] == "user"
    assert len(event["breadcrumbs"]["values"]) == 4
    assert event["exception"]["values"][0]["type"] == "ApiException"


# --- exceptions ------------------------------------------------------------------------------


def test_an_exception_list_becomes_values():
    event = normalized({"exception": [{"type": "ValueError", "value": "bad"}]})
    assert event["exception"] == {"values": [{"type": "ValueError", "value": "bad"}]}


def test_a_single_exception_object_becomes_values():
    event = normalized({"exception": {"type": "ValueError", "value": "bad"}})
    assert event["exception"] == {"values": [{"type": "ValueError", "value": "bad"}]}


def test_null_exception_values_are_dropped():
    result = normalize(sample("empty-exception.json"))
    assert result.payload["exception"] == {"values": []}
    assert result.notes == ("exception.values: dropped 1 null or invalid entries",)


def test_other_exception_fields_are_kept():
    payload = {"exception": {"values": [None, {"type": "E"}, "junk"], "exc_omitted": None}}
    assert normalized(payload)["exception"] == {"values": [{"type": "E"}], "exc_omitted": None}


# --- size limits -----------------------------------------------------------------------------


def test_long_strings_are_cut_to_16_kib_anywhere():
    long = "x" * (MAX_STRING + 100)
    result = normalize({"exception": {"values": [{"type": "E", "value": long}]}, "extra": {"blob": [long]}})
    value = result.payload["exception"]["values"][0]["value"]
    assert len(value) == MAX_STRING and value == "x" * (MAX_STRING - 1) + "…"
    assert result.payload["extra"]["blob"][0] == value
    assert result.notes == (
        f"exception.values.0.value: cut a string of {MAX_STRING + 100} characters to {MAX_STRING}",
        f"extra.blob.0: cut a string of {MAX_STRING + 100} characters to {MAX_STRING}",
    )


def test_a_string_of_exactly_16_kib_is_kept():
    text = "x" * MAX_STRING
    assert normalized({"extra": {"t": text}})["extra"]["t"] == text


def test_the_newest_breadcrumbs_are_kept():
    crumbs = [{"message": str(index)} for index in range(150)]
    result = normalize({"breadcrumbs": {"values": crumbs}})
    kept = result.payload["breadcrumbs"]["values"]
    assert len(kept) == MAX_BREADCRUMBS
    assert (kept[0]["message"], kept[-1]["message"]) == ("50", "149")
    assert result.notes == ("breadcrumbs.values: kept the newest 100 of 150",)


def test_breadcrumbs_as_a_list_and_null_crumbs():
    result = normalize({"breadcrumbs": [{"message": "a"}, None]})
    assert result.payload["breadcrumbs"] == {"values": [{"message": "a"}]}
    assert result.notes == ("breadcrumbs.values: dropped 1 null or invalid entries",)


def test_deep_stack_traces_keep_their_first_and_last_125_frames():
    payload = {"exception": {"values": [{"type": "RecursionError", "stacktrace": {"frames": frames(1000)}}]}}
    result = normalize(payload)
    stacktrace = result.payload["exception"]["values"][0]["stacktrace"]
    kept = [frame["lineno"] for frame in stacktrace["frames"]]
    assert kept == [*range(125), *range(875, 1000)]
    assert stacktrace["frames_omitted"] == [125, 875]
    assert result.notes == (
        "exception.values.0.stacktrace.frames: kept 250 of 1000 frames (the first and last 125)",
    )


def test_frames_are_trimmed_in_every_stack_trace():
    payload = {
        "stacktrace": {"frames": frames(251)},
        "threads": {"values": [{"stacktrace": {"frames": frames(300)}}]},
        "exception": [{"raw_stacktrace": {"frames": frames(260)}, "stacktrace": {"frames": frames(250)}}],
    }
    event = normalized(payload)
    assert len(event["stacktrace"]["frames"]) == 250
    assert len(event["threads"]["values"][0]["stacktrace"]["frames"]) == 250
    assert len(event["exception"]["values"][0]["raw_stacktrace"]["frames"]) == 250
    assert "frames_omitted" not in event["exception"]["values"][0]["stacktrace"]


def nested(levels: int) -> dict:
    value: dict = {"leaf": "value"}
    for _ in range(levels - 1):
        value = {"child": value}
    return value


@pytest.mark.parametrize("field", ["extra", "contexts"])
def test_extra_and_contexts_keep_10_levels(field):
    result = normalize({field: {"data": nested(10)}})
    assert result.payload[field] == {"data": nested(10)}
    assert result.notes == ()


@pytest.mark.parametrize("field", ["extra", "contexts"])
def test_extra_and_contexts_deeper_than_10_levels_are_truncated(field):
    result = normalize({field: {"data": nested(15)}})
    value = result.payload[field]["data"]
    for _ in range(9):
        value = value["child"]
    assert value == {"child": TOO_DEEP}
    assert result.notes == (f"{field}.data{'.child' * 10}: replaced data nested too deep",)


def test_absurd_nesting_elsewhere_is_truncated_without_recursion_errors():
    payload: dict = {"request": {"data": {}}}
    inner = payload["request"]["data"]
    for _ in range(5000):
        inner["x"] = {}
        inner = inner["x"]
    result = normalize(payload)
    assert len(result.notes) == 1 and result.notes[0].endswith("replaced data nested too deep")
    orjson.dumps(result.payload)


# --- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_normalizes_and_keeps_its_exceptions_and_message(name):
    payload = sample(name)
    event = normalized(payload)

    orjson.dumps(event)
    assert HEX32.match(event["event_id"])
    assert event["level"] in ("fatal", "error", "warning", "info", "debug")
    before = [(e.get("type"), e.get("value"), e.get("stacktrace")) for e in event_exceptions(payload)]
    after = [(e.get("type"), e.get("value"), e.get("stacktrace")) for e in event_exceptions(event)]
    assert after == before
    assert event_message(event, template_first=True) == event_message(payload, template_first=True)


@pytest.mark.parametrize("name", SAMPLES)
def test_normalizing_does_not_regroup_a_sample(name):
    payload = sample(name)
    assert group_event(normalized(payload)) == group_event(payload)


@pytest.mark.parametrize("name", SAMPLES)
def test_normalizing_twice_changes_nothing_more(name):
    once = normalized(sample(name), event_id="ab" * 16)
    once.pop("_stackline", None)
    twice = normalize(once, event_id="ab" * 16)
    assert twice.notes == ()
    assert twice.payload == once


def test_integers_beyond_64_bits_become_text():
    result = normalize({"extra": {"big": 2**64, "fine": 2**64 - 1, "small": -(2**63) - 1}})
    assert result.payload["extra"] == {"big": str(2**64), "fine": 2**64 - 1, "small": str(-(2**63) - 1)}
    assert len(result.notes) == 2


def test_the_pii_sample_keeps_its_meta():
    payload = sample("pii.json")
    assert normalized(payload)["_meta"] == payload["_meta"]


# --- garbage in, a valid event out -----------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "event_id", "timestamp", "start_timestamp", "type", "level", "platform", "tags", "environment",
        "release", "dist", "user", "request", "logentry", "message", "exception", "breadcrumbs",
        "stacktrace", "threads", "extra", "contexts", "_stackline", "sentry.interfaces.Exception",
        "sentry.interfaces.Message", "sentry.interfaces.User", "sentry.interfaces.Http",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys | st.text(max_size=8), _json, max_size=10))
def test_any_dict_normalizes_to_a_valid_event(payload):
    event = normalized(payload, client_ip="192.0.2.1")

    orjson.dumps(event)
    assert HEX32.match(event["event_id"])
    assert RECEIVED - 30 * 86400 <= event["timestamp"] <= RECEIVED + 60
    assert event["level"] in ("fatal", "error", "warning", "info", "debug")
    assert isinstance(event["platform"], str)
    assert all(isinstance(k, str) and isinstance(v, str) and k for k, v in event["tags"])
    if "exception" in event:
        assert all(isinstance(value, dict) for value in event["exception"]["values"])
    if "logentry" in event:
        assert set(event["logentry"]) <= {"message", "params", "formatted"}
