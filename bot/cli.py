"""The command line (SPEC section 3): `run`, `admin add`, `db upgrade`, `sandbox`, and a few
maintenance commands. Errors a person can fix are one line, not a traceback."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.config import Settings

# What the bot asks Telegram for, in either mode.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'setting'}: {e['msg']}" for e in exc.errors()
        )
        raise SystemExit(f"error: invalid configuration: {problems}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from bot import db, logs
    from bot.app import ConfigError, build_application, freeze_startup_heap

    settings = _settings()
    logs.setup(settings.log_level, as_json=settings.log_json)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    if settings.webhook_url and secret is None:
        # Before anything else runs: the error is the only line the operator sees.
        print("error: WEBHOOK_SECRET is required in webhook mode", file=sys.stderr)
        return 2
    try:
        app = build_application(settings)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    db.upgrade(settings.database_url)
    for key, value in settings.describe().items():
        print(f"{key}: {value}")
    freeze_startup_heap()
    if settings.webhook_url:
        assert secret is not None
        from bot import webhook

        # Not PTB's run_webhook: it answers Telegram before the update is handled (bot.webhook).
        asyncio.run(
            webhook.serve(
                app,
                url=settings.webhook_url,
                secret=secret,
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
    else:
        from bot import polling

        # Not PTB's run_polling: it confirms updates before they are handled (bot.polling).
        asyncio.run(polling.serve(app, ALLOWED_UPDATES))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot import db

    settings = _settings()
    db.upgrade(settings.database_url)
    print(f"database is up to date: {settings.describe()['database']}")
    return 0


def cmd_admin_add(args: argparse.Namespace) -> int:
    from bot.errors import UserError
    from bot.roles import parse_roles

    settings = _settings()
    try:
        roles = parse_roles(",".join(args.role))
    except ValueError as exc:
        print(f"error: unknown role {exc}", file=sys.stderr)
        return 2
    try:
        person_id = asyncio.run(_admin_add(settings, args, roles))
    except UserError as exc:
        from bot.text import Renderer

        print(f"error: {Renderer('en', settings.tz).plain(exc.message)}", file=sys.stderr)
        return 2
    print(f"person {person_id} created with roles {','.join(sorted(r.value for r in roles))}")
    return 0


async def _admin_add(settings: Settings, args: argparse.Namespace, roles: frozenset) -> int:  # type: ignore[type-arg]
    from bot import db, people, states
    from bot.services import Services

    await db.upgrade_async(settings.database_url)
    services = Services.create(settings)
    try:
        async with services.unit_of_work() as session:
            await states.ensure_states(session, settings.states_file)
            state = await states.by_code(session, args.state) if args.state else None
            person = await people.add_person(
                session,
                roles=roles,
                now=services.clock.now(),
                telegram_id=args.telegram_id,
                state=state,
                organisation=args.organisation,
                display_name=args.name or "",
                language=args.language,
            )
            assert person.id is not None
            return person.id
    finally:
        await services.db.dispose()


def cmd_states_load(args: argparse.Namespace) -> int:
    settings = _settings()

    async def load() -> int:
        from bot import db, states
        from bot.services import Services

        await db.upgrade_async(settings.database_url)
        services = Services.create(settings)
        try:
            async with services.unit_of_work() as session:
                return await states.load_states(session, states.read_states_file(args.file))
        finally:
            await services.db.dispose()

    try:
        count = asyncio.run(load())
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{count} member states active")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from bot import health

    settings = _settings()
    problems = asyncio.run(health.check(settings.database_url, settings.heartbeat_file))
    for problem in problems:
        print(f"unhealthy: {problem}", file=sys.stderr)
    if not problems:
        print("healthy")
    return 1 if problems else 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.walkthrough import main as walkthrough

    return walkthrough(keep=args.keep)


def cmd_i18n(args: argparse.Namespace) -> int:
    from bot import catalogs

    return catalogs.main(args.action, args.file)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start the bot").set_defaults(fn=cmd_run)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(fn=cmd_db_upgrade)

    admin = sub.add_parser("admin", help="people")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    add = admin_sub.add_parser("add", help="create a person (the first TS administrator)")
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--role", action="append", required=True, help="e.g. ts (repeatable)")
    add.add_argument("--state", help="ISO 3166 alpha-2 code, e.g. MX")
    add.add_argument("--organisation", help="observer organisation")
    add.add_argument("--name", help="display name")
    add.add_argument("--language", choices=["en", "es"], default="en")
    add.set_defaults(fn=cmd_admin_add)

    st = sub.add_parser("states", help="member states")
    st_sub = st.add_subparsers(dest="states_command", required=True)
    load = st_sub.add_parser("load", help="load a member-state list (JSON)")
    load.add_argument("file", type=Path)
    load.set_defaults(fn=cmd_states_load)

    sub.add_parser("health", help="is the running bot alive? (exit 0 if so)").set_defaults(
        fn=cmd_health
    )

    sandbox = sub.add_parser("sandbox", help="walk through the bot on a local Bot API sandbox")
    sandbox.add_argument("--keep", action="store_true", help="leave it running afterwards")
    sandbox.set_defaults(fn=cmd_sandbox)

    i18n = sub.add_parser("i18n", help="translation catalogs")
    i18n.add_argument("action", choices=["update", "missing", "fill", "compile", "check"])
    i18n.add_argument("file", nargs="?", type=Path, help="for fill: JSON {msgid: Spanish}")
    i18n.set_defaults(fn=cmd_i18n)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.fn(args)
    return result
