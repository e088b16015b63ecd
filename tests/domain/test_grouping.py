from __future__ import annotations

import copy
import re

import pytest

from stackline.domain.grouping import GROUPING_CONFIG, group_event, parameterize
from tests.corpus import CORPUS, load_json

# The variant each Sentry sample groups by under our v1 rules, checked by hand:
EXPECTED_VARIANTS = {
    "cordova.json": "exception",  # frames carry no in_app flag
    "csp.json": "message",  # security reports only have a `logentry`
    "elixir.json": "exception",  # every frame is in_app: false
    "empty-exception.json": "fallback",  # exception.values is [null]
    "empty-stacktrace.json": "fallback",  # a top-level stacktrace without frames
    "exception-with-address-instruction.json": "exception",  # native frames, none in-app
    "exceptions-and-no-threads.json": "in-app-stacktrace",  # one in-app .erb frame, no function
    "expectct.json": "message",
    "generic-event.json": "message",
    "hpkp.json": "message",
    "java.json": "in-app-stacktrace",  # legacy sentry.interfaces.Exception
    "javascript.json": "in-app-stacktrace",  # legacy sentry.interfaces.Exception
    "php.json": "exception",  # frames carry no in_app flag
    "pii.json": "in-app-stacktrace",
    "python-modern.json": "in-app-stacktrace",
    "python-omittedbody.json": "fallback",  # request only
    "python-rawbody.json": "fallback",  # request only
    "python.json": "fallback",  # legacy top-level stacktrace, no in-app frame, no message
    "transaction.json": "fallback",  # `message` is ""
}
XBROWSER = ["chrome", "firefox", "safari"]


def sample(name: str) -> dict:
    return load_json(f"sentry-samples/{name}")


def xbrowser(browser: str) -> dict:
    return load_json(f"grouping/inputs/javascript-xbrowser-{browser}.json")


def python_error(value: str = "boom", *, exception_type: str = "ValueError", lineno: int = 10) -> dict:
    frame = {
        "module": "shop.checkout",
        "function": "pay",
        "filename": "shop/checkout.py",
        "lineno": lineno,
        "context_line": "    raise ValueError(value)",
        "in_app": True,
    }
    return {
        "platform": "python",
        "exception": {
            "values": [{"type": exception_type, "value": value, "stacktrace": {"frames": [frame]}}]
        },
    }


def without_in_app(event: dict) -> dict:
    for exception in event["exception"]["values"]:
        for frame in exception.get("stacktrace", {}).get("frames", []):
            frame["in_app"] = False
    return event


def message_event(text: str) -> dict:
    return {"logentry": {"formatted": text}}


def test_grouping_config_names_this_rule_set():
    assert GROUPING_CONFIG == "stackline:1"


def test_the_samples_are_the_ones_these_tests_know():
    assert sorted(p.name for p in (CORPUS / "sentry-samples").glob("*.json")) == sorted(EXPECTED_VARIANTS)


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANTS))
def test_every_sentry_sample_groups_by_the_expected_variant(name):
    result = group_event(sample(name))

    assert result.variant == EXPECTED_VARIANTS[name]
    assert re.fullmatch(r"[0-9a-f]{32}", result.hash)
    assert result.components


def test_in_app_components_are_module_and_function():
    assert group_event(sample("python-modern.json")).components == (
        "__main__:<module>",
        "__main__:main",
        "type:Exception",
    )
    assert group_event(sample("java.json")).components == (
        "io.sentry.example.Application:home",
        "io.sentry.example.Sidebar:fetch",
        "io.sentry.example.ApiRequest:perform",
        "type:ApiException",
    )


def test_in_app_components_fall_back_to_the_file_name():
    # javascript.json: no module, a relative filename; exceptions-and-no-threads: no function,
    # and the exception without frames still contributes its type.
    assert group_event(sample("javascript.json")).components == (
        "views.js:member",
        "views.js:merge",
        "views.js:poll",
        "type:TypeError",
    )
    assert group_event(sample("exceptions-and-no-threads.json")).components == (
        "view_error.html.erb:",
        "type:NameError",
        "type:ActionView::Template::Error",
    )


def test_exception_variant_parameterizes_the_value():
    value = "undefined local variable or method `foo' for #<#<Class:<hex>>:<hex>>"

    assert group_event(without_in_app(sample("exceptions-and-no-threads.json"))).components == (
        f"NameError:{value}",
        f"ActionView::Template::Error:{value}",
    )
    assert group_event(without_in_app(sample("pii.json"))).components == (
        "RuntimeError:Invalid device: <hex>",
    )


def test_message_variant_drops_quoted_values():
    assert group_event(sample("csp.json")).components == ("Blocked <quoted> from <quoted>",)
    assert group_event(sample("generic-event.json")).components == ("Code has errored",)


def test_events_without_anything_share_the_fallback_hash():
    hashes = {
        group_event(sample(name)).hash for name, variant in EXPECTED_VARIANTS.items() if variant == "fallback"
    }

    assert hashes == {group_event({}).hash}


# --- Sentry's cross-browser grouping cases ---------------------------------------------------


def test_xbrowser_inputs_group_together_by_exception():
    # Sentry groups these three by their *system* stack trace (same hash c63e8727… in each
    # snapshot). v1 only ever hashes in-app frames, and every frame here is in_app: false, so
    # they group by exception type and value instead, which is identical in all three: `Error:bad`.
    # `fingerprint: ["{{ default }}"]` is the same as no fingerprint.
    results = [group_event(xbrowser(browser)) for browser in XBROWSER]

    assert {result.variant for result in results} == {"exception"}
    assert {result.components for result in results} == {("Error:bad",)}
    assert len({result.hash for result in results}) == 1


def test_xbrowser_stacks_group_together_when_in_app():
    # Were the frames in-app, the stacks would still match across browsers: v1 keeps file base
    # names, trims JavaScript function names (`Foo.testMethod` -> `testMethod`), ignores unknown
    # names (Firefox's `test/<`) and drops engine frames (`[native code]`, `<anonymous>`, `eval`).
    # The frames left are exactly the ones Sentry's snapshots mark as contributing.
    results = []
    for browser in XBROWSER:
        event = xbrowser(browser)
        for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:
            frame["in_app"] = True
        results.append(group_event(event))

    index = load_json("grouping/index.json")
    for case in index["cases"]:
        sentry_frames = [
            f"{frame['filename']}:{frame.get('function', '')}"
            for frame in case["variants"]["system"]["contributing_frames"]
        ]
        assert results[0].components == (*sentry_frames, "type:Error")
    assert {result.variant for result in results} == {"in-app-stacktrace"}
    assert len({result.hash for result in results}) == 1


# --- stack frames ----------------------------------------------------------------------------


def test_line_numbers_and_source_context_do_not_split_a_group():
    event = sample("python-modern.json")
    moved = copy.deepcopy(event)
    for frame in moved["exception"]["values"][0]["stacktrace"]["frames"]:
        frame["lineno"] += 7
        frame["colno"] = 3
        frame["context_line"] = "    something else"
        frame["pre_context"] = []
        frame["post_context"] = ["# edited"]
        frame["vars"] = {"x": "1"}
        frame["abs_path"] = "/srv/deploy-42/main.py"

    assert group_event(moved).hash == group_event(event).hash
    assert group_event(python_error(lineno=1)).hash == group_event(python_error(lineno=99)).hash


def test_the_exception_value_does_not_matter_when_there_are_in_app_frames():
    assert (
        group_event(python_error("card 1 declined")).hash == group_event(python_error("no stock left")).hash
    )


def test_different_exception_types_do_not_group_together():
    assert (
        group_event(python_error(exception_type="ValueError")).hash
        != group_event(python_error(exception_type="KeyError")).hash
    )
    assert (
        group_event({"exception": {"values": [{"type": "ValueError", "value": "x"}]}}).hash
        != group_event({"exception": {"values": [{"type": "KeyError", "value": "x"}]}}).hash
    )


def test_only_in_app_frames_count():
    library_frame = {"module": "requests.api", "function": "get", "in_app": False}
    event = python_error()
    with_library = copy.deepcopy(event)
    with_library["exception"]["values"][0]["stacktrace"]["frames"].insert(0, library_frame)

    assert (
        group_event(with_library).components
        == group_event(event).components
        == (
            "shop.checkout:pay",
            "type:ValueError",
        )
    )


def test_different_in_app_functions_split_groups():
    other = python_error()
    other["exception"]["values"][0]["stacktrace"]["frames"][0]["function"] = "refund"

    assert group_event(other).hash != group_event(python_error()).hash


def test_frames_without_in_app_true_are_not_in_app():
    event = python_error("boom")
    event["exception"]["values"][0]["stacktrace"]["frames"][0]["in_app"] = None

    assert group_event(event).variant == "exception"
    assert group_event(event).components == ("ValueError:boom",)


def test_urls_lose_scheme_host_query_and_directories():
    def frame_component(filename: str) -> str:
        frame = {"filename": filename, "function": "render", "in_app": True}
        event = {
            "platform": "javascript",
            "exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]},
        }
        return group_event(event).components[0]

    assert frame_component("https://cdn.example.com/static/v12/app.js?cache=123#x") == "app.js:render"
    assert frame_component("app:///index.js") == "index.js:render"
    assert frame_component("C:\\build\\src\\app.js") == "app.js:render"
    assert frame_component("https://example.com") == ":render"


def test_a_top_level_stacktrace_counts_as_a_pseudo_exception():
    frames = [{"module": "worker", "function": "run", "in_app": True}]

    for key in ("stacktrace", "sentry.interfaces.Stacktrace"):
        result = group_event({key: {"frames": frames}, "message": "ignored"})
        assert (result.variant, result.components) == ("in-app-stacktrace", ("worker:run",))


def test_legacy_exception_shapes():
    exception = {"type": "ValueError", "value": "bad"}

    for legacy in ({"values": [exception]}, [exception], exception):
        result = group_event({"sentry.interfaces.Exception": legacy})
        assert (result.variant, result.components) == ("exception", ("ValueError:bad",))


def test_exception_values_keep_quoted_parts():
    assert (
        group_event({"exception": {"values": [{"type": "KeyError", "value": "'user'"}]}}).hash
        != group_event({"exception": {"values": [{"type": "KeyError", "value": "'order'"}]}}).hash
    )


# --- custom fingerprints ---------------------------------------------------------------------


def test_custom_fingerprint_replaces_the_default():
    one = group_event(python_error() | {"fingerprint": ["payment-provider-down"]})
    other = group_event(message_event("something else entirely") | {"fingerprint": ["payment-provider-down"]})

    assert one.variant == other.variant == "custom-fingerprint"
    assert one.components == ("payment-provider-down",)
    assert one.hash == other.hash


@pytest.mark.parametrize("variable", ["{{ default }}", "{{default}}", "  {{  default }} "])
def test_custom_fingerprint_expands_default(variable):
    default = group_event(python_error())
    result = group_event(python_error() | {"fingerprint": [variable, "eu-west", 3]})

    assert result.variant == "custom-fingerprint"
    assert result.components == (*default.components, "eu-west", "3")
    assert result.hash != default.hash


def test_a_fingerprint_of_only_default_is_the_default():
    assert group_event(python_error() | {"fingerprint": ["{{ default }}"]}) == group_event(python_error())


@pytest.mark.parametrize("fingerprint", [None, [], "not-a-list", [{"a": 1}], ["ok", None], [True]])
def test_garbage_fingerprints_are_ignored(fingerprint):
    assert group_event(python_error() | {"fingerprint": fingerprint}) == group_event(python_error())


# --- messages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Order 1234 failed after 3 retries", "Order 98 failed after 12 retries"),
        (
            "job 7d9f8c2e-1b2a-4c3d-9e8f-0a1b2c3d4e5f timed out",
            "job 0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b timed out",
        ),
        ("connect to 10.0.0.7:5432 refused", "connect to 192.168.1.20:6543 refused"),
        ("connect to 2001:db8::1 refused", "connect to fe80::a00:27ff:fe4e:66a1 refused"),
        ("mail to alice@example.com bounced", "mail to bob.smith+x@mail.example.org bounced"),
        ("run at 2024-01-02T03:04:05.678Z skipped", "run at 2025-12-31 23:59:59+01:00 skipped"),
        ("object at 0x7fcbabaf0b30 leaked", "object at 0x10 leaked"),
        ("Key 'alpha' missing", 'Key "beta" missing'),
        ("User %s not found", "User %s not found"),
        ("Took 1.5s", "Took 30s"),
    ],
)
def test_messages_differing_only_in_values_group_together(one, other):
    assert group_event(message_event(one)).hash == group_event(message_event(other)).hash


def test_different_messages_do_not_group_together():
    assert group_event(message_event("disk full")).hash != group_event(message_event("disk missing")).hash


def test_message_groups_by_its_template_before_its_formatted_text():
    def logged(user: str) -> dict:
        return {
            "logentry": {
                "message": "User %s not found",
                "params": [user],
                "formatted": f"User {user} not found",
            }
        }

    assert group_event(logged("bob")).components == ("User %s not found",)
    assert group_event(logged("bob")).hash == group_event(logged("alice")).hash


def test_message_sources():
    assert group_event({"message": "plain string"}).components == ("plain string",)
    assert group_event({"message": {"formatted": "object form"}}).components == ("object form",)
    assert group_event(
        {"sentry.interfaces.Message": {"message": "legacy %s", "params": ["x"]}}
    ).components == ("legacy %s",)


def test_only_the_first_two_lines_of_a_message_count():
    one = group_event(message_event("Import failed\n\ndetails:\nrow 1: bad\nrow 2: bad"))
    other = group_event(message_event("Import failed\ndetails:\nrow 77: worse"))

    assert one.components == ("Import failed\ndetails:",)
    assert one.hash == other.hash


# --- parameterize ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("retry 3 of 5", "retry <int> of <int>"),
        ("took 250ms, -4 left, version 1.2.3", "took <int>ms, -<int> left, version <int>"),
        ("utf8 and v2 and sha256 stay", "utf8 and v2 and sha256 stay"),
        ("id 550e8400-e29b-41d4-a716-446655440000 gone", "id <uuid> gone"),
        ("at 0xDEADBEEF and 0x1", "at <hex> and <hex>"),
        ("device A949AE01EBB07300D62AE0178F0944DD21F8C98C", "device <hex>"),
        ("from 127.0.0.1 and ::1 and 2001:db8:85a3::8a2e:370:7334", "from <ip> and <ip> and <ip>"),
        ("for jane.doe@example.co.uk", "for <email>"),
        ("on 2024-02-29, at 2024-02-29T10:11:12Z", "on <date>, at <date>"),
        ("at 10:11:12 today", "at <int>:<int>:<int> today"),
        ("ns Foo::Bar and std::vector", "ns Foo::Bar and std::vector"),
        ("'quoted 42' stays quoted", "'quoted <int>' stays quoted"),
        ("", ""),
    ],
)
def test_parameterize(text, expected):
    assert parameterize(text) == expected


def test_parameterize_is_bounded_on_huge_input():
    assert parameterize("x" * 1_000_000) == "x" * 2048


# --- odd input -------------------------------------------------------------------------------

GARBAGE_EVENTS = [
    {},
    [],
    None,
    {"exception": None},
    {"exception": {"values": None}},
    {"exception": {"values": [None, 1, "x", []]}},
    {"exception": {"values": [{}]}},
    {"exception": [{"type": 1, "value": None}]},
    {"exception": {"values": [{"stacktrace": {"frames": "nope"}}]}},
    {"exception": {"values": [{"stacktrace": None, "type": None}]}},
    {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [None, {"in_app": True}]}}]}},
    {
        "exception": {
            "values": [
                {"type": "E", "stacktrace": {"frames": [{"in_app": True, "module": ["x"], "function": {}}]}}
            ]
        }
    },
    {"stacktrace": {"frames": [None, {"in_app": "yes", "function": "f"}]}},
    {"stacktrace": []},
    {"fingerprint": [None]},
    {"fingerprint": {"a": 1}},
    {"logentry": 5},
    {"logentry": {"formatted": 3, "message": None}},
    {"message": {"formatted": ["x"]}},
    {"message": "   "},
    {"sentry.interfaces.Message": "x"},
    {
        "platform": {"x": 1},
        "exception": {
            "values": [
                {"type": "E", "stacktrace": {"frames": [{"in_app": True, "function": "f", "platform": 3}]}}
            ]
        },
    },
    {"message": "bad \ud800 surrogate and \x00 nul"},
    {"exception": {"values": [{"type": "E\x00", "value": "\udfff"}]}},
]


@pytest.mark.parametrize("event", GARBAGE_EVENTS)
def test_odd_input_never_raises(event):
    result = group_event(event)

    assert result.variant in {"custom-fingerprint", "in-app-stacktrace", "exception", "message", "fallback"}
    assert re.fullmatch(r"[0-9a-f]{32}", result.hash)
    for component in result.components:
        assert "\x00" not in component
        component.encode("utf-8")  # no lone surrogates
