"""Entry points: where a request or a command line enters stackline, and nothing more.

The ASGI app (`asgi.py`: routes, `/healthz`, the GraphQL view mounted at `/graphql`), the CLI
(`cli.py`, the `stackline` console script), the Sentry REST endpoints (`sentry_api.py`) and the
attachment download route (`attachments.py`). They turn requests into calls of the application
services (`stackline/app/`) and the use cases (`stackline/usecases/`) and answers into responses.
Only this package imports `stackline.graphql`; nothing below imports it
(`tests/app/test_layers.py`).
"""
