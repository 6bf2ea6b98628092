"""python-telegram-bot's HTTP calls made with aiohttp instead of httpx.

The load bench (bench/README.md) measured httpx at about a third of the bot's CPU per
update; aiohttp does the same calls for much less. Errors map as PTB's own HTTPXRequest maps
them, so the rest of the bot (the sender's retries, the fault tests) sees no difference: a
timeout of any kind is `TimedOut`, a failed connection or a broken response `NetworkError`,
and the HTTP status and body go back to PTB, which turns 4xx/5xx/429 into its errors.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. "
    "Request was *not* sent to Telegram. Consider adjusting the connection "
    "pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """One aiohttp session with at most `connection_pool_size` requests in flight.

    Timeouts mean what they mean to HTTPXRequest: `pool_timeout` bounds the wait for a free
    connection, `connect_timeout` the connection itself, `read_timeout` the wait for the
    answer. aiohttp has no timeout on writing the request body, so `write_timeout` (or
    `media_write_timeout` for uploads) bounds the whole call instead, on top of the others:
    a stuck upload still ends, and no call is cut earlier than HTTPXRequest would cut it.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._pool = asyncio.Semaphore(connection_pool_size)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_ssl_context())
            # Not trust_env: with it aiohttp looks up proxies and ~/.netrc in a thread on every
            # request (measured: a tenth of the bot's time). Proxies come from the environment
            # as httpx takes them, once per host (_proxy_for). Telegram sets no cookies.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout

        headers = {"User-Agent": self.USER_AGENT}
        body: Any = None
        if request_data is not None:
            if files:
                body = _multipart(request_data.json_parameters, files)
            else:
                body = urlencode(request_data.json_parameters).encode()
                headers |= FORM
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect_timeout, write_timeout, read_timeout),
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        try:
            async with asyncio.timeout(pool_timeout):
                await self._pool.acquire()
        except TimeoutError as err:
            raise TimedOut(message=POOL_TIMEOUT_MESSAGE) from err
        proxy, proxy_auth = _proxy_for(URL(url).origin())
        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        finally:
            self._pool.release()


def _multipart(parameters: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


@functools.cache
def _proxy_for(origin: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy HTTPS_PROXY or HTTP_PROXY names for this server, unless NO_PROXY
    exempts it (read once: the bot talks to one server)."""
    try:
        return get_env_proxy_for_url(origin)
    except LookupError:
        return None, None


def _sum(*parts: float | None) -> float | None:
    """The whole call's bound: the sum of its parts, or none if any part is unbounded."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # The same certificate authorities as httpx (certifi), not whatever the image carries;
    # loaded once per process (each application, e.g. in tests, would load them again).
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx, which PTB requires
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
