"""Projectors: they turn the event store's log into read models. They never append events."""
