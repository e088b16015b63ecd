"""Settings from flags and `STACKLINE_*` environment variables, with embedded defaults."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SERVER_FILE = "server.json"


class SettingsError(ValueError):
    """A setting is wrong; the message names the setting to fix."""


KIB = 1024
MIB = 1024 * KIB


def number_setting(
    variable: str, kind: type[int] | type[float] = int, noun: str = "a number", minimum: float | None = None
) -> float | None:
    """The environment variable as a number of `kind`, None when unset; it must be positive, or
    at least `minimum` when one is given. A wrong value names the variable."""
    raw = os.environ.get(variable)
    if raw is None:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{variable}: {raw!r} is not {noun}") from None
    if minimum is None and value <= 0:
        raise SettingsError(f"{variable}: must be positive")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{variable}: must be at least {minimum}")
    return value


def number_settings(
    fields: tuple[tuple[str, str], ...], kind: type[int] | type[float] = int, noun: str = "a number"
) -> dict[str, Any]:
    """`{field: value}` for each (field, variable) whose variable is set (`number_setting`)."""
    values = {}
    for field_name, variable in fields:
        value = number_setting(variable, kind, noun)
        if value is not None:
            values[field_name] = value
    return values


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Size limits at the door (Relay's defaults): bigger bodies get a 413."""

    max_envelope_bytes: int = 100 * MIB  # as received, and again after decompression
    max_event_bytes: int = 1 * MIB  # one event, transaction or other JSON item
    max_attachment_bytes: int = 100 * MIB  # one attachment

    @classmethod
    def from_environment(cls) -> IngestLimits:
        fields = (
            ("max_envelope_bytes", "STACKLINE_MAX_ENVELOPE_BYTES"),
            ("max_event_bytes", "STACKLINE_MAX_EVENT_BYTES"),
            ("max_attachment_bytes", "STACKLINE_MAX_ATTACHMENT_BYTES"),
        )
        return cls(**number_settings(fields, noun="a number of bytes"))


@dataclass(frozen=True, slots=True)
class IntakeWorkers:
    """Where ingest decompresses, parses and scrubs large bodies (`stackline.app.intake_pool`)."""

    threads: int = 2  # STACKLINE_INTAKE_THREADS: worker threads for large bodies
    inline_bytes: int = 256 * KIB  # STACKLINE_INTAKE_INLINE_BYTES: smaller bodies stay on the loop
    max_queued: int = 16  # STACKLINE_INTAKE_MAX_QUEUED: large bodies waiting or running, at most

    @classmethod
    def from_environment(cls) -> IntakeWorkers:
        values = {}
        for field_name, variable, minimum in (
            ("threads", "STACKLINE_INTAKE_THREADS", 1),
            ("inline_bytes", "STACKLINE_INTAKE_INLINE_BYTES", 0),
            ("max_queued", "STACKLINE_INTAKE_MAX_QUEUED", 1),
        ):
            value = number_setting(variable, int, "a whole number", minimum)
            if value is not None:
                values[field_name] = int(value)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ArtifactLimits:
    """Source map uploads (`sentry-cli sourcemaps upload`): what one bundle may hold and how
    much an organization may store (docs/sourcemaps.md)."""

    quota_bytes: int = 1024 * MIB  # STACKLINE_ARTIFACT_QUOTA_BYTES: stored per organization
    max_bundle_bytes: int = 256 * MIB  # STACKLINE_MAX_ARTIFACT_BUNDLE_BYTES: one zipped bundle
    max_file_bytes: int = 64 * MIB  # STACKLINE_MAX_ARTIFACT_FILE_BYTES: one file, unzipped
    max_files: int = 10_000  # files in one bundle
    chunk_bytes: int = 8 * MIB  # the chunk size sentry-cli is told to use

    @classmethod
    def from_environment(cls) -> ArtifactLimits:
        fields = (
            ("quota_bytes", "STACKLINE_ARTIFACT_QUOTA_BYTES"),
            ("max_bundle_bytes", "STACKLINE_MAX_ARTIFACT_BUNDLE_BYTES"),
            ("max_file_bytes", "STACKLINE_MAX_ARTIFACT_FILE_BYTES"),
        )
        return cls(**number_settings(fields, noun="a number of bytes"))


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """How the webhook sender retries and waits (see docs/integrations.md)."""

    max_attempts: int = 6  # STACKLINE_WEBHOOK_MAX_ATTEMPTS: attempts per delivery, the first included
    base_delay: float = 10.0  # STACKLINE_WEBHOOK_BASE_DELAY: seconds before the 2nd attempt; doubles
    max_delay: float = 3600.0  # STACKLINE_WEBHOOK_MAX_DELAY: longest wait between attempts
    timeout: float = 10.0  # STACKLINE_WEBHOOK_TIMEOUT: seconds one attempt may take in all
    poll_interval: float = 0.5  # STACKLINE_WEBHOOK_POLL_INTERVAL: how often due deliveries are looked for

    @classmethod
    def from_environment(cls) -> WebhookSettings:
        values = {
            **number_settings((("max_attempts", "STACKLINE_WEBHOOK_MAX_ATTEMPTS"),), int),
            **number_settings(
                (
                    ("base_delay", "STACKLINE_WEBHOOK_BASE_DELAY"),
                    ("max_delay", "STACKLINE_WEBHOOK_MAX_DELAY"),
                    ("timeout", "STACKLINE_WEBHOOK_TIMEOUT"),
                    ("poll_interval", "STACKLINE_WEBHOOK_POLL_INTERVAL"),
                ),
                float,
            ),
        }
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where alert e-mails go out (README, "Alerts"). No host: e-mail channels fail, saying so."""

    host: str | None = None  # STACKLINE_SMTP_HOST
    port: int = 25  # STACKLINE_SMTP_PORT
    username: str | None = None  # STACKLINE_SMTP_USERNAME
    password: str | None = None  # STACKLINE_SMTP_PASSWORD
    sender: str = "stackline@localhost"  # STACKLINE_SMTP_FROM
    starttls: bool | None = None  # STACKLINE_SMTP_STARTTLS: true, false, or unset: when offered

    @classmethod
    def from_environment(cls) -> SmtpSettings:
        port_text = os.environ.get("STACKLINE_SMTP_PORT") or "25"
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"STACKLINE_SMTP_PORT: {port_text!r} is not a port number")
        starttls_text = (os.environ.get("STACKLINE_SMTP_STARTTLS") or "").strip().lower()
        if starttls_text not in ("", "auto", "true", "false", "1", "0", "yes", "no"):
            raise SettingsError(f"STACKLINE_SMTP_STARTTLS: {starttls_text!r} is not true, false or auto")
        return cls(
            host=os.environ.get("STACKLINE_SMTP_HOST") or None,
            port=int(port_text),
            username=os.environ.get("STACKLINE_SMTP_USERNAME") or None,
            password=os.environ.get("STACKLINE_SMTP_PASSWORD") or None,
            sender=os.environ.get("STACKLINE_SMTP_FROM") or "stackline@localhost",
            starttls=None if starttls_text in ("", "auto") else starttls_text in ("true", "1", "yes"),
        )


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(variable: str, raw: str) -> float:
    """Seconds from `90d`, `12h`, `30m`, `5s` or a plain number of seconds."""
    text = raw.strip().lower()
    unit = DURATION_UNITS.get(text[-1:], None) if text else None
    number = text[:-1] if unit is not None else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise SettingsError(f"{variable}: {raw!r} is not a duration (e.g. 90d, 12h, 30m, 5s)") from None
    if not seconds > 0:
        raise SettingsError(f"{variable}: must be positive")
    return seconds


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    """How long error events are kept and how often the job runs (docs/retention.md)."""

    max_age: float = 90 * 86400  # STACKLINE_RETENTION_MAX_AGE: events recorded longer ago are deleted
    interval: float = 3600.0  # STACKLINE_RETENTION_INTERVAL: how often `serve` runs the job
    batch: int = 5000  # STACKLINE_RETENTION_BATCH: expired events read (and folded) at a time
    # STACKLINE_RETENTION_TRANSACTION: most error events the log deletes in one transaction; one
    # commits sooner once it holds ten events per snapshot it rewrites (docs/retention.md)
    transaction: int = 100_000
    # STACKLINE_RETENTION_MAX_EVENTS: error events kept per project (oldest evicted first, never an
    # issue's first or latest); unset: no cap
    max_events: int | None = None

    @classmethod
    def from_environment(cls) -> RetentionSettings:
        values: dict[str, float] = {}
        for field_name, variable in (
            ("max_age", "STACKLINE_RETENTION_MAX_AGE"),
            ("interval", "STACKLINE_RETENTION_INTERVAL"),
        ):
            raw = os.environ.get(variable)
            if raw is not None:
                values[field_name] = parse_duration(variable, raw)
        for field_name, variable in (
            ("batch", "STACKLINE_RETENTION_BATCH"),
            ("transaction", "STACKLINE_RETENTION_TRANSACTION"),
            ("max_events", "STACKLINE_RETENTION_MAX_EVENTS"),
        ):
            raw = os.environ.get(variable)
            if raw is not None:
                if not raw.isdigit() or int(raw) <= 0:
                    raise SettingsError(f"{variable}: {raw!r} is not a positive number")
                values[field_name] = int(raw)
        return cls(**values)  # type: ignore[arg-type]


def checked_public_url(url: str | None) -> str | None:
    """The base URL SDKs should reach (a load balancer's, say), checked here rather than in a
    DSN an SDK would silently fail to send to."""
    if url is None:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"STACKLINE_PUBLIC_URL (--public-url): {url!r} is not an http(s) URL such as https://errors.example.com"
        )
    if parts.username is not None or parts.query or parts.fragment:
        raise SettingsError(
            f"STACKLINE_PUBLIC_URL (--public-url): {url!r} must not carry a user, query or fragment "
            "(the DSN puts the project's key before the host)"
        )
    try:
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError:
        raise SettingsError(f"STACKLINE_PUBLIC_URL (--public-url): {url!r} has a bad port") from None
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    eventstore_url: str
    database_url: str
    public_url: str | None
    limits: IngestLimits = IngestLimits()
    intake: IntakeWorkers = IntakeWorkers()
    nats_url: str | None = None  # STACKLINE_NATS_URL: issue changes fan out across processes
    nats_prefix: str = "stackline"  # STACKLINE_NATS_PREFIX: subjects {prefix}.{org}.{project}.issues.{kind}
    # STACKLINE_CLICKHOUSE_URL: the analytics store on a ClickHouse server (clickhouse-connect DSN);
    # unset: embedded chDB in {data_dir}/analytics; "none": no analytics store in this process.
    clickhouse_url: str | None = None

    @property
    def analytics_enabled(self) -> bool:
        return self.clickhouse_url != "none"

    @property
    def analytics_dir(self) -> Path:
        return self.data_dir / "analytics"

    webhooks: WebhookSettings = WebhookSettings()
    smtp: SmtpSettings = SmtpSettings()
    artifacts: ArtifactLimits = ArtifactLimits()
    retention: RetentionSettings = RetentionSettings()

    @classmethod
    def load(cls, data_dir: str | Path | None = None, public_url: str | None = None) -> Settings:
        directory = Path(data_dir or os.environ.get("STACKLINE_DATA_DIR") or ".stackline").resolve()
        return cls(
            data_dir=directory,
            eventstore_url=os.environ.get("STACKLINE_EVENTSTORE_URL")
            or f"sqlite:///{directory / 'events.sqlite3'}",
            database_url=os.environ.get("STACKLINE_DATABASE_URL")
            or f"sqlite+aiosqlite:///{directory / 'readmodels.sqlite3'}",
            public_url=checked_public_url(public_url or os.environ.get("STACKLINE_PUBLIC_URL") or None),
            limits=IngestLimits.from_environment(),
            intake=IntakeWorkers.from_environment(),
            nats_url=os.environ.get("STACKLINE_NATS_URL") or None,
            nats_prefix=os.environ.get("STACKLINE_NATS_PREFIX") or "stackline",
            clickhouse_url=os.environ.get("STACKLINE_CLICKHOUSE_URL") or None,
            webhooks=WebhookSettings.from_environment(),
            smtp=SmtpSettings.from_environment(),
            artifacts=ArtifactLimits.from_environment(),
            retention=RetentionSettings.from_environment(),
        )

    def resolved_public_url(self) -> str:
        """Where SDKs reach this server: the setting, else what a running `serve` recorded."""
        if self.public_url:
            return self.public_url.rstrip("/")
        try:
            return json.loads((self.data_dir / SERVER_FILE).read_text())["url"]
        except (OSError, ValueError, KeyError):
            return f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"

    def record_server(self, url: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / SERVER_FILE).write_text(json.dumps({"url": url, "pid": os.getpid()}))
