"""Grouping v1: which issue an event belongs to, decided from its payload alone.

Rules, first match wins (as in Sentry): custom fingerprint (with `{{ default }}` expanded), in-app
stack frames, exception type + parameterized value, parameterized message, fallback. Also home of
the readers that find exceptions, frames and the message in modern and legacy (`sentry.interfaces.*`)
payloads, so `summary` reads events the same way.

Pure: no I/O. Total: it never raises on odd input; anything of the wrong shape counts as absent.
Any change to what these rules produce regroups events, so it needs a new GROUPING_CONFIG.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from itertools import islice
from typing import Any

GROUPING_CONFIG = "stackline:1"

# Long values are cut before parameterizing: grouping never needs more, and it bounds regex work.
_MAX_GROUPING_TEXT = 2048


@dataclass(frozen=True, slots=True)
class GroupingResult:
    hash: str  # 32 hex chars: md5 of the components
    variant: str  # "custom-fingerprint", "in-app-stacktrace", "exception", "message" or "fallback"
    components: tuple[str, ...]

    def to_data(self) -> dict[str, Any]:
        """As the facts and the read models record it, with the config that grouped it."""
        return {
            "config": GROUPING_CONFIG,
            "hash": self.hash,
            "variant": self.variant,
            "components": list(self.components),
        }


def group_event(event: dict[str, Any]) -> GroupingResult:
    if not isinstance(event, dict):
        event = {}
    variant, components = _default_grouping(event)
    fingerprint = _fingerprint(event)
    if fingerprint is not None and fingerprint != [_DEFAULT]:
        expanded: list[str] = []
        for part in fingerprint:
            expanded.extend(components if part is _DEFAULT else (part,))
        variant, components = "custom-fingerprint", tuple(expanded)
    return GroupingResult(_md5(components), variant, components)


def _default_grouping(event: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    exceptions = event_exceptions(event)
    platform = _text(event.get("platform"))
    frames = _in_app_components(exceptions, platform)
    if frames:
        return "in-app-stacktrace", frames
    typed = tuple(c for c in map(_type_and_value, exceptions) if c is not None)
    if typed:
        return "exception", typed
    # The template (`logentry.message`) before the formatted text, as Sentry does: `User %s not
    # found` groups every user together, its formatted text would not.
    message = event_message(event, template_first=True)
    if message is not None:
        return "message", (_clean(_parameterize_message(message)),)
    return "fallback", ("fallback",)


# --- custom fingerprints ---------------------------------------------------------------------

_DEFAULT = object()  # stands for `{{ default }}` in a parsed fingerprint
_DEFAULT_VARIABLE = re.compile(r"\{\{\s*default\s*\}\}")


def _fingerprint(event: dict[str, Any]) -> list[Any] | None:
    """The custom fingerprint as strings and _DEFAULT markers; None when absent or garbage."""
    raw = event.get("fingerprint")
    if not isinstance(raw, list) or not raw:
        return None
    parts: list[Any] = []
    for value in raw:
        text = _text(value)
        if text is None:
            return None
        parts.append(_DEFAULT if _DEFAULT_VARIABLE.fullmatch(text.strip()) else _clean(text))
    return parts


# --- in-app frames ---------------------------------------------------------------------------

_JAVASCRIPT = ("javascript", "node")
# Files that are engine internals rather than code: they differ between browsers for one error.
_ENGINE_FILES = ("[native code]", "native code", "eval code", "<anonymous>")
_UNKNOWN_FUNCTIONS = ("?", "<anonymous>", "<anonymous function>", "anonymous function")


def _in_app_components(exceptions: list[dict[str, Any]], platform: str | None) -> tuple[str, ...]:
    components: list[str] = []
    has_frame = False
    for exception in exceptions:
        previous: dict[str, Any] | None = None
        for frame in stack_frames(exception):
            recursive = previous is not None and _is_recursion(frame, previous)
            previous = frame
            if recursive:
                continue
            if frame.get("in_app") is True and (component := _frame_component(frame, platform)):
                components.append(component)
                has_frame = True
        if (exception_type := _text(exception.get("type"))) is not None:
            components.append(_clean(f"type:{exception_type}"))
    return tuple(components) if has_frame else ()


# A frame equal to the one before it in all of these is a recursive call and does not count, as
# in Sentry (`is_recursion_v1`): a recursive walk failing at depth 3 or at depth 17 is one issue.
# The line is part of the comparison, so the frame that fails (on another line) still counts.
_RECURSION_FIELDS = ("abs_path", "package", "module", "filename", "function", "lineno", "colno")


def _is_recursion(frame: dict[str, Any], previous: dict[str, Any]) -> bool:
    return all(frame.get(field) == previous.get(field) for field in _RECURSION_FIELDS)


def _frame_component(frame: dict[str, Any], platform: str | None) -> str | None:
    """`{module or file name}:{function}`, never a line number or source line."""
    filename = _text(frame.get("filename")) or _text(frame.get("abs_path")) or ""
    if filename in _ENGINE_FILES or _text(frame.get("abs_path")) in _ENGINE_FILES:
        return None
    function = _text(frame.get("function")) or ""
    if (_text(frame.get("platform")) or platform) in _JAVASCRIPT:
        # Browsers name one function differently (`Foo.testMethod` vs `testMethod`, Firefox's
        # `test/<` for an anonymous closure) and some add `eval` frames; see the xbrowser tests.
        function = function.rsplit(".", 1)[-1]
        if function == "eval":
            return None
        if function in _UNKNOWN_FUNCTIONS or function.endswith("/<"):
            function = ""
    location = _text(frame.get("module")) or _file_name(filename)
    if not location and not function:
        return None
    return _clean(f"{location}:{function}")


def _file_name(path: str) -> str:
    """The base name of a path or URL, without query or fragment.

    Only the base name, as Sentry does: deploy directories, build machines' checkouts and CDN
    hosts must not split a group.
    """
    if "://" in path:
        path = path.split("://", 1)[1]
        slash = path.find("/")
        path = path[slash:] if slash >= 0 else ""
        path = path.split("?", 1)[0].split("#", 1)[0]
    return re.split(r"[/\\]", path)[-1]


# --- exception type and value ----------------------------------------------------------------


def _type_and_value(exception: dict[str, Any]) -> str | None:
    exception_type = _text(exception.get("type"))
    value = _text(exception.get("value"))
    if exception_type is None and value is None:
        return None
    return _clean(f"{exception_type or ''}:{parameterize(value or '')}")


# --- parameterization ------------------------------------------------------------------------

# Up to the next white space, as Sentry does: paths, tokens and query strings vary per call.
_URL = re.compile(r"\b(?:wss?|https?|ftp)://[^\s/$.?#]\S*")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DATE = re.compile(
    # ISO 8601, and `str(datetime)`
    r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
    # `ctime()` / asctime: `Tue Mar  5 10:11:12 2024`
    rf"|\b(?:{_WEEKDAY}\s+)?{_MONTH}\s+[0-9]{{1,2}}\s+[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}\s+[0-9]{{4}}\b"
    # RFC 822 / 1123 / 2822 (e-mail and HTTP dates): `Tue, 05 Mar 2024 10:11:12 +0000` or `... GMT`
    rf"|\b(?:{_WEEKDAY},\s+)?[0-9]{{1,2}}\s+{_MONTH}\s+[0-9]{{2,4}}\s+[0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}})?"
    r"(?:\s+(?:[+-][0-9]{4}|UT|GMT|[ECMP][SD]T|Z)\b)?"
)
_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w]|\.[0-9])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9]*[a-fA-F])[0-9a-fA-F]{16,}\b")
_NUMBER = re.compile(r"(?<![A-Za-z_0-9.])[0-9]+(?:\.[0-9]+)*")
_QUOTED = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)|\"[^\"\n]*\"")


def parameterize(text: str) -> str:
    """Replace the parts of a text that vary between occurrences of one error with placeholders.

    `Timeout after 30s talking to 10.0.0.7` -> `Timeout after <int>s talking to <ip>`. Order
    matters: the specific shapes (url, uuid, email, date, ip, hex) go before plain numbers, and
    a URL goes first as a whole, whatever ids and addresses it holds.
    """
    text = text[:_MAX_GROUPING_TEXT]
    text = _URL.sub("<url>", text)
    text = _UUID.sub("<uuid>", text)
    text = _EMAIL.sub("<email>", text)
    text = _DATE.sub("<date>", text)
    text = _IPV4.sub("<ip>", text)
    text = _IPV6_CANDIDATE.sub(_ipv6_placeholder, text)
    text = _HEX.sub("<hex>", text)
    return _NUMBER.sub("<int>", text)


def _ipv6_placeholder(match: re.Match[str]) -> str:
    candidate = match.group()
    if any(c.isdigit() for c in candidate):  # keeps `abc::def` (a valid address) as a name
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            return candidate
        return "<ip>"
    return candidate


def _parameterize_message(message: str) -> str:
    """Messages also lose quoted values and everything past their first two non-empty lines."""
    lines = islice((line for line in message[:_MAX_GROUPING_TEXT].splitlines() if line.strip()), 2)
    return parameterize(_QUOTED.sub("<quoted>", "\n".join(lines)))


# --- readers for modern and legacy payloads (also used by summary) ----------------------------


_EXCEPTION_KEYS = {"type", "value", "stacktrace"}


def event_exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's exceptions, oldest first (Sentry lists the most recent last).

    Reads `exception` and the legacy `sentry.interfaces.Exception` (a `{"values": [...]}`
    object, a bare list or a single exception). Without exceptions, a top-level `stacktrace`
    (or `sentry.interfaces.Stacktrace`) becomes one pseudo exception without type or value, so
    its frames are found in the same place.
    """
    for key in ("exception", "sentry.interfaces.Exception"):
        raw = event.get(key)
        if isinstance(raw, dict) and "values" in raw:
            raw = raw["values"]
        elif isinstance(raw, dict) and _EXCEPTION_KEYS & raw.keys():
            raw = [raw]
        if isinstance(raw, list) and (exceptions := [e for e in raw if isinstance(e, dict)]):
            return exceptions
    for key in ("stacktrace", "sentry.interfaces.Stacktrace"):
        stacktrace = event.get(key)
        if isinstance(stacktrace, dict):
            return [{"stacktrace": stacktrace}]
    return []


def stack_frames(exception: dict[str, Any]) -> list[dict[str, Any]]:
    """The frames of an exception's `stacktrace`, oldest first (never `raw_stacktrace`)."""
    stacktrace = exception.get("stacktrace")
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return []
    return [frame for frame in frames if isinstance(frame, dict)]


def event_message(event: dict[str, Any], *, template_first: bool = False) -> str | None:
    """The event's message from `logentry`, `message` (string or object) or the legacy
    `sentry.interfaces.Message`: the formatted text, or with template_first its template."""
    keys = ("message", "formatted") if template_first else ("formatted", "message")
    for source in (event.get("logentry"), event.get("message"), event.get("sentry.interfaces.Message")):
        if isinstance(source, dict):
            for key in keys:
                if isinstance(text := source.get(key), str) and text.strip():
                    return text
        elif isinstance(source, str) and source.strip():
            return source
    return None


# --- small helpers ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A non-empty string, with numbers accepted as their text; anything else is absent."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _clean(text: str) -> str:
    """Without NUL characters or lone surrogates, which SQL stores and UTF-8 cannot hold."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _md5(components: tuple[str, ...]) -> str:
    encoded = json.dumps(list(components)).encode("ascii")
    return hashlib.md5(encoded, usedforsecurity=False).hexdigest()
