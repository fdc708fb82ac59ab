# refverify service image. BASE_IMAGE must provide python3 (3.11+) with venv and pip.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REFVERIFY_HOST=0.0.0.0 \
    REFVERIFY_PORT=8000

WORKDIR /srv/refverify
COPY pyproject.toml README.md ./
COPY app ./app
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /srv/refverify refverify

USER refverify
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["/opt/venv/bin/python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["/opt/venv/bin/refverify", "serve"]
