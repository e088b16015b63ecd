"""What the UI shows for an event: title, culprit, level, time, tags, as Sentry derives them.

Pure: no I/O. Total: odd payloads (nulls, wrong types, absurd timestamps) give defaults, never an
exception, because a projector that raised here would stall on that event for good. Texts come
out without NUL characters or lone surrogates, which SQL stores reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stackline.domain.grouping import event_exceptions, event_message, stack_frames

MAX_TITLE = 200
MAX_CULPRIT = 200
MAX_PLATFORM = 64
UNLABELED = "<unlabeled event>"
LEVELS = {
    "fatal": "fatal",
    "critical": "fatal",
    "error": "error",
    "warning": "warning",
    "warn": "warning",
    "info": "info",
    "debug": "debug",
}
# datetime.fromtimestamp handles 0 up to the end of year 9999; outside that is garbage anyway.
_LATEST_TIMESTAMP = 253402300799.0


@dataclass(frozen=True, slots=True)
class EventSummary:
    title: str
    culprit: str | None
    level: str
    message: str | None
    platform: str | None
    timestamp: float  # unix seconds
    tags: tuple[tuple[str, str], ...]
    exception_type: str | None
    exception_value: str | None


def summarize(event: dict[str, Any], received_at: float) -> EventSummary:
    if not isinstance(event, dict):
        event = {}
    exceptions = event_exceptions(event)
    # The most recent exception that says something; Sentry lists it last.
    shown = next((e for e in reversed(exceptions) if _text(e.get("type")) or _text(e.get("value"))), None)
    exception_type = _text(shown.get("type")) if shown else None
    exception_value = _text(shown.get("value")) if shown else None
    message = event_message(event)
    platform = event.get("platform")
    return EventSummary(
        title=_title(event, exception_type, exception_value, message),
        culprit=_culprit(event, exceptions),
        level=_level(event.get("level")),
        message=_clean(message) if message else None,
        platform=platform if isinstance(platform, str) and 0 < len(platform) <= MAX_PLATFORM else None,
        timestamp=_timestamp(event.get("timestamp"), received_at),
        tags=_tags(event),
        exception_type=_clean(exception_type) if exception_type else None,
        exception_value=_clean(exception_value) if exception_value else None,
    )


def _title(
    event: dict[str, Any], exception_type: str | None, exception_value: str | None, message: str | None
) -> str:
    if exception_type or exception_value:
        value = _first_line(exception_value or "")
        title = f"{exception_type or 'Error'}: {value}" if value else exception_type or "Error"
    elif message and (first := _first_line(message)):
        title = first
    elif event.get("type") == "transaction" and (name := _text(event.get("transaction"))):
        title = name
    else:
        title = UNLABELED
    return _truncate(_clean(title), MAX_TITLE)


def _culprit(event: dict[str, Any], exceptions: list[dict[str, Any]]) -> str | None:
    """An explicit culprit, else the transaction name, else the most relevant frame (Sentry's order)."""
    culprit = _text(event.get("culprit")) or _text(event.get("transaction"))
    if culprit is None:
        with_frames = [frames for frames in map(stack_frames, exceptions) if frames]
        if with_frames:
            culprit = _frame_culprit(with_frames[-1])
    return _truncate(_clean(culprit), MAX_CULPRIT) if culprit else None


def _frame_culprit(frames: list[dict[str, Any]]) -> str | None:
    """`{module or file} in {function}` of the innermost in-app frame, else the innermost frame."""
    frame = next((f for f in reversed(frames) if f.get("in_app") is True), frames[-1])
    location = _text(frame.get("module")) or _text(frame.get("filename")) or _text(frame.get("abs_path"))
    function = _text(frame.get("function"))
    if location:
        return f"{location} in {function or '?'}"
    return function


def _level(value: Any) -> str:
    level = _text(value)
    return LEVELS.get(level.strip().lower(), "error") if level else "error"


def _timestamp(value: Any, received_at: float) -> float:
    """Unix seconds from a number or an RFC 3339 string; received_at when missing or invalid."""
    parsed = parse_timestamp(value)
    return received_at if parsed is None else parsed


def parse_timestamp(value: Any) -> float | None:
    """Unix seconds from a number or an RFC 3339 string; None when missing or invalid."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        value = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    # Compare before converting: a huge JSON integer would overflow float(), and NaN fails here.
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= _LATEST_TIMESTAMP:
        return float(value)
    return None


def _tags(event: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The event's own tags (a dict or `[key, value]` pairs), then those Sentry derives from the
    event (`_derived_tags`), then `environment` and `release` when they are top-level fields not
    already tagged. The first value of a key wins, so an SDK's own tag beats a derived one."""
    raw = event.get("tags")
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [tuple(pair) for pair in raw if isinstance(pair, (list, tuple)) and len(pair) == 2]
    else:
        pairs = []
    pairs += _derived_tags(event)
    pairs += [(key, event.get(key)) for key in ("environment", "release")]

    tags: dict[str, str] = {}
    for key, value in pairs:
        if isinstance(key, str) and key and (text := _tag_value(value)):
            tags.setdefault(_clean(key), _clean(text))
    return tuple(tags.items())


# Contexts whose name and version Sentry turns into `<context>` ("Firefox 120.0") and
# `<context>.name` tags.
_NAMED_CONTEXTS = ("browser", "os", "runtime")


def _derived_tags(event: dict[str, Any]) -> list[tuple[str, Any]]:
    """Tags as Sentry derives them from the event: browser/os/runtime from their contexts, the
    device model and family, the request's URL (without query string or fragment), the server
    name, the transaction, and the user (`user` as `id:42`, plus `user.id`, `user.email`,
    `user.username`; never the IP address). Odd shapes give nothing."""
    derived: list[tuple[str, Any]] = []
    contexts = event.get("contexts")
    contexts = contexts if isinstance(contexts, dict) else {}
    for name in _NAMED_CONTEXTS:
        context = contexts.get(name)
        if isinstance(context, dict) and isinstance(context.get("name"), str) and context["name"]:
            version = _text(context.get("version"))
            derived.append((name, f"{context['name']} {version}" if version else context["name"]))
            derived.append((f"{name}.name", context["name"]))
    device = contexts.get("device")
    if isinstance(device, dict):
        for key, field in (("device", "model"), ("device.family", "family")):
            if isinstance(device.get(field), str):
                derived.append((key, device[field]))
    request = event.get("request")
    if isinstance(request, dict) and isinstance(request.get("url"), str):
        derived.append(("url", request["url"].split("#", 1)[0].split("?", 1)[0]))
    for key in ("server_name", "transaction"):
        if isinstance(event.get(key), str):
            derived.append((key, event[key]))
    user = event.get("user")
    if isinstance(user, dict):
        fields = [(field, _text(user.get(field))) for field in ("id", "email", "username")]
        first = next(((field, value) for field, value in fields if value), None)
        if first:
            derived.append(("user", f"{first[0]}:{first[1]}"))
        derived += [(f"user.{field}", value) for field, value in fields if value]
    return derived


def _tag_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(value)


def _text(value: Any) -> str | None:
    """A non-empty string, with numbers accepted as their text; anything else is absent."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clean(text: str) -> str:
    """Without NUL characters or lone surrogates, which SQL stores and UTF-8 cannot hold."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
