# fitcoach application image: one process serving webhooks, web chat, admin API and metrics.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 fitcoach

COPY pyproject.toml README.md ./
COPY fitcoach ./fitcoach
COPY prompts ./prompts
RUN pip install .

USER fitcoach
ENV FITCOACH_DATA_DIR=/data \
    FITCOACH_PROMPTS_DIR=/app/prompts \
    FITCOACH_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status == 200 else 1)"

CMD ["fitcoach", "serve", "--host", "0.0.0.0", "--port", "8000"]
