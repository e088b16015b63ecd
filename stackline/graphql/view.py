"""The ASGI view serving `/graphql`: HTTP queries, GraphiQL, and `graphql-transport-ws`.

GraphiQL is the page built into the web UI's bundle (`stackline.webui.graphiql_page`), not
strawberry's, which loads its scripts from a CDN and so is blank offline.

Authentication happens here, once per request or websocket connection: an HTTP request
carries `Authorization: Bearer <token>`; a websocket sends it in `connection_init`'s payload
(`{"Authorization": "Bearer <token>"}`) or in its upgrade request's headers. Only the
`graphql-transport-ws` protocol is offered (the legacy one lacks its handshake guarantees).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from stackline.app.lookups import bearer_token
from stackline.graphql.context import Context
from stackline.graphql.fanout import SharedSubscriptions, SharingTransportWSHandler, WebSocketAdapter
from stackline.graphql.schema import schema
from stackline.webui import graphiql_page


class GraphQLView(GraphQL[Context, None]):
    # Subscriptions of one operation share one execution per change (fanout.py).
    graphql_transport_ws_handler_class = SharingTransportWSHandler
    websocket_adapter_class = WebSocketAdapter

    def __init__(self) -> None:
        super().__init__(
            schema,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.shared_subscriptions = SharedSubscriptions(schema)

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        services = request.app.state.services
        context = Context(services=services, request=request, response=response)
        token = bearer_token(request.headers.get("authorization"))
        if token:
            context.token = token
            context.viewer = await services.lookups.viewer(token)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        token = bearer_token(params.get("Authorization") or params.get("authorization"))
        if token:
            context.token = token
            context.viewer = await context.services.lookups.viewer(token)
        if context.viewer is None:
            raise ConnectionRejectionError({"detail": "a valid API token is required"})
        return UNSET
