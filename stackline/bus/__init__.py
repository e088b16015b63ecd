"""The bus: how projectors tell API processes (and integrations) that something changed."""

from stackline.bus.port import Bus, IssueChange

__all__ = ["Bus", "IssueChange"]
