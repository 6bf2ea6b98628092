"""A local Telegram Bot API server for tests and demos ("the sandbox").

Point python-telegram-bot at it with ``base_url=server.base_url`` and
``base_file_url=server.base_file_url``. It only ever listens on loopback.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox.errors import ApiError, bad_request, not_implemented, too_many_requests
from bot.sandbox.faults import Fault, FaultInjector
from bot.sandbox.files import UPLOAD_LIMIT, FileStore
from bot.sandbox.limits import FloodControl, Limits
from bot.sandbox.methods import BotApiMethods
from bot.sandbox.models import ChatInfo, ChatMessage, UserInfo
from bot.sandbox.spec import load_spec
from bot.sandbox.state import ChatState, SimBot
from bot.sandbox.transcript import render
from bot.sandbox.users import SimGroup, SimUser
from bot.sandbox.validation import Upload, coerce_params
from bot.sandbox.webhook import WebhookSender

_API_PATH = re.compile(r"^/bot([^/]+)/([^/]+)/?$")
_FILE_PATH = re.compile(r"^/file/bot([^/]+)/(.+)$")
_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
_BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
FIRST_USER_ID = 1001


@dataclass
class ServerStats:
    """Counters for tests and benchmarks (all bots together)."""

    calls: Counter[str] = field(default_factory=Counter)
    messages_per_chat: Counter[int] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    too_many_requests: int = 0


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type="application/json",
    )


def _error_response(error: ApiError) -> web.Response:
    return _json_response(error.to_json(), error.code)


class BotApiServer:
    """The sandbox: a Bot API server on loopback with simulated users and groups.

    All flood-limit bookkeeping and message dates use ``now()`` (wall-clock seconds),
    so tests that travel time with time-machine see deterministic limits; waiting
    (long polling, held requests) uses real asyncio timeouts.
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        now: Callable[[], float] = time.time,
        data_dir: Path | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.now = now
        self.flood = FloodControl(now)
        self.files = FileStore(data_dir)
        self.faults = FaultInjector()
        self.stats = ServerStats()
        self.settle_hook: Callable[[], Awaitable[None]] | None = None
        self.bots: dict[str, SimBot] = {}
        self.spec = load_spec()
        self.methods = BotApiMethods(self)
        self.webhooks = WebhookSender(now)
        self._method_names = {name.lower(): name for name in self.spec.methods}
        self._users: dict[str, SimUser] = {}
        self._users_by_id: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}
        self._private_chats: dict[int, ChatInfo] = {}
        self._next_user_id = FIRST_USER_ID
        self._next_group = 1
        self._callback_counter = 0
        self._activity = asyncio.Event()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (loopback only; port 0 picks a free port)."""
        if not is_loopback_host(host):
            raise ValueError(f"the sandbox only listens on loopback, not on {host!r}")
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        # room for a 50 MB upload plus the multipart envelope; bigger ones get a 413
        app = web.Application(client_max_size=UPLOAD_LIMIT + 8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])
        self._stopping.clear()

    async def stop(self) -> None:
        """Release long polls and held requests, stop webhooks, close the listener."""
        self._stopping.set()
        for bot in self.bots.values():
            bot.closed = True
            bot.notify()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @staticmethod
    def is_loopback_host(host: str) -> bool:
        return is_loopback_host(host)

    # ------------------------------------------------------------ bots, people, chats

    def add_bot(
        self, token: str, *, username: str = "rcm_sandbox_bot", first_name: str = "RCM Bot"
    ) -> SimBot:
        """Host a bot; ``token`` must look like Telegram's ``<bot id>:<secret>``."""
        match = _TOKEN.match(token)
        if match is None:
            raise ValueError("a bot token looks like '123456:ABC-def_ghi'")
        if token in self.bots:
            raise ValueError("that token is already hosted")
        user = UserInfo(int(match.group(1)), first_name, username=username, is_bot=True)
        bot = SimBot(token, user)
        self.bots[token] = bot
        return bot

    @property
    def default_bot(self) -> SimBot:
        if not self.bots:
            raise RuntimeError("call server.add_bot(token) first")
        return next(iter(self.bots.values()))

    def user(
        self,
        name: str,
        *,
        lang: str | None = "en",
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | None = None,
        bot: SimBot | None = None,
    ) -> SimUser:
        """The simulated person called ``name`` (created on first use, ids from 1001)."""
        existing = self._users.get(name)
        if existing is not None:
            return existing
        if user_id is None:
            while self._next_user_id in self._users_by_id:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        elif user_id in self._users_by_id:
            raise ValueError(f"user id {user_id} is taken by {self._users_by_id[user_id].name}")
        info = UserInfo(
            user_id,
            first_name or name.capitalize(),
            last_name=last_name,
            username=username,
            language_code=lang,
        )
        sim = SimUser(self, name, info, bot)
        self._users[name] = sim
        self._users_by_id[user_id] = sim
        return sim

    def group(
        self,
        title: str,
        members: list[SimUser] | None = None,
        *,
        supergroup: bool = False,
        bot: SimBot | None = None,
    ) -> SimGroup:
        """A group the bot is in; supergroup ids look like -100…, group ids like -4…"""
        n = self._next_group
        self._next_group += 1
        chat_id = -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
        chat = ChatInfo(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            member_ids=[m.id for m in members or []],
        )
        sim = SimGroup(self, chat, bot)
        self._groups[chat_id] = sim
        return sim

    def private_chat(self, info: UserInfo) -> ChatInfo:
        chat = self._private_chats.get(info.id)
        if chat is None:
            chat = ChatInfo(info.id, "private", user=info)
            self._private_chats[info.id] = chat
        return chat

    def find_chat(self, chat_id: Any) -> ChatInfo | None:
        if isinstance(chat_id, str):
            if not re.fullmatch(r"-?\d+", chat_id.strip()):
                return None  # @usernames: the sandbox has no public chats
            chat_id = int(chat_id)
        if not isinstance(chat_id, int):
            return None
        sim_user = self._users_by_id.get(chat_id)
        if sim_user is not None:
            return self.private_chat(sim_user.info)
        group = self._groups.get(chat_id)
        return group.chat if group is not None else None

    async def push_update(self, bot: SimBot | None, update: dict[str, Any]) -> int:
        """Queue any update JSON for ``bot`` (default bot if None); returns its update_id."""
        target = bot or self.default_bot
        update_id = target.enqueue_raw(update)
        self.notify_activity()
        return update_id

    def next_callback_id(self) -> str:
        self._callback_counter += 1
        return str(4_300_000_000_000_000_000 + self._callback_counter)

    # ------------------------------------------------------------ observation

    def transcript(self, target: SimUser | SimGroup | int, bot: SimBot | None = None) -> str:
        """A readable transcript of one chat."""
        owner = bot or (target.bot if isinstance(target, (SimUser, SimGroup)) else None)
        owner = owner or self.default_bot
        chat_id = target if isinstance(target, int) else target.chat.id
        chat = self.find_chat(chat_id)
        if chat is None:
            raise LookupError(f"no chat {chat_id}")
        return render(owner, owner.chat_state(chat))

    def sent_messages(self, chat_id: int, bot: SimBot | None = None) -> list[ChatMessage]:
        """Every message the bot sent to ``chat_id`` (deleted ones included, flagged)."""
        owner = bot or self.default_bot
        state = owner.chats.get(chat_id)
        return [m for m in state.messages if m.from_bot] if state else []

    async def settle(self) -> None:
        if self.settle_hook is not None:
            await self.settle_hook()

    def notify_activity(self) -> None:
        event, self._activity = self._activity, asyncio.Event()
        event.set()

    async def activity(self) -> None:
        """Wait for the next message, edit, deletion, press or callback answer."""
        await self._activity.wait()

    def record_bot_message(self, bot: SimBot, state: ChatState, message: ChatMessage) -> None:
        state.log.append(message)
        self.stats.messages_per_chat[state.chat.id] += 1
        self.notify_activity()

    def record_edit(self, bot: SimBot, state: ChatState, message: ChatMessage) -> None:
        self.notify_activity()

    def record_delete(self, bot: SimBot, state: ChatState, message: ChatMessage) -> None:
        self.notify_activity()

    def start_webhook_sender(self, bot: SimBot) -> None:
        self.webhooks.ensure(bot)

    # ------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        api = _API_PATH.match(request.path)
        if api is not None:
            return await self._api_call(request, api.group(1), api.group(2))
        download = _FILE_PATH.match(request.path)
        if download is not None and request.method in ("GET", "HEAD"):
            return self._download(download.group(1), download.group(2))
        return _error_response(ApiError(404, "Not Found"))

    def _download(self, token: str, file_path: str) -> web.StreamResponse:
        if token not in self.bots:
            return _error_response(ApiError(401, "Unauthorized"))
        stored = self.files.by_path(file_path)
        if stored is None:
            return _error_response(ApiError(404, "Not Found: file not found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _api_call(self, request: web.Request, token: str, name: str) -> web.StreamResponse:
        bot = self.bots.get(token)
        if bot is None or bot.logged_out:
            return self._fail(ApiError(401, "Unauthorized"))
        method = self._method_names.get(name.lower())
        if method is None:
            return self._fail(ApiError(404, "Not Found: method not found"))
        self.stats.calls[method] += 1
        bot.calls[method] += 1
        try:
            raw = await self._read_params(request)
        except ApiError as exc:
            return self._fail(exc)
        fault = self.faults.pick(method)
        if fault is not None and fault.kind != "timeout_after_apply":
            return await self._inject(request, fault)
        try:
            handler = self.methods.handlers.get(method)
            if handler is None:
                raise not_implemented(method)
            params = coerce_params(self.spec, self.spec.methods[method], raw)
            result = await handler(bot, params)
            response = _json_response({"ok": True, "result": result})
        except ApiError as exc:
            response = self._fail(exc)
        if fault is not None:
            # Telegram did the work but the answer never reaches the client.
            await self._hold(request)
            return self._drop(request)
        return response

    def _fail(self, error: ApiError) -> web.Response:
        self.stats.errors[error.code] += 1
        return _error_response(error)

    async def _inject(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "502":
            self.stats.errors[502] += 1
            return web.Response(text=_BAD_GATEWAY_HTML, status=502, content_type="text/html")
        if fault.kind == "500":
            return self._fail(ApiError(500, "Internal Server Error"))
        if fault.kind == "429":
            self.stats.too_many_requests += 1
            return self._fail(too_many_requests(fault.retry_after))
        await self._hold(request)
        return self._drop(request)

    async def _hold(self, request: web.Request) -> None:
        """Keep a request open until the client gives up (or ``faults.hold_seconds``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.faults.hold_seconds
        while loop.time() < deadline and not self._stopping.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            try:
                await asyncio.wait_for(self._stopping.wait(), 0.02)
            except TimeoutError:
                continue

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.close()
        # Nothing reaches the client: its connection is already closed.
        return web.Response(status=204)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            params.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                form = await request.post()
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = Upload(
                        field_name=key,
                        file_name=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                else:
                    params[key] = value
        return params
