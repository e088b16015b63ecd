"""Server-side data scrubbing: secrets and personal data replaced by `[Filtered]` before storage.

Two kinds of rules, as in Sentry's data scrubber (written here from its public documentation):

- by key: the value of any mapping key whose name contains a sensitive word (`password`,
  `token`, `auth`, …, plus `ScrubConfig.sensitive_fields`) is replaced whole, at any depth, and
  so is the value of a `[key, value]` pair (tags, headers and query strings sent as lists);
  `request.cookies` loses every value, and `request.headers` its credentials (`Authorization`,
  `Cookie`, `Set-Cookie`, `X-Api-Key`, `Proxy-Authorization`) whatever the word list says.
- by content: in every string, wherever it is (messages, exception values, frame variables,
  URLs, query strings), only the matching part is replaced: credit card numbers (Luhn-checked),
  IBANs (mod-97-checked), `Bearer` tokens, `password=…`-style pairs (the key is kept), URL
  passwords (`https://user:[Filtered]@host`), and with `scrub_ip_addresses` IP addresses.

Keys named in `ScrubConfig.safe_fields` (exact name, any case) keep their whole value untouched:
a safe field wins over every rule, as in Sentry.

Ids are not card numbers: a value made only of digits under a key named like an id (`id`,
`thread.id`, `order_id`, `requestId`) is kept, since the SDK's 15-digit thread ids pass the
Luhn check one time in ten; numbers (JSON integers) are never scanned, as Relay's card rule
applies to strings only.

The SDK's own annotations (`_meta`: what it removed or substituted, in Sentry's format) are kept,
their key names not judged (only their strings scanned), and every value scrubbed here is
annotated there too (`{"": {"rem": [["@stackline:filter", "s"]]}}` at its path), beside the
dotted paths under `_stackline.scrubbed`.

Pure: no I/O. It returns a new dict and never mutates its input. It runs on every ingested event,
so it walks the payload once, with regexes compiled once per configuration and a cheap test
before the expensive ones. Total: it never raises on odd input.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

FILTERED = "[Filtered]"
DEFAULT_SENSITIVE_FIELDS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "api_key",
    "apikey",
    "access_token",
    "auth",
    "credentials",
    "mysql_pwd",
    "privatekey",
    "private_key",
    "token",
    "session",
    "cookie",
    "csrf",
    "set-cookie",
    "x-api-key",
)
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"})
STACKLINE_KEY = "_stackline"
META_KEY = "_meta"
SUBSTITUTED = ["@stackline:filter", "s"]  # Sentry's remark: rule id, "s" for substituted
# Keys that name an id: `id`, `thread.id`, `order_id`, `span-id`, `requestId`, `tid`.
_ID_KEY = re.compile(r"(?:^|[._\-])(?i:id)$|[a-z]Id$|^(?i:tid|pid)$")
# Beyond this nesting a payload is garbage (normalize_event cuts it at 64); rather than recurse
# further, the whole subtree is filtered, so depth can neither crash us nor hide a secret.
MAX_DEPTH = 128


@dataclass(frozen=True, slots=True)
class ScrubConfig:
    enabled: bool = True
    scrub_ip_addresses: bool = False
    sensitive_fields: tuple[str, ...] = ()
    safe_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScrubResult:
    payload: dict[str, Any]
    scrubbed_paths: tuple[str, ...]


def scrub_event(payload: dict[str, Any], config: ScrubConfig = ScrubConfig()) -> ScrubResult:
    """A scrubbed copy of `payload`, and the dotted paths of the values it changed.

    The paths are also recorded in the payload under `_stackline.scrubbed` (merged with what is
    there). With `config.enabled` false the copy is unchanged and no path is recorded.
    """
    if not isinstance(payload, dict):
        raise ValueError(f"an event payload must be a JSON object, not {type(payload).__name__}")
    if not config.enabled:
        return ScrubResult(_copy(payload), ())
    walk = _Walk(_rules(config))
    scrubbed = walk.event(payload)
    paths = tuple(walk.scrubbed)
    if paths:
        previous = scrubbed.get(STACKLINE_KEY)
        marker = dict(previous) if isinstance(previous, dict) else {}
        earlier = marker.get("scrubbed")
        marker["scrubbed"] = [*(earlier if isinstance(earlier, list) else ()), *paths]
        scrubbed[STACKLINE_KEY] = marker
        meta = scrubbed.get(META_KEY)
        scrubbed[META_KEY] = _annotate(meta if isinstance(meta, dict) else {}, walk.scrubbed_keys)
    return ScrubResult(scrubbed, paths)


def _annotate(meta: dict[str, Any], paths: list[tuple[Any, ...]]) -> dict[str, Any]:
    """`meta` (a copy the walk made) with a substitution remark at each scrubbed path, merged
    with whatever the SDK said there."""
    for path in paths:
        if not path or path[0] == META_KEY:
            continue
        node = meta
        for part in path:
            child = node.get(str(part))
            if not isinstance(child, dict):
                child = node[str(part)] = {}
            node = child
        remarks = node.get("")
        if not isinstance(remarks, dict):
            remarks = node[""] = {}
        rem = remarks.get("rem")
        if not isinstance(rem, list):
            rem = remarks["rem"] = []
        if SUBSTITUTED not in rem:
            rem.append(list(SUBSTITUTED))
    return meta


# --- rules compiled per configuration --------------------------------------------------------

_NORMAL, _SENSITIVE, _SAFE = 0, 1, 2
_KEY_CACHE_LIMIT = 4096

# Every pattern starts with the character class its match must begin with (lookbehinds come
# after it), so the regex engine skips ahead in C; and every repetition is bounded or
# possessive, so no input makes a pattern backtrack for long.

# `key=value`, `key = value`, `"key": "value"`, `'key': 'value'`: a key (a whole word, read once
# from its start, so linear), then `=`, or a colon only after a quoted key (JSON, Python reprs;
# `token: expired` in prose is not a pair). Whether the key is sensitive is decided in Python,
# by the same rule as for mapping keys.
_KEY_VALUE = re.compile(
    r"(?P<key>[\w.\-](?<![\w.\-][\w.\-])[\w.\-]*+)(?P<quote>[\"'])?\s*(?(quote)[=:]|=)(?!=)\s*"
    r"(?P<value>\"(?:[^\"\\]|\\.){0,4096}+\"|'(?:[^'\\]|\\.){0,4096}+'"
    r"|(?i:(?:bearer|basic)\s+)?[^\s&;,\"']{1,4096}+)"
)
# `https://user:password@host`: the password, up to the last `@` before the path.
_USERINFO = re.compile(
    r"[A-Za-z](?<![\w.+\-][A-Za-z])[A-Za-z0-9+.\-]{0,30}+://[^\s:/?#@\[\]]{0,256}+:(?P<password>[^\s/?#]{1,256})@"
)
_BEARER = re.compile(r"[Bb](?<!\w[Bb])(?i:earer)\s+(?P<token>[A-Za-z0-9\-._~+/]{8,4096}+=*)")
# Card numbers: 13 to 19 digits, single spaces or dashes between them, not part of a longer
# number, a word, or a decimal (a float's repr has up to 17 digits).
_CARD = re.compile(r"[0-9](?<![\w.][0-9])(?<![0-9][ -][0-9])(?:[ -]?[0-9]){12,18}(?!\w|[ -][0-9]|\.[0-9])")
# IBAN: country letters, check digits, then 11 to 30 letters or digits, grouped by single spaces
# or not at all; the callback keeps the longest prefix that passes the mod-97 check.
_IBAN = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?: ?[A-Z0-9]{1,4}+){3,9}(?![A-Za-z0-9])")
_IPV4 = re.compile(r"[0-9](?<![\w.][0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?!\w|\.[0-9])")
_IPV6 = re.compile(
    r"[0-9A-Fa-f:](?<![\w:.][0-9A-Fa-f:])[0-9A-Fa-f]{0,3}+(?::[0-9A-Fa-f]{0,4}+){1,7}(?![\w:])"
)
_TWO_DIGITS = re.compile(r"[0-9][^0-9]*+[0-9]")
# A string's shape, to skip the card and IBAN patterns where they cannot match (timestamps,
# versions, addresses: most strings with digits): ASCII digits, spaces and dashes become `0`,
# capitals `A`, other ASCII `x`, the rest stays. A card number is 13 or more of `0`; an IBAN
# starts with `AA00`. str.translate maps ASCII text in C, cheaper than either pattern.
_SHAPE = "".join(
    "0" if char.isdigit() or char in " -" else "A" if "A" <= char <= "Z" else "x"
    for char in map(chr, range(128))
)
_CARD_SHAPE = "0" * 13
_IBAN_SHAPE = "AA00"


class _Rules:
    """Everything that depends on the configuration, built once per configuration."""

    def __init__(self, config: ScrubConfig) -> None:
        words = (*DEFAULT_SENSITIVE_FIELDS, *config.sensitive_fields)
        words = tuple(dict.fromkeys(word.strip().lower() for word in words if word.strip()))
        self.sensitive_key = re.compile("|".join(map(re.escape, words)), re.IGNORECASE)
        # The words that contain no other word: a text holds a sensitive word iff it holds one
        # of these (`password` and `mysql_pwd` need not both be searched for).
        self.minimal_words = tuple(word for word in words if not any(o != word and o in word for o in words))
        self.safe_keys = frozenset(field.strip().lower() for field in config.safe_fields)
        self.scrub_ips = config.scrub_ip_addresses
        self.key_kinds: dict[str, int] = {}

    def classify(self, key: str) -> int:
        kind = self.key_kinds.get(key)
        if kind is None:
            if key.lower() in self.safe_keys:
                kind = _SAFE
            elif self.sensitive_key.search(key):
                kind = _SENSITIVE
            else:
                kind = _NORMAL
            if len(self.key_kinds) >= _KEY_CACHE_LIMIT:  # keys come from the internet: bounded
                self.key_kinds.clear()
            self.key_kinds[key] = kind
        return kind

    def scrub_text(self, text: str) -> str:
        """`text` with its sensitive parts replaced; the same object when nothing was found.

        Each rule runs only when the string has what a match needs (`=` or a quoted colon, `://`
        and `@`, the letters of `bearer`, two digits), which rules out most strings at C speed.
        """
        scrubbed = text
        if ("=" in scrubbed or (":" in scrubbed and ('"' in scrubbed or "'" in scrubbed))) and self._mentions(
            scrubbed
        ):
            scrubbed = _KEY_VALUE.sub(self._key_value, scrubbed)
        if "://" in scrubbed and "@" in scrubbed:
            scrubbed = _USERINFO.sub(_filter_password, scrubbed)
        if "earer" in scrubbed or "EARER" in scrubbed:
            scrubbed = _BEARER.sub(_filter_token, scrubbed)
        if _TWO_DIGITS.search(scrubbed):
            shape = scrubbed.translate(_SHAPE)
            if _CARD_SHAPE in shape:
                scrubbed = _CARD.sub(_filter_card, scrubbed)
            if _IBAN_SHAPE in shape:
                scrubbed = _IBAN.sub(_filter_iban, scrubbed)
            if self.scrub_ips:
                scrubbed = _IPV4.sub(_filter_ipv4, scrubbed)
        if self.scrub_ips and scrubbed.count(":") >= 2:
            scrubbed = _IPV6.sub(_filter_ipv6, scrubbed)
        return text if scrubbed == text else scrubbed

    def _mentions(self, text: str) -> bool:
        """Whether `text` holds a sensitive word (in any case), so that one of its pairs may
        have a sensitive key. Substring searches in C; far cheaper than the pairs' regex."""
        lowered = text.lower()
        for word in self.minimal_words:
            if word in lowered:
                return True
        return False

    def _key_value(self, match: re.Match[str]) -> str:
        if self.classify(match.group("key")) != _SENSITIVE:
            return match.group()
        return _replace_group(match, "value", _quoted(match.group("value")))


@lru_cache(maxsize=32)
def _rules(config: ScrubConfig) -> _Rules:
    return _Rules(config)


def _replace_group(match: re.Match[str], group: str, replacement: str) -> str:
    """The match's text with one of its groups replaced."""
    start, end = match.span(group)
    offset = match.start()
    text = match.group()
    return text[: start - offset] + replacement + text[end - offset :]


def _quoted(value: str) -> str:
    """FILTERED, inside the same quotes as `value` had."""
    if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
        return value[0] + FILTERED + value[0]
    return FILTERED


def _filter_password(match: re.Match[str]) -> str:
    return _replace_group(match, "password", FILTERED)


def _filter_token(match: re.Match[str]) -> str:
    return _replace_group(match, "token", FILTERED)


def _filter_card(match: re.Match[str]) -> str:
    return FILTERED if _is_card_number(match.group()) else match.group()


def _filter_ipv4(match: re.Match[str]) -> str:
    return FILTERED if all(int(part) <= 255 for part in match.group().split(".")) else match.group()


def _filter_ipv6(match: re.Match[str]) -> str:
    return FILTERED if _is_ipv6(match.group()) else match.group()


def _is_card_number(candidate: str) -> bool:
    groups = candidate.replace("-", " ").split(" ")
    if len(groups) > 1:
        # Card numbers are printed in fours (or 4-6-5 / 4-6-4); this keeps other digit groups,
        # such as the all-digit parts of a UUID, from looking like one.
        lengths = [len(group) for group in groups]
        fours = all(length == 4 for length in lengths[:-1]) and 1 <= lengths[-1] <= 4
        if not fours and lengths not in ([4, 6, 5], [4, 6, 4]):
            return False
    return _luhn("".join(groups))


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _filter_iban(match: re.Match[str]) -> str:
    """The longest prefix (ending at a group boundary) that is a valid IBAN, filtered.

    The regex may have taken one or two following short words (`DE89 3704 … 00 OK`) as groups.
    """
    candidate = match.group()
    ends = [index for index, char in enumerate(candidate) if char == " "] + [len(candidate)]
    for end in reversed(ends[-3:]):
        compact = candidate[:end].replace(" ", "")
        if 15 <= len(compact) <= 34 and _iban_checksum_ok(compact):
            return FILTERED + candidate[end:]
    return candidate


# ISO 13616: letters count as 10 (A) to 35 (Z) in the check-digit computation.
_IBAN_DIGITS = str.maketrans({chr(ord("A") + index): str(10 + index) for index in range(26)})


def _iban_checksum_ok(compact: str) -> bool:
    return int((compact[4:] + compact[:4]).translate(_IBAN_DIGITS)) % 97 == 1


def _is_ipv6(candidate: str) -> bool:
    if "::" not in candidate and candidate.count(":") != 7:
        return False  # cheaply: no valid address has fewer than eight groups without `::`
    if not any(char.isdigit() for char in candidate):
        return False  # `abc::def` is a valid address but far more often a name
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


# --- the walk --------------------------------------------------------------------------------


class _Walk:
    """One recursive copy of the payload that applies the rules on the way.

    `path` is the stack of keys and indexes down to the current container; it is joined into
    a dotted path only for a value that gets scrubbed, which keeps the common case cheap.
    """

    __slots__ = ("rules", "path", "scrubbed", "scrubbed_keys")

    def __init__(self, rules: _Rules) -> None:
        self.rules = rules
        self.path: list[Any] = []
        self.scrubbed: list[str] = []
        self.scrubbed_keys: list[tuple[Any, ...]] = []

    def record(self, *tail: Any) -> None:
        keys = (*self.path, *tail)
        self.scrubbed.append(".".join(map(str, keys)))
        self.scrubbed_keys.append(keys)

    def event(self, payload: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        path = self.path
        for key, value in payload.items():
            if key == "modules":
                out[key] = _copy(value)  # package names and versions: nothing to hide
            elif key == META_KEY:
                path.append(key)
                out[key] = self.annotations(value, 1)
                path.pop()
            elif key in _REQUEST_KEYS and isinstance(value, dict):
                path.append(key)
                out[key] = self.request(value)
                path.pop()
            elif key in _USER_KEYS and isinstance(value, dict) and self.rules.scrub_ips:
                path.append(key)
                out[key] = self.mapping(value, 1, _IP_ADDRESS)
                path.pop()
            else:
                out[key] = self.entry(key, value, 0)
        return out

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        path = self.path
        for key, value in request.items():
            if key == "cookies":
                path.append(key)
                out[key] = self.every_value(value)
                path.pop()
            elif key == "headers":
                path.append(key)
                out[key] = self.value(value, 2, SENSITIVE_HEADERS)
                path.pop()
            elif key == "env" and self.rules.scrub_ips:
                path.append(key)
                out[key] = self.value(value, 2, _REMOTE_ADDR)
                path.pop()
            else:
                out[key] = self.entry(key, value, 1)
        return out

    def entry(self, key: Any, value: Any, depth: int, forced: frozenset[str] = frozenset()) -> Any:
        """The value under `key` (in a mapping or a pair): filtered whole, kept whole, or walked."""
        if type(key) is str:
            kind = self.rules.key_kinds.get(key)
            if kind is None:
                kind = self.rules.classify(key)
            if forced and kind != _SAFE and key.lower() in forced:
                kind = _SENSITIVE
            if kind == _SENSITIVE:
                return self.filtered(value, key)
            if kind == _SAFE:
                return _copy(value)
        if type(value) is str:
            if len(value) < _SHORTEST_MATCH:
                return value
            if value.isdigit() and type(key) is str and _ID_KEY.search(key):
                return value  # an id, not a card number (see the module's docstring)
            scrubbed = self.rules.scrub_text(value)
            if scrubbed is not value:
                self.record(key)
            return scrubbed
        if isinstance(value, (dict, list)):
            self.path.append(key)
            value = self.value(value, depth + 1)
            self.path.pop()
        return value

    def value(self, value: Any, depth: int, forced: frozenset[str] = frozenset()) -> Any:
        """A value whose key (if any) has already been judged."""
        if isinstance(value, str):
            scrubbed = self.rules.scrub_text(value) if len(value) >= _SHORTEST_MATCH else value
            if scrubbed is not value:
                self.record()
            return scrubbed
        if isinstance(value, dict):
            return self.mapping(value, depth, forced)
        if isinstance(value, list):
            return self.sequence(value, depth, forced)
        return value

    def mapping(self, mapping: dict[Any, Any], depth: int, forced: frozenset[str] = frozenset()) -> Any:
        if depth > MAX_DEPTH:
            self.record()
            return FILTERED
        if forced:
            return {key: self.entry(key, value, depth, forced) for key, value in mapping.items()}
        # What `entry` does, inlined for the common case (a key already judged normal, a scalar
        # value): most values of a payload take this path, and a call per value is its cost.
        kinds = self.rules.key_kinds
        scrub_text = self.rules.scrub_text
        out: dict[Any, Any] = {}
        for key, value in mapping.items():
            kind = type(value)
            if kind is str:
                if type(key) is not str or kinds.get(key) != _NORMAL:
                    out[key] = self.entry(key, value, depth)
                elif len(value) < _SHORTEST_MATCH or (value.isdigit() and _ID_KEY.search(key)):
                    out[key] = value
                else:
                    scrubbed = scrub_text(value)
                    if scrubbed is not value:
                        self.record(key)
                    out[key] = scrubbed
            elif kinds.get(key) != _NORMAL:
                out[key] = self.entry(key, value, depth)
            elif kind is dict:
                self.path.append(key)
                out[key] = self.mapping(value, depth + 1)
                self.path.pop()
            elif kind is list:
                self.path.append(key)
                out[key] = self.sequence(value, depth + 1)
                self.path.pop()
            elif kind is int or kind is float or kind is bool or value is None:
                out[key] = value
            else:
                out[key] = self.entry(key, value, depth)
        return out

    def sequence(self, items: list[Any], depth: int, forced: frozenset[str] = frozenset()) -> Any:
        if depth > MAX_DEPTH:
            self.record()
            return FILTERED
        out: list[Any] = []
        for index, item in enumerate(items):
            if type(item) is list and len(item) == 2 and type(item[0]) is str:
                # A `[key, value]` pair (tags, headers, query strings, cookies sent as lists):
                # its value is judged by its key like a mapping's, and its path names the key.
                key = item[0]
                name = self.rules.scrub_text(key) if len(key) >= _SHORTEST_MATCH else key
                if name is not key:
                    self.record(index, 0)
                out.append([name, self.entry(key, item[1], depth, forced)])
            elif type(item) is dict:  # what `entry` does with an index and a mapping, inlined
                self.path.append(index)
                out.append(self.mapping(item, depth + 1))
                self.path.pop()
            else:
                out.append(self.entry(index, item, depth))
        return out

    def annotations(self, value: Any, depth: int) -> Any:
        """The SDK's `_meta`: copied with its key names unjudged (they name the fields it
        annotates, `cookies` or `password` among them), its strings scanned."""
        if depth > MAX_DEPTH:
            self.record()
            return FILTERED
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                self.path.append(key)
                out[key] = self.annotations(item, depth + 1)
                self.path.pop()
            return out
        if isinstance(value, list):
            items = []
            for index, item in enumerate(value):
                self.path.append(index)
                items.append(self.annotations(item, depth + 1))
                self.path.pop()
            return items
        if isinstance(value, str) and len(value) >= _SHORTEST_MATCH:
            scrubbed = self.rules.scrub_text(value)
            if scrubbed is not value:
                self.record()
            return scrubbed
        return value

    def filtered(self, value: Any, *tail: Any) -> Any:
        """FILTERED in place of a value that could hold a secret; booleans and empties stay."""
        if value is None or isinstance(value, bool) or value == FILTERED or value in ("", [], {}):
            return _copy(value)
        self.record(*tail)
        return FILTERED

    def every_value(self, cookies: Any) -> Any:
        """`request.cookies`: names kept, every value filtered, whatever the shape."""
        if isinstance(cookies, dict):
            return {key: self.filtered(value, key) for key, value in cookies.items()}
        if isinstance(cookies, list):
            items: list[Any] = []
            for index, item in enumerate(cookies):
                if isinstance(item, list) and len(item) == 2:
                    name = item[0] if isinstance(item[0], str) else index
                    items.append([_copy(item[0]), self.filtered(item[1], name)])
                else:
                    items.append(self.filtered(item, index))
            return items
        return self.filtered(cookies)


_SHORTEST_MATCH = 3  # `::1`; nothing shorter can hold a match
_IP_ADDRESS = frozenset({"ip_address"})
# The legacy names too: scrubbing may run before normalize_event has renamed them.
_REQUEST_KEYS = frozenset({"request", "sentry.interfaces.Http"})
_USER_KEYS = frozenset({"user", "sentry.interfaces.User"})
_REMOTE_ADDR = frozenset({"remote_addr"})


def _copy(value: Any) -> Any:
    """A deep copy of JSON data, without recursion (any depth)."""
    if not isinstance(value, (dict, list)):
        return value
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        pairs = source.items() if isinstance(source, dict) else enumerate(source)
        for key, item in pairs:
            if isinstance(item, dict):
                child: Any = {}
                stack.append((item, child))
            elif isinstance(item, list):
                child = []
                stack.append((item, child))
            else:
                child = item
            if isinstance(target, dict):
                target[key] = child
            else:
                target.append(child)
    return root
