"""Shared subscriptions: one execution and one encoding per change for every websocket that
subscribed to the same operation.

strawberry runs each subscription on its own. With 1,000 websockets following one project,
every issue change was read from the read model, executed and JSON-encoded 1,000 times, and
that CPU capped fan-out (docs/benchmarks.md, "Figures behind choices in the code"). Here,
subscriptions with the same document, operation name, variables and viewer rights share ONE
strawberry stream running in a task of its own; each result is encoded once, and each
websocket's operation task only sends the shared text with its own operation id.

Sharing is sound because a resolver's answer depends on nothing but the viewer's effective
scopes per organization (every read filters by organization; scopes gate fields): the key
carries those, never a token. Each member's own token is looked up again before each delivery,
so a revoked token or a removed member stops receiving even while others share the stream.
Each member has a bounded queue, like the bus: a slow websocket loses its oldest results and
never holds up the others. Whatever is not a valid subscription document (queries
and mutations over the socket, documents that fail to parse or validate) goes through strawberry
exactly as before, so its errors and close codes are strawberry's own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from graphql import GraphQLSchema, OperationType, get_operation_ast, parse, validate
from graphql.error import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry import Schema
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import CompleteMessage
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from stackline.app.lookups import Viewer
from stackline.graphql.context import Context

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # results a websocket may fall behind before it loses its oldest
_END = object()  # the shared stream ended: each member completes its operation


@dataclasses.dataclass(frozen=True, slots=True)
class SharedResult:
    result: ExecutionResult
    payload: str | None  # the `next` payload as JSON; None for a pre-execution error


@functools.lru_cache(maxsize=256)
def _is_subscription(schema: GraphQLSchema, query: str, operation_name: str | None) -> bool:
    """True when the document parses, validates and names a subscription operation."""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    if validate(schema, document):
        return False
    operation = get_operation_ast(document, operation_name)
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class _Group:
    """One strawberry stream and the queues of the websockets that share it."""

    def __init__(
        self, hub: SharedSubscriptions, key: tuple, operation: Operation[Context, None], context: Context
    ) -> None:
        self.hub = hub
        self.key = key
        self.members: set[asyncio.Queue[SharedResult | object]] = set()
        # The stream's own context: the first websocket may leave long before the others.
        own_context = Context(
            services=context.services, request=context.request, response=None, viewer=context.viewer
        )
        self.task = asyncio.get_running_loop().create_task(
            self._run(operation.query, operation.variables, operation.operation_name, own_context)
        )

    async def _run(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None, context: Context
    ) -> None:
        try:
            source = await self.hub.schema.stream(
                query, variable_values=variables, context_value=context, operation_name=operation_name
            )
            async with aclosing(source):
                async for result in source:
                    if not isinstance(result, ExecutionResult):
                        continue  # incremental-delivery frames: no @defer/@stream in this schema
                    if result.errors:
                        # Errors usually end the stream; whoever subscribes next gets a stream
                        # (and errors) of its own rather than joining one that is ending.
                        self.hub.forget(self)
                    self._deliver(
                        SharedResult(
                            result, None if isinstance(result, PreExecutionError) else _encode_payload(result)
                        )
                    )
        except Exception:
            log.exception("a shared subscription failed")
        finally:
            self.hub.forget(self)
            self._deliver(_END)

    def _deliver(self, item: SharedResult | object) -> None:
        for queue in list(self.members):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(item)


class SharedSubscriptions:
    """The running shared streams of one GraphQL view, by operation and viewer rights."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._groups: dict[tuple, _Group] = {}

    def key_for(self, operation: Operation[Context, None], context: Context) -> tuple | None:
        """The sharing key of an operation, or None when strawberry should run it alone."""
        viewer = context.viewer
        if viewer is None or not _is_subscription(
            self.schema._schema, operation.query, operation.operation_name
        ):  # noqa: SLF001
            return None
        try:
            variables = orjson.dumps(operation.variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return (operation.query, operation.operation_name, variables, rights_of(viewer))

    @asynccontextmanager
    async def join(
        self, key: tuple, operation: Operation[Context, None], context: Context
    ) -> AsyncIterator[asyncio.Queue]:
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(self, key, operation, context)
        queue: asyncio.Queue[SharedResult | object] = asyncio.Queue(QUEUE_LIMIT)
        group.members.add(queue)
        try:
            yield queue
        finally:
            group.members.discard(queue)
            if not group.members:
                self.forget(group)
                group.task.cancel()  # closes the stream, and with it the bus subscription

    def forget(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]

    @property
    def streams(self) -> int:
        """How many shared streams run now (one per distinct operation and viewer rights)."""
        return len(self._groups)


def rights_of(viewer: Viewer) -> tuple:
    """What a viewer may see: its effective scopes per organization (never the token itself)."""
    return tuple(sorted((org, tuple(sorted(scopes))) for org, scopes in viewer.grants.items()))


NO_LONGER_ALLOWED = orjson.dumps(
    {"errors": [{"message": "this API token no longer has access to this project"}]}
).decode()


def _encode_payload(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SharingTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with subscriptions served from the view's shared streams."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        shared: SharedSubscriptions = self.view.shared_subscriptions  # type: ignore[attr-defined]
        key = shared.key_for(operation, self.context)
        if key is None:
            await super().run_operation(operation)
            return
        websocket = self.websocket
        assert isinstance(websocket, WebSocketAdapter)  # the view's websocket_adapter_class
        async with shared.join(key, operation, self.context) as queue:
            prefix = '{"id":' + orjson.dumps(operation.id).decode() + ',"type":"next","payload":'
            first = True
            while True:
                item = await queue.get()
                if item is _END:
                    break
                assert isinstance(item, SharedResult)
                if item.payload is None:  # a pre-execution error: only ever a stream's first result
                    if first and item.result.errors:
                        await operation.send_initial_errors(item.result.errors)
                        return
                    continue
                first = False
                if operation.completed:
                    return
                # The stream is shared, so each member's token is checked again here (cached
                # briefly): revoked, expired, removed or with other rights now, it stops.
                token = self.context.token
                viewer = await self.context.services.lookups.viewer(token) if token else None
                allowed = viewer is not None and rights_of(viewer) == key[-1]
                try:
                    await websocket.send_text(prefix + (item.payload if allowed else NO_LONGER_ALLOWED) + "}")
                except WebSocketDisconnected:
                    return
                if not allowed:
                    break
        await operation.send_operation_message(CompleteMessage(id=operation.id, type="complete"))
