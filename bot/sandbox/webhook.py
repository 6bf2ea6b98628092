"""Delivers queued updates to a bot's webhook, retrying and recording failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.sandbox.state import SimBot


class WebhookSender:
    """One delivery task per bot with a webhook. As Telegram does, up to the webhook's
    ``max_connections`` updates are out at once (one connection: one at a time, in order), and
    an update leaves the queue only when the bot answers it with 2xx.

    Failed deliveries (non-2xx, refused or broken connections, timeouts) are retried with a
    growing pause (``retry_delay`` doubling up to ``max_retry_delay``) and recorded as
    ``last_error_date`` / ``last_error_message``.
    """

    def __init__(
        self,
        now: Callable[[], float],
        *,
        retry_delay: float = 0.05,
        max_retry_delay: float = 2.0,
        timeout: float = 10.0,
    ) -> None:
        self._now = now
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None
        self.attempts = 0
        self.failures = 0
        self._delay = retry_delay

    def ensure(self, bot: SimBot) -> None:
        task = self._tasks.get(bot.token)
        if task is None or task.done():
            self._tasks[bot.token] = asyncio.create_task(
                self._run(bot), name=f"sandbox-webhook-{bot.id}"
            )

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def _run(self, bot: SimBot) -> None:
        # As Telegram: up to max_connections updates out at once, each retried until answered
        # 2xx; a bot that answers only once an update is handled has that many in hand.
        out: dict[int, asyncio.Task[None]] = {}
        try:
            while bot.webhook is not None and not bot.closed:
                free = bot.webhook.max_connections - len(out)
                for update in [u for u in bot.pending if u["update_id"] not in out][:free]:
                    out[update["update_id"]] = asyncio.create_task(self._deliver(bot, update))
                changed = asyncio.ensure_future(bot.wait_changed(1.0))
                await asyncio.wait({changed, *out.values()}, return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
                for update_id in [i for i, task in out.items() if task.done()]:
                    out.pop(update_id).result()
        finally:
            for task in out.values():
                task.cancel()
            await asyncio.gather(*out.values(), return_exceptions=True)

    async def _deliver(self, bot: SimBot, update: dict[str, Any]) -> None:
        """Post one update until the bot answers 2xx (or it is no longer pending)."""
        update_id = update["update_id"]
        while (hook := bot.webhook) is not None and not bot.closed:
            if not any(u["update_id"] == update_id for u in bot.pending):
                return  # dropped meanwhile (deleteWebhook / setWebhook with drop_pending_updates)
            headers = {"Content-Type": "application/json"}
            if hook.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
            self.attempts += 1
            error: str | None = None
            try:
                async with self._client().post(hook.url, json=update, headers=headers) as resp:
                    await resp.read()
                    if not 200 <= resp.status < 300:
                        error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except TimeoutError:
                error = "Read timeout expired"
            except aiohttp.ClientConnectorError:
                error = "Connection refused"
            except aiohttp.ClientError as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            if error is None:
                self._delay = self.retry_delay
                hook.delivered += 1
                bot.pending = [u for u in bot.pending if u["update_id"] != update_id]
                bot.notify()
                return
            self.failures += 1
            hook.last_error_date = int(self._now())
            hook.last_error_message = error
            bot.notify()
            # One pause for the whole webhook, growing while deliveries keep failing.
            delay = self._delay
            self._delay = min(delay * 2, self.max_retry_delay)
            await asyncio.sleep(delay)
