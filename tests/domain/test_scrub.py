from __future__ import annotations

import copy

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackline.domain.normalize import normalize_event
from stackline.domain.scrub import FILTERED, ScrubConfig, ScrubResult, scrub_event
from tests.corpus import CORPUS, load_json

SAMPLES = sorted(path.name for path in (CORPUS / "sentry-samples").glob("*.json"))
WITH_IPS = ScrubConfig(scrub_ip_addresses=True)


def sample(name: str) -> dict:
    return load_json(f"sentry-samples/{name}")


DEFAULT_CONFIG = ScrubConfig()


def scrubbed(payload: dict, config: ScrubConfig = DEFAULT_CONFIG) -> dict:
    return scrub_event(payload, config).payload


def text(value: str, config: ScrubConfig = DEFAULT_CONFIG) -> str:
    """What the scrubber makes of one string (as an exception value)."""
    payload = {"exception": {"values": [{"type": "E", "value": value}]}}
    return scrubbed(payload, config)["exception"]["values"][0]["value"]


# --- secrets planted everywhere --------------------------------------------------------------

# Each secret is a string that must appear nowhere in the scrubbed payload.
SECRETS = [
    "HEADERTOKEN123",
    "APIKEYSECRET",
    "PROXYSECRET",
    "CUSTOMHEADERSECRET",
    "COOKIESECRET1",
    "COOKIESECRET2",
    "COOKIEHEADERSECRET",
    "SETCOOKIESECRET",
    "EXTRASECRET",
    "NESTEDSECRET",
    "4111 1111 1111 1111",
    "4111111111111111",
    "VARSECRET",
    "PGSECRET",
    "EXCSECRET",
    "5555555555554444",
    "BREADCRUMBTOKEN12345",
    "BCDATASECRET",
    "TAGSECRET",
    "QSSECRET",
    "QSPAIRSECRET",
    "URLPASSSECRET",
    "URLTOKENSECRET",
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "GB82WEST12345698765432",
    "CTXSECRET",
    "USERDATASECRET",
    "BODYSECRET",
    "ENVSECRET",
    "378282246310005",
    "JSONVARSECRET",
    "REPRSECRET",
    "LISTSECRET",
    "CSRFSECRET",
    "FORMSECRET",
    "MESSAGESECRET",
]

ORDINARY = [
    "order 123456789012 shipped",  # 12 digits: too short for a card
    "4111111111111112",  # 16 digits that fail the Luhn check
    "123e4567-e89b-12d3-a456-426614174000",
    "12345678-1234-1234-a716-446655440000",  # all-digit UUID groups are not a card
    "0.4012888888881881",  # a float's repr (the digits pass the Luhn check)
    "1751006912.86742",
    "10.0.0.1",  # IPs are kept unless asked for
    "::1",
    "DE00 1234 5678 9012 3456 78",  # IBAN-shaped but fails the mod-97 check
    "Authentication failed, token expired!",
    "if token == expected:",
    "https://example.com/path?page=2&sort=name",
    "postgres://db.internal:5432/app",
    "bearer of bad news",
]


def planted_event() -> dict:
    return {
        "event_id": "28434de4ccf346c3b9b95f07ec3a3846",
        "platform": "python",
        "message": "rotating credentials: password=MESSAGESECRET",
        "logentry": {
            "message": "Charging %s",
            "params": ["IBAN DE89 3704 0044 0532 0130 00"],
            "formatted": "Charging IBAN DE89370400440532013000 or GB82WEST12345698765432",
        },
        "request": {
            "url": "https://bob:URLPASSSECRET@example.com/path?token=URLTOKENSECRET&page=2",
            "method": "POST",
            "query_string": "user=bob&access_token=QSSECRET",
            "headers": {
                "Authorization": "Bearer HEADERTOKEN123",
                "X-Api-Key": "APIKEYSECRET",
                "Proxy-Authorization": "Basic PROXYSECRET",
                "X-Custom": "token=CUSTOMHEADERSECRET",
                "Cookie": "sessionid=COOKIEHEADERSECRET; theme=dark",
                "Set-Cookie": "id=SETCOOKIESECRET",
                "Accept": "text/html",
            },
            "cookies": {"sessionid": "COOKIESECRET1", "theme": "COOKIESECRET2"},
            "data": '{"username": "bob", "password": "BODYSECRET"}',
            "env": {"MYSQL_PWD": "ENVSECRET", "SERVER_NAME": "web1"},
        },
        "user": {"id": "1", "username": "bob", "data": {"credentials": "USERDATASECRET"}},
        "tags": [["session_id", "TAGSECRET"], ["browser", "Chrome"]],
        "extra": {
            "db_password": "EXTRASECRET",
            "nested": {"deeper": {"apiKey": "NESTEDSECRET"}},
            "note": "card 4111 1111 1111 1111 on file",
            "amex": "3782 822463 10005",
            "form": "name=bob&csrfmiddlewaretoken=CSRFSECRET",
            "pairs": [["api_key", "LISTSECRET"], ["page", "2"]],
            "ordinary": ORDINARY,
        },
        "contexts": {"app": {"secret_key": "CTXSECRET", "app_name": "shop"}},
        "exception": {
            "values": [
                {
                    "type": "LoginError",
                    "value": "Login failed for password=EXCSECRET with card 5555555555554444",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "login",
                                "module": "shop.auth",
                                "context_line": '    db = connect("postgres://admin:PGSECRET@db/shop")',
                                "vars": {
                                    "password": "'VARSECRET'",
                                    "payload": '{"user": "bob", "api_key": "JSONVARSECRET"}',
                                    "kwargs": "{'secret': 'REPRSECRET', 'page': 2}",
                                    "form": "user=bob&password=FORMSECRET",
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "http", "message": "GET /api with Authorization: Bearer BREADCRUMBTOKEN12345"},
                {"category": "auth", "data": {"auth_token": "BCDATASECRET", "status": 200}},
            ]
        },
        "modules": {"django-session-security": "2.6", "authlib": "1.0"},
    }


def test_no_planted_secret_survives_anywhere():
    result = scrub_event(planted_event())
    dumped = orjson.dumps(result.payload).decode()
    assert [secret for secret in SECRETS if secret in dumped] == []


def test_no_planted_secret_survives_normalizing_then_scrubbing():
    event = normalize_event(planted_event(), received_at=1_700_000_000.0).payload
    dumped = orjson.dumps(scrubbed(event)).decode()
    assert [secret for secret in SECRETS if secret in dumped] == []


def test_ordinary_data_is_not_filtered():
    result = scrubbed(planted_event())
    assert result["extra"]["ordinary"] == ORDINARY
    assert result["extra"]["pairs"][1] == ["page", "2"]
    assert result["request"]["headers"]["Accept"] == "text/html"
    assert result["request"]["env"]["SERVER_NAME"] == "web1"
    assert result["contexts"]["app"]["app_name"] == "shop"
    assert result["tags"][1] == ["browser", "Chrome"]
    assert result["modules"] == {"django-session-security": "2.6", "authlib": "1.0"}


def test_only_the_secret_part_of_a_string_is_replaced():
    result = scrubbed(planted_event())
    assert (
        result["exception"]["values"][0]["value"]
        == f"Login failed for password={FILTERED} with card {FILTERED}"
    )
    assert result["request"]["url"] == f"https://bob:{FILTERED}@example.com/path?token={FILTERED}&page=2"
    assert result["request"]["query_string"] == f"user=bob&access_token={FILTERED}"
    assert result["request"]["data"] == f'{{"username": "bob", "password": "{FILTERED}"}}'
    assert result["breadcrumbs"]["values"][0]["message"] == f"GET /api with Authorization: Bearer {FILTERED}"
    assert result["logentry"]["params"] == [f"IBAN {FILTERED}"]
    assert result["logentry"]["formatted"] == f"Charging IBAN {FILTERED} or {FILTERED}"
    assert result["extra"]["note"] == f"card {FILTERED} on file"
    frame = result["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["context_line"] == f'    db = connect("postgres://admin:{FILTERED}@db/shop")'
    assert frame["vars"]["kwargs"] == f"{{'secret': '{FILTERED}', 'page': 2}}"


def test_every_scrubbed_value_is_recorded_by_path():
    result = scrub_event(planted_event())
    assert set(result.scrubbed_paths) >= {
        "message",
        "request.url",
        "request.headers.Authorization",
        "request.headers.Cookie",
        "request.cookies.sessionid",
        "request.cookies.theme",
        "request.env.MYSQL_PWD",
        "user.data.credentials",
        "tags.session_id",
        "extra.db_password",
        "extra.nested.deeper.apiKey",
        "extra.pairs.api_key",
        "contexts.app.secret_key",
        "exception.values.0.value",
        "exception.values.0.stacktrace.frames.0.vars.password",
        "breadcrumbs.values.0.message",
        "breadcrumbs.values.1.data.auth_token",
        "logentry.params.0",
    }
    assert result.payload["_stackline"] == {"scrubbed": list(result.scrubbed_paths)}


def test_the_input_is_never_mutated():
    payload = planted_event()
    before = copy.deepcopy(payload)
    result = scrubbed(payload)
    assert payload == before
    result["extra"]["ordinary"].append("changed")
    result["modules"]["new"] = "1"
    assert payload == before


def test_scrubbing_twice_finds_nothing_more():
    once = scrubbed(planted_event())
    twice = scrub_event(once)
    assert twice.scrubbed_paths == ()
    assert twice.payload == once


# --- by key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["password", "PASSWORD", "user_passwd", "pwd", "client_secret", "api_key", "ApiKey", "access_token",
     "Authorization", "credentials", "mysql_pwd", "privateKey", "private_key", "refresh_token", "sessionid",
     "cookie", "csrftoken", "set-cookie", "X-Api-Key"],
)  # fmt: skip
def test_sensitive_keys_are_filtered_at_any_depth(key):
    payload = {"extra": {"a": [{"b": {key: "value"}}]}}
    result = scrub_event(payload)
    assert result.payload["extra"] == {"a": [{"b": {key: FILTERED}}]}
    assert result.scrubbed_paths == (f"extra.a.0.b.{key}",)


def test_a_sensitive_key_filters_its_whole_value():
    payload = {"extra": {"session": {"id": "abc", "user": "bob"}, "tokens": ["a", "b"], "pin_pwd": 1234}}
    assert scrubbed(payload)["extra"] == {"session": FILTERED, "tokens": FILTERED, "pin_pwd": FILTERED}


def test_booleans_nulls_and_empty_values_under_a_sensitive_key_stay():
    payload = {"extra": {"auth_enabled": True, "password": None, "token": "", "secret": {}}}
    result = scrub_event(payload)
    assert result.payload["extra"] == payload["extra"]
    assert result.scrubbed_paths == ()


def test_extra_sensitive_fields_are_filtered():
    config = ScrubConfig(sensitive_fields=("ssn", "Birthday"))
    payload = {"extra": {"user_ssn": "078-05-1120", "birthday": "1970-01-01", "name": "bob"}}
    assert scrubbed(payload, config)["extra"] == {"user_ssn": FILTERED, "birthday": FILTERED, "name": "bob"}


def test_extra_sensitive_fields_also_apply_to_pairs_inside_strings():
    config = ScrubConfig(sensitive_fields=("ssn",))
    assert text("lookup?ssn=078-05-1120&x=1", config) == f"lookup?ssn={FILTERED}&x=1"


def test_safe_fields_keep_their_whole_value():
    config = ScrubConfig(safe_fields=("Author", "session_summary"))
    payload = {
        "extra": {"author": "bob", "session_summary": {"card": "4111 1111 1111 1111"}, "session": "abc"},
        "request": {"headers": {"Authorization": "Bearer abcdefghijkl"}},
    }
    result = scrubbed(payload, config)
    assert result["extra"] == {
        "author": "bob",
        "session_summary": {"card": "4111 1111 1111 1111"},
        "session": FILTERED,
    }
    assert result["request"]["headers"]["Authorization"] == FILTERED


def test_safe_fields_also_apply_to_pairs_inside_strings():
    assert text("author=bob", ScrubConfig(safe_fields=("author",))) == "author=bob"
    assert text("author=bob") == f"author={FILTERED}"


def test_modules_are_never_scrubbed():
    payload = {"modules": {"django-auth": "1.0", "python-secrets": "4111111111111111"}}
    assert scrubbed(payload) == payload


# --- request ---------------------------------------------------------------------------------


def test_credential_headers_are_filtered_as_an_object():
    headers = {
        "authorization": "Basic dXNlcjpwYXNz",
        "Cookie": "a=b",
        "Set-Cookie": "c=d",
        "X-Api-Key": "k",
        "Proxy-Authorization": "p",
        "Host": "example.com",
    }
    result = scrub_event({"request": {"headers": headers}})
    assert result.payload["request"]["headers"] == {
        "authorization": FILTERED,
        "Cookie": FILTERED,
        "Set-Cookie": FILTERED,
        "X-Api-Key": FILTERED,
        "Proxy-Authorization": FILTERED,
        "Host": "example.com",
    }
    assert "request.headers.authorization" in result.scrubbed_paths


def test_credential_headers_are_filtered_as_pairs():
    headers = [
        ["Authorization", "Bearer abcdefghijkl"],
        ["Host", "example.com"],
        ["X-Sentry-Auth", "Sentry x"],
    ]
    result = scrub_event({"request": {"headers": headers}})
    assert result.payload["request"]["headers"] == [
        ["Authorization", FILTERED],
        ["Host", "example.com"],
        ["X-Sentry-Auth", FILTERED],
    ]
    assert result.scrubbed_paths == ("request.headers.Authorization", "request.headers.X-Sentry-Auth")


@pytest.mark.parametrize(
    ("cookies", "expected"),
    [
        ({"theme": "dark", "id": "1"}, {"theme": FILTERED, "id": FILTERED}),
        ([["theme", "dark"], ["id", "1"]], [["theme", FILTERED], ["id", FILTERED]]),
        ("theme=dark; id=1", FILTERED),
    ],
)
def test_every_cookie_value_is_filtered(cookies, expected):
    assert scrubbed({"request": {"cookies": cookies}})["request"]["cookies"] == expected


def test_query_strings_as_pairs_are_judged_by_key():
    request = {"query_string": [["page", "2"], ["api_key", "abc"], ["next", "https://a:b@example.com/"]]}
    assert scrubbed({"request": request})["request"]["query_string"] == [
        ["page", "2"],
        ["api_key", FILTERED],
        ["next", f"https://a:{FILTERED}@example.com/"],
    ]


def test_the_legacy_http_interface_gets_the_request_rules():
    payload = {
        "sentry.interfaces.Http": {"cookies": {"theme": "dark"}, "headers": [["Cookie", "theme=dark"]]}
    }
    assert scrubbed(payload)["sentry.interfaces.Http"] == {
        "cookies": {"theme": FILTERED},
        "headers": [["Cookie", FILTERED]],
    }


# --- by content ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # credit cards, with Luhn check and card-like grouping
        ("card 4111111111111111", f"card {FILTERED}"),
        ("card 4111-1111-1111-1111.", f"card {FILTERED}."),
        ("card 4111 1111 1111 1111 exp 12/30", f"card {FILTERED} exp 12/30"),
        ("amex 3782 822463 10005", f"amex {FILTERED}"),
        ("visa 4222222222222", f"visa {FILTERED}"),
        ("not luhn 4111111111111112", "not luhn 4111111111111112"),
        ("too long 41111111111111111111", "too long 41111111111111111111"),
        ("in a hash a4111111111111111f", "in a hash a4111111111111111f"),
        ("odd groups 41 1111111 1111111", "odd groups 41 1111111 1111111"),
        # IBANs, with the mod-97 check
        ("iban DE89 3704 0044 0532 0130 00 ok", f"iban {FILTERED} ok"),
        ("iban DE89370400440532013000", f"iban {FILTERED}"),
        ("GB82 WEST 1234 5698 7654 32", FILTERED),
        ("bad DE88 3704 0044 0532 0130 00", "bad DE88 3704 0044 0532 0130 00"),
        # bearer tokens
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc-_", f"Authorization: Bearer {FILTERED}"),
        ("bearer mF_9.B5f-4.1JqM", f"bearer {FILTERED}"),
        # key=value pairs; the key stays
        ("password=hunter2 user=bob", f"password={FILTERED} user=bob"),
        ("db_password = hunter2", f"db_password = {FILTERED}"),
        ("?x=1&secret=abc&y=2", f"?x=1&secret={FILTERED}&y=2"),
        ('{"token": "a b c", "n": 1}', f'{{"token": "{FILTERED}", "n": 1}}'),
        ('{"token":"a\\"b"}', f'{{"token":"{FILTERED}"}}'),
        ("{'api_key': 'abc'}", f"{{'api_key': '{FILTERED}'}}"),
        ('<input name="x" csrf_token="abc">', f'<input name="x" csrf_token="{FILTERED}">'),
        ("auth=Bearer abcdefghijkl rest", f"auth={FILTERED} rest"),
        ("token: expired", "token: expired"),
        ("if password == other:", "if password == other:"),
        # URL passwords
        ("redis://:s3cr3t@cache:6379/0", f"redis://:{FILTERED}@cache:6379/0"),
        ("https://user:p@ss@host/x", f"https://user:{FILTERED}@host/x"),
        ("https://user@host/x", "https://user@host/x"),
        ("http://host:8080/a@b", "http://host:8080/a@b"),
    ],
)
def test_sensitive_parts_of_strings(value, expected):
    assert text(value) == expected


def test_strings_are_scrubbed_in_lists_and_pairs():
    payload = {"fingerprint": ["password=abc"], "extra": {"pairs": [["card 4111111111111111", "x"]]}}
    result = scrub_event(payload)
    assert result.payload["fingerprint"] == [f"password={FILTERED}"]
    assert result.payload["extra"]["pairs"] == [[f"card {FILTERED}", "x"]]
    assert result.scrubbed_paths == ("fingerprint.0", "extra.pairs.0.0")


def test_a_pair_whose_key_is_sensitive_loses_its_value():
    payload = {"extra": {"pairs": [["password=abc", "x"]]}}
    assert scrubbed(payload)["extra"]["pairs"] == [[f"password={FILTERED}", FILTERED]]


def test_numbers_are_not_scanned_as_text():
    # Only strings are: a 19-digit id or a nanosecond timestamp passes the Luhn check one time
    # in ten, and SDKs send frame variables as their reprs (strings) anyway.
    payload = {"extra": {"order": 4111111111111111, "ns": 1751006912867420000}}
    assert scrubbed(payload) == payload


# --- IP addresses ----------------------------------------------------------------------------


def ip_event() -> dict:
    return {
        "user": {"id": "1", "ip_address": "203.0.113.7"},
        "request": {"env": {"REMOTE_ADDR": "2001:db8::1", "SERVER_NAME": "web"}},
        "exception": {
            "values": [{"value": "timeout from 10.0.0.7 and fe80::1ff:fe23:4567:890a at 12:30:45"}]
        },
    }


def test_ip_addresses_are_kept_by_default():
    result = scrub_event(ip_event())
    assert result.payload == ip_event()
    assert result.scrubbed_paths == ()


def test_ip_addresses_are_filtered_when_asked():
    result = scrub_event(ip_event(), WITH_IPS)
    assert result.payload["user"] == {"id": "1", "ip_address": FILTERED}
    assert result.payload["request"]["env"] == {"REMOTE_ADDR": FILTERED, "SERVER_NAME": "web"}
    assert (
        result.payload["exception"]["values"][0]["value"]
        == f"timeout from {FILTERED} and {FILTERED} at 12:30:45"
    )
    assert result.scrubbed_paths == ("user.ip_address", "request.env.REMOTE_ADDR", "exception.values.0.value")


@pytest.mark.parametrize("value", ["v1.2.3.400", "std::vector", "a::b", "10:30:45", "1.2.3", "0.0.0.0.1"])
def test_things_that_only_look_like_ip_addresses_stay(value):
    assert text(value, WITH_IPS) == value


def test_ip_scrubbing_in_the_legacy_user_interface():
    payload = sample("java.json")
    result = scrubbed(payload, WITH_IPS)
    assert result["sentry.interfaces.User"]["ip_address"] == FILTERED
    assert result["sentry.interfaces.Http"]["env"]["REMOTE_ADDR"] == FILTERED


# --- configuration and bookkeeping -----------------------------------------------------------


def test_disabled_returns_an_unchanged_copy():
    payload = planted_event()
    result = scrub_event(payload, ScrubConfig(enabled=False))
    assert result == ScrubResult(payload, ())
    assert result.payload is not payload
    assert result.payload["extra"] is not payload["extra"]


def test_stackline_notes_are_merged_with_the_scrubbed_paths():
    payload = {"extra": {"password": "x"}, "_stackline": {"notes": ["level 'x' is unknown: set to error"]}}
    assert scrubbed(payload)["_stackline"] == {
        "notes": ["level 'x' is unknown: set to error"],
        "scrubbed": ["extra.password"],
    }


def test_nothing_scrubbed_adds_no_stackline_key():
    assert "_stackline" not in scrubbed({"extra": {"a": "b"}})


def test_absurd_nesting_is_filtered_without_recursion_errors():
    payload: dict = {"extra": {}}
    inner = payload["extra"]
    for _ in range(3000):
        inner["x"] = {}
        inner = inner["x"]
    inner["password"] = "DEEPSECRET"
    result = scrub_event(payload)
    assert b"DEEPSECRET" not in orjson.dumps(result.payload)
    assert len(result.scrubbed_paths) == 1


def test_a_payload_that_is_not_a_dict_is_the_callers_problem():
    with pytest.raises(ValueError):
        scrub_event(["not", "an", "event"])  # type: ignore[arg-type]


# --- the corpus ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_scrubs(name):
    payload = sample(name)
    result = scrub_event(payload, WITH_IPS)
    orjson.dumps(result.payload)
    assert payload == sample(name)


def test_the_modern_python_sample_has_nothing_to_scrub():
    payload = sample("python-modern.json")
    assert scrub_event(payload) == ScrubResult(payload, ())


def test_the_dsn_in_the_php_sample_loses_its_secret():
    result = scrub_event(sample("php.json"))
    assert result.scrubbed_paths == ("sentry.interfaces.Exception.values.0.stacktrace.frames.2.vars.dsn",)
    dsn = result.payload["sentry.interfaces.Exception"]["values"][0]["stacktrace"]["frames"][2]["vars"]["dsn"]
    assert FILTERED in dsn


# --- garbage in ------------------------------------------------------------------------------

_keys = st.sampled_from(["password", "headers", "cookies", "env", "ip_address", "x"]) | st.text(max_size=8)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
    max_leaves=25,
)
_top_keys = st.sampled_from(["request", "user", "extra", "tags", "_stackline", "sentry.interfaces.Http"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_top_keys | st.text(max_size=8), _json))
def test_any_dict_scrubs_without_error(payload):
    before = copy.deepcopy(payload)
    result = scrub_event(payload, WITH_IPS)
    assert payload == before
    assert isinstance(result.payload, dict)


# --- ids that happen to pass the Luhn check ----------------------------------------------------


def test_thread_ids_and_other_id_fields_are_not_card_numbers():
    # sentry-sdk puts every span's thread id (15 digits on Linux, as a string) under
    # `contexts.trace.data`; one in ten passes the Luhn check, which filtered it.
    thread_id = "139885532654462"  # passes the Luhn check
    assert scrub_event({"contexts": {}}).payload == {"contexts": {}}
    payload = {
        "contexts": {"trace": {"data": {"thread.id": thread_id, "thread.name": "MainThread"}}},
        "threads": {"values": [{"id": thread_id, "name": "MainThread"}]},
        "extra": {"order_id": "4111111111111111", "requestId": "5555555555554444", "id": thread_id},
        "tags": [["thread.id", thread_id]],
    }
    assert scrubbed(payload) == payload


def test_card_numbers_in_other_fields_and_text_are_still_filtered():
    payload = {
        "extra": {
            "card_number": "4111111111111111",
            "order_id": "card 4111 1111 1111 1111",
            "cc": "4111111111111111",
        }
    }
    assert scrubbed(payload)["extra"] == {
        "card_number": FILTERED,
        "order_id": f"card {FILTERED}",
        "cc": FILTERED,
    }


# --- the SDK's own annotations -------------------------------------------------------------------


def test_the_sdks_meta_annotations_are_kept_and_ours_merged_in():
    # sentry-sdk replaces what it withholds itself and says so under `_meta` (Sentry's format:
    # the path to the value, then `""` with the rules that removed or substituted it).
    sdk_meta = {
        "request": {
            "cookies": {"": {"rem": [["!config", "x"]]}},
            "data": {"": {"rem": [["!config", "x"]], "len": 2048}},
        }
    }
    payload = {
        "request": {"cookies": "", "data": "", "headers": {"Authorization": "Basic c2VjcmV0"}},
        "extra": {"password": "hunter2"},
        "_meta": sdk_meta,
    }
    meta = scrubbed(payload)["_meta"]
    assert meta["request"]["cookies"] == sdk_meta["request"]["cookies"]
    assert meta["request"]["data"] == sdk_meta["request"]["data"]
    assert meta["request"]["headers"]["Authorization"] == {"": {"rem": [["@stackline:filter", "s"]]}}
    assert meta["extra"]["password"] == {"": {"rem": [["@stackline:filter", "s"]]}}


def test_meta_is_added_only_when_something_was_scrubbed():
    assert "_meta" not in scrubbed({"extra": {"a": "b"}})
    assert scrubbed({"extra": {"password": "x"}})["_meta"] == {
        "extra": {"password": {"": {"rem": [["@stackline:filter", "s"]]}}}
    }
