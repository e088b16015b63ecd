"""The pure domain: events, envelope parsing, grouping and aggregates. No I/O, no frameworks."""

# Aggregate modules register their event types with `events.register` when imported; import
# them here so that decoding a stored event never depends on what else happened to be imported.
from stackline.domain import issue as _issue  # noqa: F401
