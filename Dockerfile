# The Pledge application image: the API, the worker and the `pledge` command.
FROM python:3.11-slim-bookworm

# WeasyPrint renders reports with Pango; DejaVu gives the PDFs a font with full coverage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libfontconfig1 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PLEDGE_DATA_DIR=/var/lib/pledge

WORKDIR /app
COPY pyproject.toml README.md ./
COPY settings.py worker.py run.py ./
COPY sla ./sla
COPY workflows ./workflows
COPY activities ./activities
COPY outbound ./outbound
COPY api ./api
COPY reports ./reports
COPY db ./db
COPY web ./web
COPY services ./services
# Bytecode at build time: the workflow sandbox re-imports workflow modules for every workflow
# it starts, and the image is read-only to the pledge user.
RUN pip install . \
    && python -m compileall -q /app \
    && useradd --system --home-dir /var/lib/pledge --create-home pledge

USER pledge
EXPOSE 8000 9464
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
