"""The pure domain: events, envelope parsing, grouping and aggregates. No I/O, no frameworks."""
