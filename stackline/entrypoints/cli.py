"""The `stackline` command: serve, bootstrap, migrate."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import json
import logging
import socket
import sys
import time
from datetime import UTC, datetime
from typing import Any

import uvicorn
import uvloop

from stackline.analytics.port import AnalyticsUnavailable
from stackline.app.commands import Commands
from stackline.app.retention import RetentionResult
from stackline.app.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, SettingsError
from stackline.app.wiring import migrate_read_models, open_event_store
from stackline.domain.organization import ALL_SCOPES, InvalidCommand


class AnnouncingServer(uvicorn.Server):
    """Says it listens once start-up (the app's lifespan: projectors, subscriptions) is done,
    not before: a request sent on that line is served."""

    def __init__(self, config: uvicorn.Config, announcement: str) -> None:
        super().__init__(config)
        self.announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            print(self.announcement, flush=True)


def serve(args: argparse.Namespace) -> int:
    from stackline.app.wiring import open_services
    from stackline.entrypoints.asgi import create_app

    # An intake worker parsing a large body shares the GIL with the event loop; the loop gets
    # it back after the switch interval, so a shorter one (default 5 ms) keeps small requests'
    # latency low meanwhile (bench/ingest_stall.py; docs/benchmarks.md).
    sys.setswitchinterval(0.001)
    settings = Settings.load(args.data_dir, args.public_url)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Answers are small and latency matters (an SDK waits for each 200): no Nagle delay.
    # Linux hands this on to every accepted connection.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as error:
        print(
            f"stackline: cannot listen on {args.host}:{args.port}: {error.strerror} (use --port)",
            file=sys.stderr,
        )
        return 2
    port = sock.getsockname()[1]
    url = f"http://{args.host}:{port}"

    async def run() -> None:
        # Bad settings stop us here, with a clear message.
        services = await open_services(settings, runs_projectors=not args.no_projectors)
        settings.record_server(settings.public_url or url)
        app = create_app(settings, run_projectors=not args.no_projectors, services=services)
        # No permessage-deflate: subscription messages are a few hundred bytes, and compressing
        # each one for each websocket was the biggest cost of live fan-out (bench/live.py).
        config = uvicorn.Config(
            app,
            log_level=args.log_level,
            access_log=args.access_log,
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        print(f"stackline data directory: {settings.data_dir}", flush=True)
        # What start-up built (modules, the GraphQL schema, table metadata) lives as long as the
        # process: keep it out of the collector's full scans, each of which stops every
        # websocket's fan-out, and about half of which went over start-up's objects
        # (docs/benchmarks.md, "Figures behind choices in the code").
        gc.collect()
        gc.freeze()
        await AnnouncingServer(config, f"stackline listening on {url} (GraphQL: {url}/graphql)").serve(
            sockets=[sock]
        )

    uvloop.run(run())
    return 0


async def _bootstrap(
    settings: Settings, org_slug: str, project_slug: str, owner: str | None = None
) -> dict[str, str]:
    store = await open_event_store(settings.eventstore_url)
    try:
        commands = Commands(store)
        await commands.ensure_organization(org_slug, actor="bootstrap")
        project = await commands.ensure_project(org_slug, project_slug, actor="bootstrap")
        if owner is not None:
            await commands.add_member(org_slug, owner, "owner", actor="bootstrap")
        token = await commands.issue_token(org_slug, "bootstrap", actor="bootstrap")
    finally:
        await store.close()
    from stackline.graphql.context import encode_id

    scheme, _, host = settings.resolved_public_url().partition("://")
    return {
        "dsn": f"{scheme}://{project.public_keys[0]}@{host}/{project.project_id}",
        "token": token.token,
        "organization": org_slug,
        "project": project_slug,
        # The GraphQL id `issueChanges(projectId:)` and `node(id:)` take.
        "project_id": encode_id("Project", project.project_id),
    }


def bootstrap(args: argparse.Namespace) -> int:
    settings = Settings.load(args.data_dir, args.public_url)
    try:
        result = asyncio.run(_bootstrap(settings, args.org, args.project, args.owner))
    except InvalidCommand as error:
        print(f"stackline bootstrap: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(f"organization: {result['organization']}")
        print(f"project:      {result['project']}")
        print(f"project id:   {result['project_id']}  (GraphQL, e.g. issueChanges(projectId: …))")
        print(f"DSN:          {result['dsn']}")
        print(
            f"API token:    {result['token']}  (a new one each run; shown once; "
            "send as 'Authorization: Bearer …')"
        )
    return 0


async def _personal_token(
    settings: Settings, email: str, label: str, scopes: list[str], expires_in_days: float | None
) -> dict[str, str]:
    store = await open_event_store(settings.eventstore_url)
    try:
        expires_at = time.time() + expires_in_days * 86400 if expires_in_days else None
        issued = await Commands(store).issue_personal_token(email, label, scopes, expires_at, actor="cli")
    finally:
        await store.close()
    return {"token": issued.token, "token_id": issued.token_id, "user": email.strip().lower()}


def token_command(args: argparse.Namespace) -> int:
    settings = Settings.load(args.data_dir)
    scopes = args.scopes.split(",") if args.scopes else list(ALL_SCOPES)
    try:
        result = asyncio.run(_personal_token(settings, args.user, args.label, scopes, args.expires_in_days))
    except InvalidCommand as error:
        print(f"stackline token: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(f"user:         {result['user']}")
        print(f"API token:    {result['token']}  (personal; shown once; send as 'Authorization: Bearer …')")
    return 0


async def _change_retention(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """Apply the retention flags to the organization (or, with --project, to that project) and
    answer with what it then holds (None: the organization's, or the server's setting)."""
    changes: dict[str, Any] = {}
    if args.days is not None:
        changes["retention_days"] = args.days
    if args.clear_days:
        changes["retention_days"] = None
    if args.max_events is not None:
        changes["retention_max_events"] = args.max_events
    if args.clear_max_events:
        changes["retention_max_events"] = None
    store = await open_event_store(settings.eventstore_url)
    try:
        commands = Commands(store)
        if changes and args.project is None:
            await commands.change_organization_retention(args.org, changes, actor="cli")
        elif changes:
            await commands.change_project_settings(args.org, args.project, changes, actor="cli")
        org, _ = await commands.load_organization(args.org)
    finally:
        await store.close()
    if not org.exists:
        raise InvalidCommand(f"organization {args.org!r} does not exist")
    held: Any = org.retention
    if args.project is not None:
        project = org.projects.get(args.project)
        if project is None:
            raise InvalidCommand(f"project {args.project!r} not found in organization {args.org!r}")
        held = project.settings
    return {
        "organization": args.org,
        "project": args.project,
        "retention_days": held.retention_days,
        "retention_max_events": held.retention_max_events,
    }


def retention_settings_command(args: argparse.Namespace) -> int:
    """`stackline retention --org O [--project P] [--days D] [--max-events N] ...`"""
    settings = Settings.load(args.data_dir)
    try:
        result = asyncio.run(_change_retention(settings, args))
    except InvalidCommand as error:
        print(f"stackline retention: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        where = f"project {args.project}" if args.project else f"organization {args.org}"
        unset = "the organization's" if args.project else "the server's"
        days, cap = result["retention_days"], result["retention_max_events"]
        print(f"{where}: max age {f'{days:g} days' if days is not None else unset}, ", end="")
        print(f"max events per project {cap if cap is not None else unset}")
    return 0


def migrate_command(args: argparse.Namespace) -> int:
    settings = Settings.load(args.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate_read_models(settings.database_url)
    print("read models migrated to head")
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from stackline.app.replay import replay

    settings = Settings.load(args.data_dir)
    try:
        result = asyncio.run(replay(settings, args.projection, progress=not args.quiet))
    except (RuntimeError, ValueError) as error:
        print(f"stackline replay: {error}", file=sys.stderr)
        return 2
    print(f"replayed {result.events} events in {result.seconds:.1f} s ({result.rate:,.0f} events/s)")
    return 0


def retention_command(args: argparse.Namespace) -> int:
    """`stackline project run retention [--once]`: the retention job (docs/retention.md)."""
    from stackline.app.wiring import RETENTION_JOB, open_services
    from stackline.eventstore.port import RetentionUnsupported

    now: float | None = None
    if args.now is not None:
        if not args.once:
            print("stackline project run retention: --now is for one run (--once)", file=sys.stderr)
            return 2
        try:
            as_of = datetime.fromisoformat(args.now)
        except ValueError:
            print(
                f"stackline project run retention: --now {args.now!r} is not an ISO 8601 time",
                file=sys.stderr,
            )
            return 2
        now = (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp()

    async def run() -> None:
        services = await open_services(Settings.load(args.data_dir))
        try:
            if not args.once:
                services.start_projectors((RETENTION_JOB,))
                print(
                    f"stackline retention running (data directory {services.settings.data_dir})", flush=True
                )
                await services.wait_closed()
                return

            def progress(result: RetentionResult) -> None:
                print(f"retention: {result.deleted + result.items} events deleted so far", flush=True)

            result = await services.retention_job().run_leased(wait=True, now=now, on_batch=progress)
            assert result is not None
            print(
                f"retention: deleted {result.deleted} events into {result.snapshots} snapshots,"
                f" expired {result.items} other items (transactions, sessions, check-ins, logs, ...)"
                f" ({result.finished} finished from an earlier run) in {result.seconds:.1f} s",
                flush=True,
            )
        finally:
            await services.close()

    try:
        uvloop.run(run())
    except RetentionUnsupported as error:
        print(f"stackline project run retention: {error}", file=sys.stderr)
        return 2
    return 0


def project_run_command(args: argparse.Namespace) -> int:
    from stackline.app.wiring import ANALYTICS_PROJECTOR, PROJECTORS, RETENTION_JOB, open_services

    if args.name == RETENTION_JOB:
        return retention_command(args)
    if args.once or args.now is not None:
        print("stackline project run: --once and --now are for the retention job only", file=sys.stderr)
        return 2

    async def run() -> None:
        services = await open_services(
            Settings.load(args.data_dir), analytics=args.name == ANALYTICS_PROJECTOR
        )
        try:
            if args.name == ANALYTICS_PROJECTOR:
                services.require_analytics()  # a projector without its store has nothing to do
            services.start_projectors((args.name,))
            print(
                f"stackline projector {args.name} running (data directory {services.settings.data_dir})",
                flush=True,
            )
            await services.wait_closed()
        finally:
            await services.close()

    if args.name not in PROJECTORS:
        print(
            f"stackline project run: unknown projector {args.name!r} (known: {', '.join(PROJECTORS)})",
            file=sys.stderr,
        )
        return 2
    try:
        uvloop.run(run())
    except AnalyticsUnavailable as error:
        print(f"stackline project run: {error}", file=sys.stderr)
        return 2
    return 0


def schema_command(args: argparse.Namespace) -> int:
    from stackline.graphql.schema import schema

    print(str(schema).rstrip())
    return 0


def package_version() -> str:
    try:
        return importlib.metadata.version("stackline")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="stackline", description="A Sentry-compatible error tracker.")
    root.add_argument("--version", action="version", version=f"stackline {package_version()}")
    commands = root.add_subparsers(dest="command", required=True)

    def with_data_dir(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--data-dir", help="where the embedded stores live (default ./.stackline or STACKLINE_DATA_DIR)"
        )
        return p

    serve_p = with_data_dir(commands.add_parser("serve", help="run the API, ingest and projectors"))
    serve_p.add_argument("--host", default=DEFAULT_HOST)
    serve_p.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve_p.add_argument("--public-url", help="the URL SDKs use to reach this server (for DSNs)")
    serve_p.add_argument("--no-projectors", action="store_true", help="serve only; run projectors elsewhere")
    serve_p.add_argument("--log-level", default="info")
    serve_p.add_argument("--access-log", action="store_true")
    serve_p.set_defaults(run=serve)

    boot_p = with_data_dir(
        commands.add_parser("bootstrap", help="create an organization and project, print DSN and token")
    )
    boot_p.add_argument("--org", required=True)
    boot_p.add_argument("--project", required=True)
    boot_p.add_argument(
        "--public-url", help="the URL SDKs use to reach the server (default: the running server's)"
    )
    boot_p.add_argument("--owner", help="a user's email to make an owner of the organization")
    boot_p.add_argument("--json", action="store_true", help="print one JSON line")
    boot_p.set_defaults(run=bootstrap)

    token_p = with_data_dir(
        commands.add_parser("token", help="issue a personal API token for a user (by email)")
    )
    token_p.add_argument("--user", required=True, help="the user's email (registered on first use)")
    token_p.add_argument("--label", default="cli")
    token_p.add_argument(
        "--scopes",
        help="comma-separated (default: all); the user's role in each organization narrows them further",
    )
    token_p.add_argument("--expires-in-days", type=float, help="default: never expires")
    token_p.add_argument("--json", action="store_true", help="print one JSON line")
    token_p.set_defaults(run=token_command)

    migrate_p = with_data_dir(
        commands.add_parser("migrate", help="apply read model migrations (alembic upgrade head)")
    )
    migrate_p.set_defaults(run=migrate_command)

    replay_p = with_data_dir(
        commands.add_parser("replay", help="drop the read models and rebuild them from the event store")
    )
    replay_p.add_argument(
        "--projection",
        default=None,
        help="rebuild only this projection: readmodels or analytics (default: all)",
    )
    replay_p.add_argument("--quiet", action="store_true", help="no progress bar")
    replay_p.set_defaults(run=replay_command)

    ret_p = with_data_dir(
        commands.add_parser(
            "retention",
            help="show or set an organization's retention (or a project's own, with --project)",
        )
    )
    ret_p.add_argument("--org", required=True)
    ret_p.add_argument("--project", help="set the project's own, which comes before the organization's")
    ret_p.add_argument("--days", type=float, help="max age of error events, in days")
    ret_p.add_argument("--clear-days", action="store_true", help="back to the organization's (or server's)")
    ret_p.add_argument("--max-events", type=int, help="error events kept per project")
    ret_p.add_argument("--clear-max-events", action="store_true")
    ret_p.add_argument("--json", action="store_true", help="print one JSON line")
    ret_p.set_defaults(run=retention_settings_command)

    project_p = commands.add_parser("project", help="projector processes")
    project_sub = project_p.add_subparsers(dest="project_command", required=True)
    run_p = with_data_dir(
        project_sub.add_parser("run", help="run one projector (for `serve --no-projectors` setups)")
    )
    run_p.add_argument(
        "name",
        help="the projector to run: readmodels, analytics, webhooks (queues and sends webhook deliveries), "
        "alerts (evaluates alert rules, queues and sends their notifications) "
        "or retention (deletes expired events: docs/retention.md)",
    )
    run_p.add_argument("--once", action="store_true", help="retention only: one run, then exit")
    run_p.add_argument(
        "--now",
        metavar="ISO_TIME",
        help="retention --once only: the instant max ages count back from (default: the clock), "
        "e.g. 2026-12-03T08:00:00Z; a later one deletes more, never what a projector has not applied",
    )
    run_p.set_defaults(run=project_run_command)

    schema_p = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema_p.set_defaults(run=schema_command)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except SettingsError as error:
        print(f"stackline: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
