"""The blob store: attachment bytes, content-addressed by SHA-256, on the local disk.

A blob is written and fsync'ed before the event that names it is appended, so an
acknowledged attachment is never lost. Writing the same bytes twice is a no-op.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    async def put(self, sha256: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, sha256, data)

    def _put(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".tmp{os.getpid()}")
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    async def get(self, sha256: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self.path(sha256).read_bytes)
        except (FileNotFoundError, ValueError):
            return None
