"""Normalization of an event payload before it is stored, in the spirit of Sentry's ingestion.

What an SDK sends is coerced into one shape: a 32-hex `event_id`, float unix timestamps within a
sane window of the time it was received, one of five levels, a known platform, tags as `[key,
value]` pairs, modern interface names instead of the legacy `sentry.interfaces.*` ones, a
`logentry` for the message, and bounded sizes (long strings, breadcrumbs, stack frames, deep
`extra` / `contexts`). Field names and limits follow Sentry's public protocol documentation
(develop.sentry.dev, "Event Payloads"); the code is our own.

Pure: no I/O, no framework imports. It returns a new dict and never mutates its input. Total: any
dict normalizes, whatever it holds; what cannot be used is dropped or coerced, and every change
that loses or rewrites data is described by a short note (in `NormalizedEvent.notes` and under
`_stackline.notes` in the payload). Only a payload that is not a dict raises (`ValueError`).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_STRING = 16 * 1024  # characters, for any string anywhere in the payload
MAX_TAG_KEY = 200
MAX_TAG_VALUE = 200
MAX_ENVIRONMENT = 64
MAX_RELEASE = 200
MAX_DIST = 64
MAX_BREADCRUMBS = 100
MAX_FRAMES = 250  # per stack trace: the oldest half and the newest half are kept
MAX_DATA_DEPTH = 10  # levels of nesting below `extra` and `contexts`
MAX_DEPTH = 64  # levels of nesting anywhere else; deeper is garbage, and bounds our recursion
MAX_PAST_SECONDS = 30 * 24 * 3600
MAX_FUTURE_SECONDS = 60
MAX_NOTES = 50
TOO_DEEP = "[Truncated: too deep]"
ELLIPSIS = "…"

PLATFORMS = frozenset(
    "as c cfml cocoa csharp elixir haskell go groovy java javascript native node objc other perl php python "
    "ruby".split()
)
LEVELS = {
    "fatal": "fatal",
    "critical": "fatal",
    "error": "error",
    "warning": "warning",
    "warn": "warning",
    "info": "info",
    "log": "info",
    "debug": "debug",
}
# Python's logging levels, which some SDKs and hand-written clients send as numbers.
NUMERIC_LEVELS = {50: "fatal", 40: "error", 30: "warning", 20: "info", 10: "debug"}
LEGACY_INTERFACES = {
    "sentry.interfaces.Exception": "exception",
    "sentry.interfaces.Stacktrace": "stacktrace",
    "sentry.interfaces.Message": "logentry",
    "sentry.interfaces.Http": "request",
    "sentry.interfaces.User": "user",
    "sentry.interfaces.Breadcrumbs": "breadcrumbs",
    "sentry.interfaces.Template": "template",
    "sentry.interfaces.Csp": "csp",
}
USER_FIELDS = ("id", "email", "ip_address", "username", "name", "geo", "data", "segment")
AUTO_IP = "{{auto}}"
# The key under which stackline (never the SDK) records what it did to an event.
STACKLINE_KEY = "_stackline"

# datetime.fromtimestamp handles up to the end of year 9999; beyond that is garbage anyway.
_LATEST_TIMESTAMP = 253402300799.0
# What JSON encoders (orjson among them) and SQL stores accept as an integer.
_SMALLEST_INT, _LARGEST_INT = -(2**63), 2**64 - 1
_EXCEPTION_KEYS = frozenset({"type", "value", "stacktrace", "module", "mechanism"})


@dataclass(frozen=True, slots=True)
class NormalizedEvent:
    payload: dict[str, Any]
    notes: tuple[str, ...]


def normalize_event(
    payload: dict[str, Any],
    *,
    received_at: float,
    client_ip: str | None = None,
    keep_ip: bool = True,
    event_id: str | None = None,
    consume: bool = False,
) -> NormalizedEvent:
    """A normalized copy of `payload`. `event_id`, when given, wins over the payload's own.

    With `consume`, the caller hands `payload` over (ingest, which copies the result again when it
    scrubs it): when nothing in it breaks a size or depth limit, which is the usual case, it is
    normalized in place instead of copied first, so the result shares its containers and the
    input is changed. The result is the same either way.
    """
    if not isinstance(payload, dict):
        raise ValueError(f"an event payload must be a JSON object, not {type(payload).__name__}")
    notes = _Notes()
    if consume and STACKLINE_KEY not in payload and _fits_event(payload):
        event = payload
    else:
        event = _copy_event(payload, notes)
    event = _rename_legacy_interfaces(event, notes)

    event["event_id"] = _event_id(event_id if event_id is not None else event.get("event_id"), notes)
    _normalize_timestamps(event, received_at, notes)
    event["received"] = received_at
    event["level"] = _level(event.get("level"), event.get("type"), notes)
    event["platform"] = _platform(event.get("platform"), notes)
    event["tags"] = _tags(event.get("tags"), notes)
    for field, limit in (("environment", MAX_ENVIRONMENT), ("release", MAX_RELEASE), ("dist", MAX_DIST)):
        _short_string_field(event, field, limit, notes)
    _normalize_user(event, client_ip, keep_ip, notes)
    _normalize_request(event, keep_ip, notes)
    _normalize_logentry(event, notes)
    _normalize_exceptions(event, notes)
    _normalize_breadcrumbs(event, notes)
    _trim_all_stacktraces(event, notes)

    if notes.items:
        event[STACKLINE_KEY] = {"notes": list(notes.items)}
    return NormalizedEvent(event, tuple(notes.items))


class _Notes:
    """A bounded list of notes: a hostile payload must not make the notes bigger than itself."""

    __slots__ = ("items", "dropped")

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, note: str) -> None:
        if len(self.items) < MAX_NOTES:
            self.items.append(note)
            return
        self.dropped += 1
        summary = f"… and {self.dropped} more changes"
        if self.dropped == 1:
            self.items.append(summary)
        else:
            self.items[-1] = summary


# --- the copy, with string and depth limits --------------------------------------------------


def _copy_event(payload: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    event: dict[str, Any] = {}
    for key, value in payload.items():
        key = key if isinstance(key, str) else str(key)
        if key == STACKLINE_KEY:
            # Ours alone: an SDK must not be able to forge what stackline says it did.
            notes.add(f"dropped the client-supplied {STACKLINE_KEY}")
            continue
        depth = MAX_DATA_DEPTH + 1 if key in ("extra", "contexts") else MAX_DEPTH
        event[key] = _copy(value, [key], depth, notes)
    return event


def _copy(value: Any, path: list[str], depth_left: int, notes: _Notes) -> Any:
    """A deep copy of JSON data; long strings cut, containers below `depth_left` levels replaced."""
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            notes.add(f"{_dotted(path)}: cut a string of {len(value)} characters to {MAX_STRING}")
            return _truncate(value, MAX_STRING)
        return value
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        if _SMALLEST_INT <= value <= _LARGEST_INT:
            return value
        notes.add(f"{_dotted(path)}: an integer beyond 64 bits became text")
        try:
            return str(value)
        except ValueError:  # more digits than Python converts to text
            return None
    if isinstance(value, (dict, list, tuple)):
        if depth_left <= 0:
            notes.add(f"{_dotted(path)}: replaced data nested too deep")
            return TOO_DEEP
        if isinstance(value, dict):
            copied: dict[str, Any] = {}
            for key, item in value.items():
                key = key if isinstance(key, str) else str(key)
                path.append(key)
                copied[key] = _copy(item, path, depth_left - 1, notes)
                path.pop()
            return copied
        items: list[Any] = []
        for index, item in enumerate(value):
            path.append(str(index))
            items.append(_copy(item, path, depth_left - 1, notes))
            path.pop()
        return items
    notes.add(f"{_dotted(path)}: dropped a value of type {type(value).__name__}")
    return None


def _fits_event(payload: dict[str, Any]) -> bool:
    """Whether `_copy_event` would change nothing in `payload` (and record no note)."""
    for key, value in payload.items():
        if type(key) is not str:
            return False
        if not _fits(value, MAX_DATA_DEPTH + 1 if key in ("extra", "contexts") else MAX_DEPTH):
            return False
    return True


def _fits(value: Any, depth_left: int) -> bool:
    """Whether `_copy(value, ..., depth_left, ...)` would give an equal value and no note: the
    same walk, without building anything or tracking the path. Anything unusual (a tuple, a
    subclass, another type) answers False and so takes the copy."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_STRING
    if kind is dict:
        if depth_left <= 0:
            return False
        depth_left -= 1
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind is str:
                if len(item) > MAX_STRING:
                    return False
            elif kind is float or kind is bool or item is None:
                continue
            elif not _fits(item, depth_left):
                return False
        return True
    if kind is list:
        if depth_left <= 0:
            return False
        depth_left -= 1
        for item in value:
            kind = type(item)
            if kind is str:
                if len(item) > MAX_STRING:
                    return False
            elif kind is float or kind is bool or item is None:
                continue
            elif not _fits(item, depth_left):
                return False
        return True
    if kind is int:
        return bool(_SMALLEST_INT <= value <= _LARGEST_INT)
    return value is None or kind is float or kind is bool


def _dotted(path: list[str]) -> str:
    return ".".join(path)


def _truncate(text: str, limit: int) -> str:
    """At most `limit` characters, the last of them an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


# --- legacy interface names ------------------------------------------------------------------


def _rename_legacy_interfaces(event: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    if not any(key in LEGACY_INTERFACES for key in event):
        return event
    renamed: dict[str, Any] = {}
    for key, value in event.items():
        modern = LEGACY_INTERFACES.get(key)
        if modern is None:
            renamed[key] = value
        elif modern in event:
            notes.add(f"dropped {key}: the event also has {modern}")
        else:
            renamed[modern] = value  # in the legacy key's place, so the order of keys is kept
            notes.add(f"renamed {key} to {modern}")
    return renamed


# --- scalar fields ---------------------------------------------------------------------------


def _event_id(raw: Any, notes: _Notes) -> str:
    if isinstance(raw, str):
        try:
            return uuid.UUID(raw.strip()).hex  # accepts dashes, braces, upper case
        except ValueError:
            pass
    if raw is not None:
        notes.add("event_id was not a UUID: generated a new one")
    return uuid.uuid4().hex


def _normalize_timestamps(event: dict[str, Any], received_at: float, notes: _Notes) -> None:
    """`timestamp` (and a transaction's `start_timestamp`) as float unix seconds.

    A timestamp more than 30 days old or more than a minute ahead of the time the event was
    received is a wrong clock or a replayed event: it is set to `received_at`, and
    `start_timestamp` moves by the same amount so a transaction keeps its duration.
    """
    original = _unix_seconds(event.get("timestamp"))
    timestamp = received_at if original is None else original
    if original is None:
        if event.get("timestamp") is not None:
            notes.add("timestamp was not a valid time: set to the time received")
    elif original < received_at - MAX_PAST_SECONDS:
        notes.add("timestamp was more than 30 days in the past: set to the time received")
        timestamp = received_at
    elif original > received_at + MAX_FUTURE_SECONDS:
        notes.add("timestamp was more than 60 seconds in the future: set to the time received")
        timestamp = received_at
    event["timestamp"] = timestamp

    if "start_timestamp" not in event:
        if event.get("type") == "transaction":
            event["start_timestamp"] = timestamp
        return
    start = _unix_seconds(event.get("start_timestamp"))
    if start is None:
        if event.get("start_timestamp") is not None:
            notes.add("start_timestamp was not a valid time: set to timestamp")
        event["start_timestamp"] = timestamp
        return
    if original is not None:
        start += timestamp - original
    if start < received_at - MAX_PAST_SECONDS or start > received_at + MAX_FUTURE_SECONDS:
        notes.add("start_timestamp was too far from the time received: set to timestamp")
        start = timestamp
    event["start_timestamp"] = start


def _unix_seconds(value: Any) -> float | None:
    """Unix seconds from a number, a numeric string or an RFC 3339 string; None if invalid."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text)
                value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
            except (ValueError, OverflowError):
                return None
    # Compare before converting: a huge JSON integer would overflow float(), and NaN fails here.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= _LATEST_TIMESTAMP:
        return float(value)
    return None


def _level(raw: Any, event_type: Any, notes: _Notes) -> str:
    default = "info" if event_type == "transaction" else "error"
    if raw is None:
        return default
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in LEVELS:
            return LEVELS[text]
        if text.isdigit():
            raw = int(text)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw in NUMERIC_LEVELS:
        return NUMERIC_LEVELS[int(raw)]
    notes.add(f"level {_preview(raw)} is unknown: set to {default}")
    return default


def _platform(raw: Any, notes: _Notes) -> str:
    if raw is None:
        return "other"
    if isinstance(raw, str) and (text := raw.strip().lower()) in PLATFORMS:
        return text
    notes.add(f"platform {_preview(raw)} is unknown: set to other")
    return "other"


def _preview(value: Any) -> str:
    """A short rendering of a bad value for a note."""
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else repr(value)
    return _truncate(text, 40)


def _scalar_text(value: Any) -> str | None:
    """A string, or the text of a number or boolean; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and (not isinstance(value, float) or math.isfinite(value)):
        return str(value)
    return None


def _short_string_field(event: dict[str, Any], field: str, limit: int, notes: _Notes) -> None:
    if field not in event:
        return
    raw = event[field]
    text = _scalar_text(raw) if not isinstance(raw, bool) else None
    if text is None:
        del event[field]
        if raw is not None:
            notes.add(f"dropped {field}: not a string")
        return
    text = text.strip()
    if not text:
        del event[field]
        return
    if len(text) > limit:
        notes.add(f"{field}: cut to {limit} characters")
        text = _truncate(text, limit)
    event[field] = text


# --- tags ------------------------------------------------------------------------------------


def _tags(raw: Any, notes: _Notes) -> list[list[str]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        pairs: list[Any] = list(raw.items())
    elif isinstance(raw, list):
        pairs = raw
    else:
        notes.add("dropped tags: neither an object nor a list of pairs")
        return []
    tags: list[list[str]] = []
    dropped = 0
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            dropped += 1
            continue
        key, value = _scalar_text(pair[0]), pair[1]
        if key is None or not (key := key.strip()) or value is None:
            dropped += 1
            continue
        text = _scalar_text(value)
        if text is None:
            dropped += 1
            continue
        if len(key) > MAX_TAG_KEY:
            notes.add(f"tags: cut a key to {MAX_TAG_KEY} characters")
            key = _truncate(key, MAX_TAG_KEY)
        if len(text) > MAX_TAG_VALUE:
            notes.add(f"tags.{_truncate(key, 40)}: cut the value to {MAX_TAG_VALUE} characters")
            text = _truncate(text, MAX_TAG_VALUE)
        tags.append([key, text])
    if dropped:
        notes.add(f"tags: dropped {dropped} invalid or empty entries")
    return tags


# --- user and request ------------------------------------------------------------------------


def _normalize_user(event: dict[str, Any], client_ip: str | None, keep_ip: bool, notes: _Notes) -> None:
    """Known user fields stay; any other field moves into `user.data`, as Sentry stores them."""
    if "user" not in event:
        return
    raw = event["user"]
    if raw is None:
        del event["user"]
        return
    if not isinstance(raw, dict):
        del event["user"]
        notes.add("dropped user: not an object")
        return
    user = {key: value for key, value in raw.items() if key in USER_FIELDS}
    others = {key: value for key, value in raw.items() if key not in USER_FIELDS}
    data = user.get("data")
    if data is not None and not isinstance(data, dict):
        notes.add("dropped user.data: not an object")
        data = None
        del user["data"]
    if others:
        user["data"] = {**others, **(data or {})}
    if isinstance(user.get("id"), (int, float)) and not isinstance(user["id"], bool):
        user["id"] = str(user["id"])
    if user.get("ip_address") == AUTO_IP:
        if client_ip and keep_ip:
            user["ip_address"] = client_ip
        else:
            del user["ip_address"]
    if not keep_ip:
        user.pop("ip_address", None)
    event["user"] = user


def _normalize_request(event: dict[str, Any], keep_ip: bool, notes: _Notes) -> None:
    if "request" not in event:
        return
    request = event["request"]
    if request is None:
        del event["request"]
        return
    if not isinstance(request, dict):
        del event["request"]
        notes.add("dropped request: not an object")
        return
    env = request.get("env")
    if not keep_ip and isinstance(env, dict):
        env.pop("REMOTE_ADDR", None)


# --- message ---------------------------------------------------------------------------------


def _normalize_logentry(event: dict[str, Any], notes: _Notes) -> None:
    """`logentry: {message, params, formatted}` from `logentry`, else from a legacy `message`
    (a string, or an object as `sentry.interfaces.Message` had). `message` itself is kept."""
    entry = event.get("logentry")
    if entry is None:
        event.pop("logentry", None)
        legacy = event.get("message")
        if isinstance(legacy, str) and legacy.strip():
            entry = {"message": legacy, "formatted": legacy}
        elif isinstance(legacy, dict):
            entry = legacy
        else:
            return
    elif isinstance(entry, str):
        entry = {"message": entry}
    elif not isinstance(entry, dict):
        del event["logentry"]
        notes.add("dropped logentry: not an object")
        return

    normalized: dict[str, Any] = {}
    for field in ("message", "formatted"):
        value = entry.get(field)
        text = _scalar_text(value)
        if text is not None:
            normalized[field] = text
        elif value is not None:
            notes.add(f"dropped logentry.{field}: not a string")
    params = entry.get("params")
    if isinstance(params, (list, dict)):
        normalized["params"] = params
    elif params is not None:
        notes.add("dropped logentry.params: neither a list nor an object")
    if not normalized.get("formatted") and normalized.get("message"):
        normalized["formatted"] = format_message(normalized["message"], normalized.get("params"))
    if "message" not in normalized and "formatted" not in normalized:
        event.pop("logentry", None)
        if entry:
            notes.add("dropped logentry: it has no message")
        return
    event["logentry"] = {
        key: normalized[key] for key in ("message", "params", "formatted") if key in normalized
    }


# `%s`, `%d`, `%(name)s`, `%5.2f`, `%%` (printf / Python logging) and `{0}`, `{name}` (Sentry's
# documented object params). Width and precision are read but ignored: a template from the
# internet must not be able to ask for a gigabyte of padding.
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^()]{0,64})\))?[-#0 +]*(?:\d{1,9}|\*)?(?:\.(?:\d{1,9}|\*))?[hlL]?"
    r"(?P<conversion>[diouxXeEfFgGcrsa%])"
    r"|\{(?P<field>\d{1,4}|[A-Za-z_][\w.-]{0,63})\}"
)


def format_message(template: str, params: list[Any] | dict[str, Any] | None) -> str:
    """`template` with its placeholders replaced by `params`; never raises.

    A placeholder without a matching parameter is left as it is, and parameters left over are
    ignored: a wrong template loses nothing that was sent.
    """
    if not params:
        return template
    positional = iter(params) if isinstance(params, list) else iter(())
    pieces: list[str] = []
    size = 0
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        replacement = _placeholder_value(match, params, positional)
        if replacement is None:
            continue
        pieces.append(template[position : match.start()])
        pieces.append(replacement)
        size += match.start() - position + len(replacement)
        position = match.end()
        if size > MAX_STRING:
            break
    pieces.append(template[position:])
    return _truncate("".join(pieces), MAX_STRING)


def _placeholder_value(
    match: re.Match[str], params: list[Any] | dict[str, Any], positional: Iterator[Any]
) -> str | None:
    if match.group("conversion") == "%":
        return "%" if match.group("name") is None else None
    if (name := match.group("name")) is not None:
        return _param_text(params[name]) if isinstance(params, dict) and name in params else None
    if (field := match.group("field")) is not None:
        if isinstance(params, dict):
            return _param_text(params[field]) if field in params else None
        if field.isdigit():
            index = int(field)
            return _param_text(params[index]) if index < len(params) else None
        return None
    if isinstance(params, dict):
        return None
    value = next(positional, _MISSING)
    return None if value is _MISSING else _param_text(value)


_MISSING = object()


def _param_text(value: Any) -> str:
    text = _scalar_text(value)
    if text is not None:
        return _truncate(text, MAX_STRING)
    if value is None:
        return "None"
    return _truncate(json.dumps(value, ensure_ascii=False, default=str), MAX_STRING)


# --- exceptions, breadcrumbs, frames ---------------------------------------------------------


def _normalize_exceptions(event: dict[str, Any], notes: _Notes) -> None:
    """`exception` as `{"values": [exception, ...]}`, without null or non-object entries."""
    if "exception" not in event:
        return
    raw = event["exception"]
    if raw is None:
        del event["exception"]
        return
    if isinstance(raw, list):
        raw = {"values": raw}
    elif isinstance(raw, dict) and "values" not in raw and _EXCEPTION_KEYS & raw.keys():
        raw = {"values": [raw]}  # a single exception object, as some old clients sent
    if not isinstance(raw, dict):
        del event["exception"]
        notes.add("dropped exception: neither an object nor a list")
        return
    values = raw.get("values")
    if not isinstance(values, list):
        if values is not None:
            notes.add("exception.values was not a list: dropped it")
        values = []
    kept = [value for value in values if isinstance(value, dict)]
    if len(kept) != len(values):
        notes.add(f"exception.values: dropped {len(values) - len(kept)} null or invalid entries")
    raw["values"] = kept
    event["exception"] = raw


def _normalize_breadcrumbs(event: dict[str, Any], notes: _Notes) -> None:
    """`breadcrumbs` as `{"values": [...]}`, the newest MAX_BREADCRUMBS (Sentry lists oldest first)."""
    if "breadcrumbs" not in event:
        return
    raw = event["breadcrumbs"]
    if raw is None:
        del event["breadcrumbs"]
        return
    if isinstance(raw, list):
        raw = {"values": raw}
    if not isinstance(raw, dict):
        del event["breadcrumbs"]
        notes.add("dropped breadcrumbs: neither an object nor a list")
        return
    values = raw.get("values")
    if not isinstance(values, list):
        if values is not None:
            notes.add("breadcrumbs.values was not a list: dropped it")
        values = []
    kept = [value for value in values if isinstance(value, dict)]
    if len(kept) != len(values):
        notes.add(f"breadcrumbs.values: dropped {len(values) - len(kept)} null or invalid entries")
    if len(kept) > MAX_BREADCRUMBS:
        notes.add(f"breadcrumbs.values: kept the newest {MAX_BREADCRUMBS} of {len(kept)}")
        kept = kept[-MAX_BREADCRUMBS:]
    raw["values"] = kept
    event["breadcrumbs"] = raw


def _trim_all_stacktraces(event: dict[str, Any], notes: _Notes) -> None:
    _trim_frames(event.get("stacktrace"), "stacktrace", notes)
    for interface in ("exception", "threads"):
        container = event.get(interface)
        values = container.get("values") if isinstance(container, dict) else None
        if not isinstance(values, list):
            continue
        for index, value in enumerate(values):
            if isinstance(value, dict):
                for key in ("stacktrace", "raw_stacktrace"):
                    _trim_frames(value.get(key), f"{interface}.values.{index}.{key}", notes)


def _trim_frames(stacktrace: Any, path: str, notes: _Notes) -> None:
    """At most MAX_FRAMES frames: the oldest and the newest halves, where the cause and the
    crash are; the middle of a deep recursion says little. `frames_omitted` records the gap."""
    if not isinstance(stacktrace, dict):
        return
    frames = stacktrace.get("frames")
    if not isinstance(frames, list) or len(frames) <= MAX_FRAMES:
        return
    half = MAX_FRAMES // 2
    stacktrace["frames"] = frames[:half] + frames[-half:]
    stacktrace["frames_omitted"] = [half, len(frames) - half]
    notes.add(f"{path}.frames: kept {MAX_FRAMES} of {len(frames)} frames (the first and last {half})")
