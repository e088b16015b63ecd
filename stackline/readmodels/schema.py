"""The SQL read models' tables (SQLAlchemy Core), on SQLite and PostgreSQL alike.

Only projectors write these rows, and only alembic migrations change their shape: a test
checks that this metadata and the migration head agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def postgresql_only(index: Index) -> Index:
    """An index that exists on PostgreSQL only (e.g. needs an extension); `on_dialect` tells
    alembic's comparison to expect it nowhere else."""
    index.info["dialect"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def on_dialect(obj: object, dialect: str) -> bool:
    """Whether a schema item of this metadata exists on a database of this dialect."""
    info = getattr(obj, "info", None) or {}
    return info.get("dialect", dialect) == dialect


organizations = Table(
    "organizations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("slug", String(50), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retention_days", Float),  # NULL: the server's; a project's own comes first
    Column("retention_max_events", BigInteger),
)

projects = Table(
    "projects",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("organization_id", String(36), nullable=False, index=True),
    Column("slug", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    Column("platform", String(64)),
    Column("issue_counter", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("scrub_data", Boolean, nullable=False, server_default="1"),
    Column("scrub_ip_addresses", Boolean, nullable=False, server_default="0"),
    Column("sensitive_fields", JSON, nullable=False, server_default="[]"),
    Column("safe_fields", JSON, nullable=False, server_default="[]"),
    Column("allowed_origins", JSON, nullable=False, server_default="[]"),
    Column("monthly_event_quota", BigInteger),
    Column("retention_days", Float),  # NULL: the organization's, else the server's
    Column("retention_max_events", BigInteger),
    UniqueConstraint("organization_id", "slug", name="uq_projects_org_slug"),
)

project_keys = Table(
    "project_keys",
    metadata,
    Column("public_key", String(64), primary_key=True),
    Column("project_id", BigInteger, nullable=False, index=True),
    Column("organization_id", String(36), nullable=False),
    Column("label", String(200), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rate_limit_per_second", BigInteger),
    Column("rate_limit_per_minute", BigInteger),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", String(36), nullable=False, unique=True),
    # An organization token has organization_id; a personal token has user_email instead.
    Column("organization_id", String(36), nullable=True, index=True),
    Column("label", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_email", String(254), nullable=True, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("email", String(254), primary_key=True),
    Column("user_id", String(36), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

issues = Table(
    "issues",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("short_id", String(80), nullable=False),
    Column("primary_hash", String(32), nullable=False),
    Column("grouping_variant", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("culprit", Text),
    Column("level", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("substatus", String(40), nullable=False, server_default="new"),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("times_seen", BigInteger, nullable=False),
    Column("user_count", BigInteger, nullable=False, server_default="0"),
    Column("first_release", String(250)),
    Column("last_release", String(250)),
    Column("last_position", BigInteger, nullable=False),
    # The issue stream's version: 0 from the start (the IssueCreated the issue's first event
    # appends is the stream's version 0), so payloads show what `expectedVersion` needs.
    Column("version", BigInteger, nullable=False, server_default="-1"),
    Column("assignee", String(254)),
    Column("merged_into", String(36)),
    Column("resolved_in_next_release", Boolean, nullable=False, server_default="0"),
    Column("resolved_release_position", BigInteger),
    Column("ignore_until_count", BigInteger),
    Column("ignore_until_timestamp", Float),
    Column("ignore_until_users", BigInteger),
    Column("events_since_ignore", BigInteger, nullable=False, server_default="0"),
    Column("users_since_ignore", JSON, nullable=False, server_default="[]"),
    # One pair per issue-list sort (`queries.ISSUE_SORTS`): without and with an `is:` status.
    # The trailing id serves the keyset's tie-break: `(sort value, id) < (..)` is an index range.
    Index("ix_issues_project_last_seen", "project_id", "last_seen", "id"),
    Index("ix_issues_project_status_last_seen", "project_id", "status", "last_seen", "id"),
    Index("ix_issues_project_first_seen", "project_id", "first_seen", "id"),
    Index("ix_issues_project_status_first_seen", "project_id", "status", "first_seen", "id"),
    Index("ix_issues_project_times_seen", "project_id", "times_seen", "id"),
    Index("ix_issues_project_status_times_seen", "project_id", "status", "times_seen", "id"),
    Index("ix_issues_project_user_count", "project_id", "user_count", "id"),
    Index("ix_issues_project_status_user_count", "project_id", "status", "user_count", "id"),
    UniqueConstraint("project_id", "short_id", name="uq_issues_project_short_id"),
)

# Free-text search (ILIKE '%text%') on PostgreSQL: pg_trgm GIN indexes. SQLite scans instead.
for _column in ("title", "culprit"):
    postgresql_only(
        Index(
            f"ix_issues_{_column}_trgm",
            issues.c[_column],
            postgresql_using="gin",
            postgresql_ops={_column: "gin_trgm_ops"},
        )
    )

issue_hashes = Table(
    "issue_hashes",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(32), primary_key=True),
    Column("issue_id", String(36), nullable=False, index=True),
    # Why events with this hash were grouped as they were: config, rule (variant), hash,
    # components. The same for every event of the hash, so it is kept once here, not per event.
    Column("grouping", JSON),
)

events = Table(
    "events",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("issue_id", String(36), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("level", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("message", Text),
    Column("platform", String(64)),
    Column("tags", JSON, nullable=False),
    Column("hash", String(32), nullable=False, server_default=""),
    Column("release", String(250)),
    Column("environment", String(64)),
    Column("user_key", String(254)),
    Index("ix_events_issue_position", "issue_id", "position"),
    Index("ix_events_project_hash", "project_id", "hash"),
    Index("ix_events_project_position", "project_id", "position"),  # retention's eviction order
)

# What retention deleted of a hash's occurrences, as its snapshot event says (docs/retention.md):
# recounts after a merge add it to the events still stored. `run` and `position` name the
# snapshot this row was written from, so a run cut short finds what it has still to apply.
compacted_occurrences = Table(
    "compacted_occurrences",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(32), primary_key=True),
    Column("issue_id", String(36), nullable=False, index=True),
    Column("position", BigInteger, nullable=False),
    Column("run", String(36), nullable=False),
    Column("analytics_run", String(36)),  # the run whose analytics rows are deleted too
    Column("times_seen", BigInteger, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("last_release", String(250)),
    Column("users", JSON, nullable=False),  # user keys
    Column("tags", JSON, nullable=False),  # [key, value, count, first, last] (unix seconds)
)

issue_tags = Table(
    "issue_tags",
    metadata,
    Column("issue_id", String(36), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("times_seen", BigInteger, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    # Search by tag (`key:value`, `release:`, `environment:`): which issues saw this value.
    Index("ix_issue_tags_key_value", "key", "value", "issue_id"),
)

issue_users = Table(
    "issue_users",
    metadata,
    Column("issue_id", String(36), primary_key=True),
    Column("user_key", String(254), primary_key=True),
)

issue_activity = Table(
    "issue_activity",
    metadata,
    Column("issue_id", String(36), primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("organization_id", String(36), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("actor", String(254)),
    Column("data", JSON, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", String(250), primary_key=True),
    Column("first_position", BigInteger, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("email", String(254), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_members_email", "email"),
)

projector_checkpoints = Table(
    "projector_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", Float, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("name", Text, nullable=False),
    Column("op", String(100)),
    Column("status", String(40)),
    Column("duration_ms", Float),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("trace_id", String(32)),
    Column("release", String(250)),
    Column("environment", String(64)),
    Index("ix_transactions_project_position", "project_id", "position"),
)

session_counts = Table(
    "session_counts",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True),
    Column("release", String(250), primary_key=True),
    Column("environment", String(64), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("errors", BigInteger, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("attachment_id", String(40), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("event_id", String(32), index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("attachment_type", String(50), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

check_ins = Table(
    "check_ins",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("check_in_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("monitor_slug", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("duration", Float),
    Column("environment", String(64)),
    Column("first_received", DateTime(timezone=True), nullable=False),
    Column("last_received", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_check_ins_project_position", "project_id", "position"),  # retention deletes by position
)

monitors = Table(
    "monitors",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("monitor_slug", String(128), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    # The Schedule's fields (stackline/domain/monitor.py), or null before any monitor_config.
    Column("schedule", JSON),
    Column("status", String(16), nullable=False),
    # Instants as seconds since the epoch, as the domain's Monitor keeps them.
    Column("last_check_in_at", Float),
    Column("last_check_in_status", String(16)),
    Column("next_expected_at", Float),
    Column("in_progress_id", String(32)),
    Column("in_progress_since", Float),
    # When the timer next has something to decide (Monitor.deadline): what it selects by.
    Column("deadline", Float, index=True),
    Column("position", BigInteger, nullable=False),
)

logs = Table(
    "logs",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("log_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    # Seconds since the epoch, as the SDK stamped the record: the list's order and its cursor.
    Column("timestamp", Float, nullable=False),
    Column("level", String(8), nullable=False),
    Column("severity_number", Integer),
    Column("body", Text, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("trace_id", String(32)),
    Column("span_id", String(16)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_logs_project_timestamp", "project_id", "timestamp", "log_id"),
    Index("ix_logs_project_trace", "project_id", "trace_id"),
    Index("ix_logs_project_position", "project_id", "position"),  # retention deletes by position
)

feedback = Table(
    "feedback",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("feedback_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("associated_event_id", String(32)),
    Column("name", Text),  # sealed (stackline/domain/personal.py)
    Column("email", Text),  # sealed
    Column("comments", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_feedback_project_position", "project_id", "position"),  # retention deletes by position
)

usage = Table(
    "usage",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("reason", String(64), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

# Webhook configuration: a read model of the `webhook-{id}` streams (projector `readmodels`).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("description", Text, nullable=False),
    Column("secret", String(128), nullable=False),  # signs deliveries; never shown after creation
    Column("is_active", Boolean, nullable=False),
    Column("created_position", BigInteger, nullable=False),  # only later changes are delivered
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The webhook worker's outbox and delivery log (projector `webhooks`, then its sender). Not
# derived from the log alone (attempts and answers happen outside it): replay keeps these rows.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),  # X-Stackline-Delivery, the same on every attempt
    Column("webhook_id", String(36), nullable=False),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("event", String(16), nullable=False),  # the issue change kind
    Column("issue_id", String(36), nullable=False),
    Column("position", BigInteger, nullable=False),  # the event-store position of the change
    Column("body", Text, nullable=False),  # the exact bytes signed and sent, on every attempt
    Column("status", String(16), nullable=False),  # PENDING | SUCCEEDED | FAILED
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float),  # unix time; None once finished
    Column("response_status", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_webhook_deliveries_webhook_position", "webhook_id", "position"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)


# Alert rules: a read model of the `alert-rule-{id}` streams (projector `readmodels`).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("conditions", JSON, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("action_interval_minutes", Integer, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_position", BigInteger, nullable=False),  # only later triggers notify
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The alerts worker's outbox and notification log (projector `alerts`, then its sender): one row
# per trigger and channel. Not derived from the log alone (attempts happen outside it), and the
# action interval is read from it: replay keeps these rows.
alert_notifications = Table(
    "alert_notifications",
    metadata,
    Column("id", String(36), primary_key=True),  # derived from rule, issue, trigger and channel
    Column("rule_id", String(36), nullable=False),
    Column("organization_id", String(36), nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("issue_id", String(36), nullable=False),  # or the monitor kinds: monitor_key() (domain/alert.py)
    Column("trigger", String(32), nullable=False),  # the condition kind that fired
    Column("channel", JSON, nullable=False),  # the rule's channel as it was when queued
    Column("channel_kind", String(16), nullable=False),
    Column("target", Text, nullable=False),  # who is told: addresses, URL, webhook
    Column("position", BigInteger, nullable=False),  # the event-store position of the trigger
    Column("triggered_at", Float, nullable=False),  # the log's time of the trigger (unix)
    Column("subject", Text, nullable=False),  # JSON: issue, project, counts, link
    Column("status", String(16), nullable=False),  # PENDING | SUCCEEDED | FAILED
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float),  # unix time; None once finished
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_attempt_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("recorded_position", BigInteger),  # where its outcome was appended to the rule's stream
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_alert_notifications_rule_position", "rule_id", "position"),
    Index("ix_alert_notifications_rule_issue", "rule_id", "issue_id", "triggered_at"),
    Index("ix_alert_notifications_due", "status", "next_attempt_at"),
)


# Releases made through the release API (`stackline/entrypoints/sentry_api.py`); each of their projects
# also gets its `releases` row, the one the issue lifecycle reads.
org_releases = Table(
    "org_releases",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("version", String(250), primary_key=True),
    Column("project_ids", JSON, nullable=False),
    Column("url", Text),
    Column("date_started", String(40)),
    Column("date_released", String(40)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deploys = Table(
    "deploys",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("version", String(250), primary_key=True),
    Column("deploy_id", String(36), primary_key=True),
    Column("environment", String(64), nullable=False),
    Column("name", String(200)),
    Column("url", Text),
    Column("date_started", String(40)),
    Column("date_finished", String(40), nullable=False),
    Column("position", BigInteger, nullable=False),
)

# Artifact bundles and their files (the bytes are blobs, by SHA-256).
artifact_bundles = Table(
    "artifact_bundles",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("bundle_id", String(40), primary_key=True),
    Column("release", String(250)),
    Column("dist", String(64)),
    Column("size", BigInteger, nullable=False),
    Column("file_count", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

artifact_files = Table(
    "artifact_files",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("bundle_id", String(40), primary_key=True),
    Column("url", String(500), primary_key=True),
    Column("file_type", String(32), nullable=False),
    Column("debug_id", String(36)),
    Column("sourcemap", String(500)),
    Column("release", String(250)),
    Column("dist", String(64)),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_artifact_files_debug_id", "organization_id", "debug_id", "file_type"),
    Index("ix_artifact_files_release_url", "organization_id", "release", "url"),
)

# An error event's stack traces mapped through its source maps (the stored event keeps the
# minified frames); `missing` lists what it still waits for (`debug:<id>`, `url:<release>:<url>`).
symbolicated_events = Table(
    "symbolicated_events",
    metadata,
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(32), primary_key=True),
    Column("organization_id", String(36), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("exceptions", JSON, nullable=False),  # per exception value: its mapped frames, or null
    Column("mapped_frames", Integer, nullable=False),
)

sourcemap_wanted = Table(
    "sourcemap_wanted",
    metadata,
    Column("organization_id", String(36), primary_key=True),
    Column("key", String(800), primary_key=True),
    Column("project_id", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


def replay_deferred_indexes(dialect: str) -> list[Index]:
    """The indexes `stackline replay` builds after the log is applied rather than row by row:
    every non-unique index of the tables that grow with the log. They serve the API's reads
    (issue-list sorts, free text, tag search, event pages); the projector reads these tables by
    key only, except when a merge moves an issue's events (that builds their index at once:
    `IssuesProjection._move`). One sort per
    index at the end costs a fraction of keeping ten B-trees up to date through a million
    writes."""
    return [
        index
        for table in (issues, events, issue_tags, transactions)
        for index in sorted(table.indexes, key=lambda i: i.name or "")
        if not index.unique and on_dialect(index, dialect)
    ]
