# refverify service image.
#
#   docker build -t refverify .
#   podman build --format docker --build-arg BASE_IMAGE=localhost/refverify-base:bookworm -t refverify .
#
# BASE_IMAGE must provide `python3` (3.11+) with the venv module and `useradd`/`groupadd`: the official
# python:3.11-slim does, and so does the Debian bookworm image that scripts/base-image builds with debootstrap.
# Both stages use the same base, so the venv's interpreter symlink points at a python3 that exists at run time.
# Build with `--format docker` under podman: the OCI image format has no HEALTHCHECK field.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS builder
# Optional, for the build only (they do not reach the final stage): a PyPI mirror, or the CA bundle of a TLS proxy
# mounted into the build (scripts/container-smoke does this with `podman build -v`).
ARG PIP_INDEX_URL
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python3 -m venv /opt/venv
# Dependencies first, read from pyproject.toml, so editing app/ does not reinstall them (layer cache).
COPY pyproject.toml README.md ./
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY app ./app
# A regular (not editable) install: the package lands in the venv's site-packages, so only /opt/venv is copied on.
# pip and setuptools are build tools; the service does not need them at run time.
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && cd / && /opt/venv/bin/python -c "import app.main, app.cli"

FROM ${BASE_IMAGE}
ARG UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REFVERIFY_HOST=0.0.0.0 \
    REFVERIFY_PORT=8000
# The default REFVERIFY_CACHE_URL, sqlite:///data/refverify.sqlite, is relative to the working directory:
# /srv/refverify/data, a volume owned by the service user.
RUN groupadd --system --gid ${UID} refverify \
    && useradd --system --uid ${UID} --gid refverify --no-create-home --home-dir /srv/refverify \
        --shell /usr/sbin/nologin refverify \
    && mkdir -p /srv/refverify/data \
    && chown -R ${UID}:${UID} /srv/refverify
COPY --from=builder /opt/venv /opt/venv
WORKDIR /srv/refverify
VOLUME ["/srv/refverify/data"]
# Numeric, so runtimes that enforce runAsNonRoot can check it without reading /etc/passwd.
USER ${UID}:${UID}
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('REFVERIFY_PORT', '8000'), timeout=4)"]
CMD ["refverify", "serve"]
