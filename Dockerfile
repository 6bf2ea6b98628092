# Build: dependencies first (cached until pyproject.toml changes), then the code, then the
# compiled catalogs.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Installing the project with empty packages pulls every dependency into /venv; the project
# itself is then uninstalled: the runtime runs the code from /app (`python -m bot` finds it in
# the working directory), so changing the code never invalidates this layer.
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers schedules && touch bot/__init__.py handlers/__init__.py schedules/__init__.py \
    && python -m venv /venv && /venv/bin/pip install --upgrade pip && /venv/bin/pip install . \
    && /venv/bin/pip uninstall -y rcm-focal-bot && rm -rf bot handlers schedules
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY migrations ./migrations
COPY locales ./locales
# The .mo files next to the .po files, where bot.i18n loads them (locales/<lang>/LC_MESSAGES);
# bytecode compiled now, since the runtime user cannot write it.
RUN /venv/bin/python -m bot i18n compile && /venv/bin/python -m compileall -q bot handlers schedules migrations

# Runtime: the virtualenv and the code only, owned by root and read-only to the bot user; only
# /app/data (SQLite, the document store, the heartbeat) is writable.
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PTB_TIMEDELTA=1
RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data && chown bot:bot /app/data
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /app /app
USER bot
VOLUME ["/app/data"]
# The webhook server (WEBHOOK_PORT), behind your HTTPS proxy; unused in long-polling mode.
EXPOSE 8443
# `python -m bot health`: the heartbeat the running bot touches, and the database.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
# python is PID 1 and gets SIGTERM: it stops taking updates and finishes what it holds.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
