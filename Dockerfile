# stackline: one image for every role of the production topology (see docker-compose.yml):
# `stackline serve --no-projectors` for the API, `stackline project run NAME` for a projector,
# `stackline migrate` once before them. Configuration is the STACKLINE_* environment (README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    STACKLINE_DATA_DIR=/data

# The same uv as the development machines, from PyPI.
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, from the lock file alone, so a code change does not reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

# The project itself. The alembic migrations live beside the package (stackline/readmodels/db.py
# finds them from its own path), so the project stays in /app as installed by uv.
COPY stackline ./stackline
COPY migrations ./migrations
RUN uv sync --frozen --no-dev

# Never root. /data holds attachment blobs (shared by every API process) and, without
# STACKLINE_CLICKHOUSE_URL, the embedded stores; a named volume mounted there inherits its owner.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin stackline \
    && mkdir -p /data \
    && chown stackline:stackline /data
USER stackline
VOLUME ["/data"]

EXPOSE 8000
# /healthz answers once the event store and read models are open. Projector containers serve
# no HTTP: docker-compose.yml turns this check off for them.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["stackline"]
# Alone (`docker run -p 8000:8000 -v stackline:/data IMAGE`) it is the all-in-one server on
# embedded stores in /data; docker-compose.yml gives each container its own command.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
