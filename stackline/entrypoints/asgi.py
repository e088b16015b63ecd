"""The one Starlette app: ingest routes, `/graphql`, `/healthz` and the web UI, around the wired services."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from stackline import webui
from stackline.app.settings import Settings
from stackline.app.wiring import READ_MODEL_PROJECTOR, Services, open_services
from stackline.domain import registry
from stackline.entrypoints import attachments, ingest, sentry_api
from stackline.graphql.view import GraphQLView
from stackline.projections.runner import load_checkpoint


async def healthz(request: Request) -> JSONResponse:
    services = request.app.state.services
    running = services.projector_running
    here = request.app.state.runs_projectors
    # None where no read-model projector runs at all: its 0 read as "nothing projected yet".
    projector: dict[str, object] = {"projector_position": services.projector.position if here else None}
    if not running:
        # Not a position of 0: say where the read models are and why this process is not moving them.
        async with services.engine.connect() as conn:
            projector["readmodels_checkpoint"] = await load_checkpoint(conn, READ_MODEL_PROJECTOR)
        projector["projector"] = (
            "not running yet: starting, or standing by while another process holds it"
            if here
            else "not running in this process (serve --no-projectors): "
            "`stackline project run readmodels` runs it"
        )
    return JSONResponse(
        {
            "status": "ok",
            "eventstore_head": await services.store.head_position(),
            **projector,
            "projector_running": running,
            # Live subscriptions: one shared stream per distinct operation and viewer rights.
            "subscription_streams": request.app.state.shared_subscriptions.streams,
            # Stored events of types this version does not know, skipped by this process's
            # readers (`stackline.domain.registry`): empty unless a newer version wrote them.
            "unknown_event_types": registry.unknown_event_types(),
            # Large bodies now waiting for or in an intake worker (at most STACKLINE_INTAKE_MAX_QUEUED).
            "intake_queued": services.intake_pool.queued,
            # Each projector this process runs: where it is in the log and whether it runs.
            "projectors": {
                runner.name: {"position": runner.position, "running": runner.running}
                for runner in services.projectors()
            }
            if here
            else {},
            # Background tasks (projectors, senders) restarted after a crash, and why.
            "task_restarts": services.supervisor.restarts,
            "last_crash": services.supervisor.last_crash,
        }
    )


def create_app(
    settings: Settings, *, run_projectors: bool = True, services: Services | None = None
) -> Starlette:
    """The app; `services` already opened (as `stackline serve` does, to report bad settings
    before it starts listening) or opened at start-up."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = services or await open_services(settings, runs_projectors=run_projectors)
        app.state.services = opened
        services_ = opened
        services_.start_serving()
        if run_projectors:
            services_.start_projectors()
        try:
            yield
        finally:
            await services_.close()

    graphql = GraphQLView()
    app = Starlette(
        routes=[
            *ingest.routes,
            *attachments.routes,
            *sentry_api.routes,
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            # Last: the UI's paths (`/`, `/login`, `/orgs/...`, `/assets/...`) never shadow the API's.
            *webui.routes(),
        ],
        lifespan=lifespan,
    )
    app.state.shared_subscriptions = graphql.shared_subscriptions
    app.state.runs_projectors = run_projectors
    return app
