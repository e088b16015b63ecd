"""Reading an uploaded artifact bundle (or one release file) under limits, before anything is stored.

An artifact bundle is what `sentry-cli sourcemaps upload` assembles: a zip archive (behind
symbolic's 8-byte `SYSB` source-bundle header) holding `manifest.json` and the files, each
with its `url` (`~/path`), `type` (`minified_source`, `source_map`, ...) and headers
(`debug-id`, `sourcemap`). Every file's declared and actual size is capped, so a zip bomb is
refused after reading at most the cap; every source map is parsed with `symbolic` (Sentry's
own parser) so a malformed one is refused at the door, never met later by the projector.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from symbolic.sourcemap import SourceMapView

from stackline.app.settings import ArtifactLimits
from stackline.domain.release import normalize_debug_id

MANIFEST = "manifest.json"
# A map's `mappings` string and its segment count bound the parser's memory (about 30 bytes
# a token); a real bundle's maps stay far below either.
MAX_MAPPINGS_BYTES = 32 * 1024 * 1024
MAX_TOKENS = 4_000_000
SOURCE_MAP_TYPES = ("source_map",)
KNOWN_TYPES = ("minified_source", "source_map", "source", "indexed_ram_bundle")


class BadBundle(Exception):
    def __init__(self, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True, slots=True)
class BundleFile:
    url: str
    type: str
    debug_id: str | None
    sourcemap: str | None
    headers: tuple[tuple[str, str], ...]
    data: bytes
    sha256: str

    def manifest(self) -> dict[str, Any]:
        """What the stored event says of the file (its bytes are the blob `sha256`)."""
        return {
            "url": self.url,
            "type": self.type,
            "debug_id": self.debug_id,
            "sourcemap": self.sourcemap,
            "sha256": self.sha256,
            "size": len(self.data),
        }


@dataclass(frozen=True, slots=True)
class Bundle:
    files: list[BundleFile]
    release: str | None = None
    dist: str | None = None


def _headers(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in raw.items() if isinstance(v, str | int)}


def check_source_map(data: bytes, url: str) -> None:
    """Refuse what is not a source map symbolic can use, or one too big to parse safely."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadBundle(f"{url}: not a valid source map (not JSON)") from None
    if not isinstance(parsed, dict):
        raise BadBundle(f"{url}: not a valid source map (not a JSON object)")
    sections = parsed.get("sections")
    maps = [s.get("map") for s in sections if isinstance(s, dict)] if isinstance(sections, list) else [parsed]
    mappings_bytes = tokens = 0
    for part in maps:
        if not isinstance(part, dict) or not isinstance(part.get("mappings"), str):
            raise BadBundle(f"{url}: not a valid source map (no 'mappings')")
        mappings = part["mappings"]
        mappings_bytes += len(mappings)
        tokens += mappings.count(",") + mappings.count(";") + 1
    if mappings_bytes > MAX_MAPPINGS_BYTES or tokens > MAX_TOKENS:
        raise BadBundle(
            f"{url}: source map too large ({tokens} segments, {mappings_bytes} bytes of mappings; "
            f"at most {MAX_TOKENS} and {MAX_MAPPINGS_BYTES})",
            status=413,
        )
    try:
        SourceMapView.from_json_bytes(data)
    except Exception as error:  # symbolic's parse errors (bad VLQ, bad structure, ...)
        raise BadBundle(f"{url}: not a valid source map ({error})") from None


def _read(data: bytes, limits: ArtifactLimits) -> Bundle:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise BadBundle("not an artifact bundle (not a zip archive)") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_files + 1:
            raise BadBundle(f"an artifact bundle may hold at most {limits.max_files} files", status=413)
        total = 0
        for info in infos:
            if info.file_size > limits.max_file_bytes:
                raise BadBundle(
                    f"{info.filename}: {info.file_size} bytes unzipped, more than the "
                    f"{limits.max_file_bytes} a file may hold",
                    status=413,
                )
            total += info.file_size
        if total > limits.max_bundle_bytes:
            raise BadBundle(
                f"the bundle unzips to {total} bytes, more than {limits.max_bundle_bytes}", status=413
            )

        def member(name: str) -> bytes:
            try:
                with archive.open(name) as file:
                    content = file.read(limits.max_file_bytes + 1)
            except (zipfile.BadZipFile, KeyError, OSError, EOFError, NotImplementedError) as error:
                raise BadBundle(f"{name}: cannot be unzipped ({error})") from None
            if len(content) > limits.max_file_bytes:
                raise BadBundle(f"{name}: more than {limits.max_file_bytes} bytes unzipped", status=413)
            return content

        try:
            manifest = orjson.loads(member(MANIFEST))
        except BadBundle:
            raise BadBundle("not an artifact bundle (no readable manifest.json)") from None
        except orjson.JSONDecodeError:
            raise BadBundle("manifest.json is not valid JSON") from None
        entries = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(entries, dict):
            raise BadBundle("manifest.json has no 'files' object")
        attributes = manifest.get("attributes") if isinstance(manifest.get("attributes"), dict) else {}
        files: list[BundleFile] = []
        for path, entry in entries.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise BadBundle(f"manifest.json: the entry of {path!r} has no 'url'")
            kind = entry.get("type")
            if kind not in KNOWN_TYPES:
                continue  # a file type this server does not use: kept out, not refused
            files.append(make_file(entry["url"], str(kind), _headers(entry.get("headers")), member(path)))
    release = attributes.get("release") if isinstance(attributes.get("release"), str) else None
    dist = attributes.get("dist") if isinstance(attributes.get("dist"), str) else None
    return Bundle(files, release, dist)


def make_file(url: str, kind: str, headers: dict[str, str], content: bytes) -> BundleFile:
    if not url or len(url) > 500 or "\0" in url:
        raise BadBundle("a file's url must have 1 to 500 characters, without NUL")
    if any("\0" in k or "\0" in v for k, v in headers.items()):
        raise BadBundle(f"{url}: a header holds a NUL character")
    if kind in SOURCE_MAP_TYPES:
        check_source_map(content, url)
    return BundleFile(
        url,
        kind,
        normalize_debug_id(headers.get("debug-id") or headers.get("debug_id")),
        headers.get("sourcemap") or headers.get("x-sourcemap"),
        tuple(sorted(headers.items())),
        content,
        hashlib.sha256(content).hexdigest(),
    )


async def read_bundle(data: bytes, limits: ArtifactLimits) -> Bundle:
    """The bundle's files, every source map among them parsed; BadBundle (4xx) otherwise."""
    return await asyncio.to_thread(_read, data, limits)


async def release_file(name: str, data: bytes, headers: Sequence[str], limits: ArtifactLimits) -> BundleFile:
    """One file of the older release-files upload: a source map if its content says so."""
    parsed = {}
    for header in headers:
        key, _, value = header.partition(":")
        parsed[key.strip().lower()] = value.strip()
    stripped = data.lstrip()[:200]
    looks_like_map = name.endswith(".map") or (stripped.startswith(b"{") and b'"mappings"' in data[:4096])
    kind = "source_map" if looks_like_map else "minified_source"
    return await asyncio.to_thread(make_file, name, kind, parsed, data)
