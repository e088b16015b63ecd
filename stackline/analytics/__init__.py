"""The analytics read model: every stored event as a row in ClickHouse (chDB embedded)."""

from stackline.analytics.port import AnalyticsExecutor, AnalyticsUnavailable

__all__ = ["AnalyticsExecutor", "AnalyticsUnavailable"]
