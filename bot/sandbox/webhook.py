"""Delivers queued updates to a bot's webhook, retrying and recording failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from bot.sandbox.state import SimBot


class WebhookSender:
    """One delivery task per bot with a webhook; updates go out one at a time, in order.

    Failed deliveries are retried with a growing pause (``retry_delay`` doubling up to
    ``max_retry_delay``) and recorded as ``last_error_date`` / ``last_error_message``.
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
        delay = self.retry_delay
        while bot.webhook is not None and not bot.closed:
            if not bot.pending:
                await bot.wait_changed(1.0)
                continue
            hook = bot.webhook
            update = bot.pending[0]
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
                delay = self.retry_delay
                hook.delivered += 1
                if bot.pending and bot.pending[0]["update_id"] == update["update_id"]:
                    bot.pending.pop(0)
                bot.notify()
                continue
            self.failures += 1
            hook.last_error_date = int(self._now())
            hook.last_error_message = error
            bot.notify()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)
