# Production image: build a virtual environment, then copy it into a slim runtime as a non-root user.
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir "uv>=0.4"
WORKDIR /srv/ami
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY app ./app
COPY registry ./registry
COPY harvesters ./harvesters
COPY templates ./templates
RUN uv sync --frozen --no-dev

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /srv/ami ami
WORKDIR /srv/ami
COPY --from=build --chown=ami:ami /srv/ami /srv/ami
ENV PATH="/srv/ami/.venv/bin:$PATH" AMI_PRODUCTION=on AMI_VAR_DIR=/srv/ami/var
USER ami
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "ami migrate && exec ami serve --host 0.0.0.0 --port 8000"]
