# syntax=docker/dockerfile:1
# appraisal-ledger's image: the runtime set only, installed from the lock (hashes checked),
# run as an unprivileged user. See docs/deployment.md.

# ---- build: a virtual environment holding the application and its locked dependencies
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/appraisals
ENV PATH=/opt/appraisals/bin:$PATH
WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt requirements/
RUN pip install --require-hashes --no-deps -r requirements/build.txt -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY aggregates aggregates
COPY events events
COPY commands commands
COPY projections projections
COPY api api
COPY replay replay
COPY appraisals appraisals
COPY config config
COPY web web
COPY blobstore blobstore
COPY onboarding onboarding
COPY reminders reminders
RUN pip install --no-deps --no-build-isolation . \
 && pip uninstall -y setuptools wheel packaging

# ---- runtime: no compilers, no test toolchain, no source tree; a non-root user
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 appraisals \
 && useradd --system --uid 10001 --gid appraisals --home-dir /srv/appraisals appraisals \
 && mkdir -p /srv/appraisals/var && chown -R appraisals:appraisals /srv/appraisals
COPY --from=build /opt/appraisals /opt/appraisals
ENV PATH=/opt/appraisals/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APPRAISALS_ENV=production
USER appraisals:appraisals
WORKDIR /srv/appraisals
EXPOSE 8000
# serve and worker stop cleanly on SIGTERM (in-flight requests finish, pools close, exit 0).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["appraisals", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
