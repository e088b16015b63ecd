"""Mapping a JavaScript event's minified frames through source maps, with `symbolic`.

Which map a frame needs is decided here: first by debug id (the event's `debug_meta.images` of
type `sourcemap` name the debug id of each minified file, as `sentry-cli sourcemaps inject`
wrote it), then by the release and dist with `~/path` URLs (Sentry's legacy matching). The
caller finds the maps (`MapFinder`) and stores the result; this module reads nothing itself.
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from symbolic.sourcemap import SourceMapView, SourceView

from stackline.domain.release import normalize_debug_id

JS_PLATFORMS = frozenset({"javascript", "node"})
CONTEXT_LINES = 5
MAX_LINE = 500  # context lines are cut: a minified line would be the whole bundle


@dataclass(frozen=True, slots=True)
class FoundMap:
    view: SourceMapView
    url: str  # where it came from: a debug id or the map's URL
    minified: SourceView | None  # the minified file, when uploaded: resolves original function names


# (debug id or None, release, dist, candidate URLs) -> the map, or None
MapFinder = Callable[[str | None, str | None, str | None, list[str]], Awaitable[FoundMap | None]]


def wants_symbolication(platform: str | None) -> bool:
    return platform in JS_PLATFORMS


def debug_ids_of(payload: dict[str, Any]) -> dict[str, str]:
    """The event's minified files (`code_file`) -> their debug id."""
    images = (payload.get("debug_meta") or {}).get("images") if isinstance(payload, dict) else None
    found: dict[str, str] = {}
    for image in images if isinstance(images, list) else []:
        if not isinstance(image, dict) or image.get("type") != "sourcemap":
            continue
        debug_id = normalize_debug_id(image.get("debug_id"))
        code_file = image.get("code_file")
        if debug_id and isinstance(code_file, str):
            found[code_file] = debug_id
    return found


def url_candidates(abs_path: str) -> list[str]:
    """The URLs a file may have been uploaded under, as Sentry tries them: the full URL, then
    `~/path` (the path without scheme and host), for `http://h/static/app.js`, `app:///app.js`
    and a bare file path alike."""
    parts = urlsplit(abs_path)
    path = parts.path or abs_path
    candidates = [abs_path]
    if parts.query:
        candidates.append(f"~{path}?{parts.query}")
    candidates.append(f"~{path}" if path.startswith("/") else f"~/{path}")
    return list(dict.fromkeys(candidates))


def exceptions_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    exception = payload.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def frames_of(exception: dict[str, Any]) -> list[dict[str, Any]]:
    stacktrace = exception.get("stacktrace")
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    return [f for f in frames if isinstance(f, dict)] if isinstance(frames, list) else []


def with_mapped_frames(payload: dict[str, Any], mapped: list[list[dict[str, Any]] | None]) -> dict[str, Any]:
    """The payload with its stack traces' frames replaced by their mapped ones (for grouping)."""
    values = []
    for index, value in enumerate(exceptions_of(payload)):
        frames = mapped[index] if index < len(mapped) else None
        if frames:
            value = {**value, "stacktrace": {**value["stacktrace"], "frames": frames}}
        values.append(value)
    exception = payload.get("exception")
    return {
        **payload,
        "exception": {**exception, "values": values} if isinstance(exception, dict) else values,
    }


def release_key(release: str, dist: str | None) -> str:
    """What a frame without a debug id waits for: its release and dist (NUL-free: PostgreSQL
    text holds none, and an SDK may send anything)."""
    return f"release:{release}\x1f{dist or ''}".replace("\0", "")[:800]


@dataclass(slots=True)
class Symbolicated:
    exceptions: list[list[dict[str, Any]] | None]  # per exception value: its mapped frames
    mapped: int  # frames mapped
    missing: set[str]  # what frames still wait for: `debug:<id>` or `release:<release> <dist>`


async def symbolicate(payload: dict[str, Any], find: MapFinder) -> Symbolicated:
    """The event's stack traces, each frame mapped where a map is found, the others as they came."""
    debug_ids = debug_ids_of(payload)
    release = payload.get("release") if isinstance(payload.get("release"), str) else None
    dist = payload.get("dist") if isinstance(payload.get("dist"), str) else None
    result = Symbolicated([], 0, set())
    for exception in exceptions_of(payload):
        frames = frames_of(exception)
        if not frames:
            result.exceptions.append(None)
            continue
        mapped_frames = []
        for frame in frames:
            mapped = await _map_frame(frame, debug_ids, release, dist, find, result.missing)
            if mapped is not None:
                result.mapped += 1
            mapped_frames.append(mapped or dict(frame))
        result.exceptions.append(mapped_frames)
    return result


async def _map_frame(
    frame: dict[str, Any],
    debug_ids: dict[str, str],
    release: str | None,
    dist: str | None,
    find: MapFinder,
    missing: set[str],
) -> dict[str, Any] | None:
    abs_path = frame.get("abs_path") or frame.get("filename")
    line, column = frame.get("lineno"), frame.get("colno")
    if not isinstance(abs_path, str) or not isinstance(line, int) or not isinstance(column, int):
        return None
    if (
        not (0 < line < 2**31 and 0 < column < 2**31)
        or abs_path.startswith(("node:", "native"))
        or "/node_modules/" in abs_path
    ):
        return None
    debug_id = debug_ids.get(abs_path)
    found = await find(debug_id, release, dist, url_candidates(abs_path))
    if found is None:
        if debug_id:
            missing.add(f"debug:{debug_id}")
        elif release:
            missing.add(release_key(release, dist))
        return None
    function = frame.get("function") if isinstance(frame.get("function"), str) else None
    try:
        if function and found.minified is not None:
            token = found.view.lookup(line - 1, column - 1, function.rsplit(".", 1)[-1], found.minified)
        else:
            token = found.view.lookup(line - 1, column - 1)
    except Exception:  # noqa: BLE001 - what an SDK sent must never stop the projector: left unmapped
        return None
    if token is None or not token.src:
        return None
    source = clean_source(token.src)
    mapped: dict[str, Any] = {
        "filename": source,
        "abs_path": token.src,
        "function": token.function_name or function or token.name or "<anonymous>",
        "lineno": token.src_line + 1,
        "colno": token.src_col + 1,
        "in_app": "/node_modules/" not in token.src,
        "minified": {
            "abs_path": abs_path,
            "function": function,
            "lineno": line,
            "colno": column,
            "sourcemap": found.url,
        },
    }
    sourceview = found.view.get_sourceview(token.src_id) if token.src_id is not None else None
    at = token.src_line
    if sourceview is not None and 0 <= at < (count := len(sourceview)):
        mapped["context_line"] = sourceview[at][:MAX_LINE]
        mapped["pre_context"] = [sourceview[i][:MAX_LINE] for i in range(max(0, at - CONTEXT_LINES), at)]
        mapped["post_context"] = [
            sourceview[i][:MAX_LINE] for i in range(at + 1, min(count, at + 1 + CONTEXT_LINES))
        ]
    return mapped


def clean_source(source: str) -> str:
    """A map's source name as a readable path: `webpack://app/./src/a.js` -> `src/a.js`,
    `../src/a.js` -> `src/a.js`."""
    parts = urlsplit(source)
    path = parts.path if parts.scheme else source
    if parts.scheme == "webpack" and parts.netloc:
        path = path.lstrip("/")
    path = posixpath.normpath(path)
    while path.startswith("../"):
        path = path[3:]
    return path.removeprefix("./")


def resolve_sourcemap_url(minified_url: str, sourcemap: str) -> str:
    """The URL of the map a minified file names (its `sourcemap` header), relative to the file."""
    if "://" in sourcemap or sourcemap.startswith("~/"):
        return sourcemap
    if "://" in minified_url:
        return urljoin(minified_url, sourcemap)
    base = minified_url.rsplit("/", 1)[0] if "/" in minified_url else ""
    return posixpath.normpath(f"{base}/{sourcemap}") if base else sourcemap
