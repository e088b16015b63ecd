"""Where the shared conformance corpus lives: `../shared/corpus` seen from the project root.

The corpus is read in place, never copied into the project (part of it is FSL-licensed; see its
README). It is always present on development machines, so a missing corpus fails loudly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

if not (CORPUS / "MANIFEST.tsv").is_file():
    raise RuntimeError(f"the shared conformance corpus is missing: expected it at {CORPUS}")


def load_json(relative: str) -> Any:
    return json.loads((CORPUS / relative).read_text(encoding="utf-8"))
