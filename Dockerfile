# Build: dependencies first (cached), then the code, then the compiled catalogs.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers schedules && touch bot/__init__.py handlers/__init__.py schedules/__init__.py \
    && python -m venv /venv && /venv/bin/pip install --upgrade pip && /venv/bin/pip install . \
    && /venv/bin/pip uninstall -y rcm-focal-bot
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY migrations ./migrations
COPY locales ./locales
RUN /venv/bin/python -m bot i18n compile

# Runtime: the virtualenv and the code only, as a non-root user.
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PTB_TIMEDELTA=1
RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data && chown bot /app/data
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build --chown=bot /app /app
USER bot
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
