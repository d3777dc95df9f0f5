# trialex: the extraction service in a container (docs/deployment.md).
#
#   docker build -t trialex .                      # base python:3.11-slim
#   docker run -p 8000:8000 -e TRIALEX_WORKERS=2 trialex
#
# BASE_IMAGE may be any Debian-like image with python3 (>= 3.11) and its venv module:
# scripts/container.sh builds one with debootstrap where no registry can be reached.
# Everything the pipelines need (rules, lexicons and trained models of models/, the drug
# lexicon of drug-named-entity-recognition) is installed and
# loaded once at build time: nothing is downloaded when the container starts.
ARG BASE_IMAGE=python:3.11-slim

# ---- build: a virtual environment with the pinned dependencies and trialex itself ----
FROM ${BASE_IMAGE} AS build
SHELL ["/bin/sh", "-euc"]
# pip checks TLS against the system CA bundle (behind a TLS-intercepting proxy, mount the
# proxy's bundle over it for the build: scripts/container.sh does).
ARG PIP_CERT=/etc/ssl/certs/ca-certificates.crt
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_DEFAULT_TIMEOUT=180
WORKDIR /src
RUN python3 -m venv /opt/trialex
COPY requirements.lock ./
# The project's dependencies, every version taken from requirements.lock (which also
# pins the test tools; --constraint installs only what the project asks for).
COPY pyproject.toml README.md ./
RUN mkdir -p trialex pipelines service models \
    && /opt/trialex/bin/pip install --no-cache-dir --constraint requirements.lock setuptools wheel \
    && /opt/trialex/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && /opt/trialex/bin/pip install --no-cache-dir --constraint requirements.lock --requirement runtime.txt
COPY trialex/ trialex/
COPY pipelines/ pipelines/
COPY service/ service/
COPY models/ models/
RUN /opt/trialex/bin/pip install --no-cache-dir --no-deps --no-build-isolation . \
    && /opt/trialex/bin/pip check
# Warm-up at build time: load both pipelines (drug lexicon, models/)
# and extract once per language, so a broken install fails the build, not the start.
# (Not from /src, whose trialex/ folder would shadow the installed package.)
WORKDIR /opt
RUN /opt/trialex/bin/python -c "from trialex.pipelines.pipeline import Extractor; e = Extractor(); \
r = e.extract('MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（P＝0.003）。', 'ja'); \
assert r['p_values'][0]['value'] == 0.003, r; \
r = e.extract('Of 140 patients, 56 (40%) responded to rituximab (P = 0.01).', 'en'); \
assert r['p_values'][0]['value'] == 0.01, r; print('warm-up ok')" \
    && /opt/trialex/bin/python -m compileall -q /opt/trialex

# ---- runtime: the virtual environment only, run by an unprivileged user ----
FROM ${BASE_IMAGE} AS runtime
SHELL ["/bin/sh", "-euc"]
LABEL org.opencontainers.image.title="trialex" \
      org.opencontainers.image.description="Drugs, doses, trial sizes, response rates and p values from Japanese and English trial abstracts"
RUN groupadd --system --gid 10001 trialex \
    && useradd --system --uid 10001 --gid trialex --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin trialex \
    && mkdir -p /var/lib/trialex && chown 10001:10001 /var/lib/trialex
COPY --from=build /opt/trialex /opt/trialex
ENV PATH=/opt/trialex/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TRIALEX_WORKERS=2 \
    TRIALEX_LOG_FORMAT=json \
    XDG_DATA_HOME=/var/lib
# the default curation store (platformdirs' data directory): /var/lib/trialex/curation.sqlite3
VOLUME ["/var/lib/trialex"]
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/opt/trialex/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
# --workers defaults to TRIALEX_WORKERS (one pipeline and one extraction lock per process).
CMD ["/opt/trialex/bin/trialex", "serve", "--host", "0.0.0.0", "--port", "8000"]
