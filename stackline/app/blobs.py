"""The blob store: attachment and artifact bytes, content-addressed by SHA-256, on the local disk.

A blob is written and fsync'ed before the event that names it is appended, so an
acknowledged attachment is never lost. Writing the same bytes twice is a no-op. The same class,
named by SHA-1, holds the chunks `sentry-cli` uploads before it asks for their assembly
(`<data dir>/chunks/`): staging only, named by no event.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path, digest_length: int = 64) -> None:
        self.root = root
        self.digest_length = digest_length  # 64: SHA-256; 40: SHA-1 (chunks)

    def path(self, sha256: str) -> Path:
        if len(sha256) != self.digest_length or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a hex digest of the store's kind")
        return self.root / sha256[:2] / sha256

    def has(self, digest: str) -> bool:
        try:
            return self.path(digest).is_file()
        except ValueError:
            return False

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

    async def delete(self, sha256: str) -> None:
        """Remove a blob (retention, once no row names it); a missing one is no error."""
        try:
            await asyncio.to_thread(self.path(sha256).unlink, missing_ok=True)
        except ValueError:
            return

    async def get(self, sha256: str) -> bytes | None:
        try:
            return await asyncio.to_thread(self.path(sha256).read_bytes)
        except (FileNotFoundError, ValueError):
            return None
