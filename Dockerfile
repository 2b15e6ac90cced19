# The portal's image: gunicorn serving portal.wsgi by default; the same image runs the Celery
# worker and beat and the one-shot migrate service of compose.yaml (see docs/deployment.md).
# tests/test_deployment_files.py checks this file, since no Docker engine ran where it was written.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: the locked dependencies, without the dev group, in /app/.venv ---------------------
FROM ${PYTHON_IMAGE} AS builder

# The Makefile's UV_VERSION, installed the same way (pip from PyPI).
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir --root-user-action=ignore "uv==${UV_VERSION}"

ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

WORKDIR /app
# Only the lock and the project's metadata: this layer is rebuilt when the dependencies change,
# not when the code does. Every package outside the dev group has a wheel: no compiler needed.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python python3.11

# --- runtime --------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production

# An unprivileged user with a writable home (gunicorn puts its control socket in ~/.gunicorn).
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
        --shell /usr/sbin/nologin portal

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
COPY . .

# Static files are collected into the image (STATIC_ROOT=/app/var/static) with whitenoise's
# CompressedManifestStaticFilesStorage, which production settings select. Production settings
# refuse to load without these variables: the values below exist for this build step only and
# are not kept in the image (no database is opened, no mail is sent).
RUN DJANGO_SETTINGS_MODULE=portal.settings.production \
    SECRET_KEY=build-only-collectstatic-not-a-real-secret-key \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    EMAIL_URL=consolemail:// \
    WAGTAILADMIN_BASE_URL=http://localhost \
    python manage.py collectstatic --noinput --verbosity 1 \
    && rm -f /tmp/build.sqlite3

# Uploads (MEDIA_ROOT) and private files (PRIVATE_MEDIA_ROOT) are volumes in compose.yaml; a
# new named volume takes this ownership, so the unprivileged user can write to it.
RUN mkdir -p var/media var/private \
    && chown portal:portal var var/media var/private

USER 10001:10001

EXPOSE 8000

# /health/live answers 200 while the process serves requests; docker/healthcheck.py sends the
# Host and X-Forwarded-Proto headers production settings require (ALLOWED_HOSTS, SSL redirect).
# compose.yaml's web service checks /health/ready instead (database, Redis, Elasticsearch).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "http://127.0.0.1:8000/health/live"]

# Threaded workers keep a client's connection open between its requests (keep-alive): a page
# from the page cache costs less than opening a connection (bench/pages). --reuse-port gives
# each worker its own listening socket, among which the kernel spreads new connections:
# otherwise one worker may take every kept-alive connection while the other idles.
CMD ["sh", "-c", "exec gunicorn portal.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --worker-class gthread --threads ${GUNICORN_THREADS:-4} --reuse-port --access-logfile -"]
