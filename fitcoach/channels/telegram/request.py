"""A python-telegram-bot request backend on aiohttp (cheaper per call than PTB's httpx one).

PTB's default :class:`telegram.request.HTTPXRequest` spends most of a Bot API call's CPU in
httpx, httpcore and anyio; aiohttp parses responses in C and keeps the per-request path short.
:class:`AiohttpRequest` follows PTB 22's :class:`~telegram.request.BaseRequest` contract:
``do_request`` returns ``(status, body)`` and PTB turns statuses into its exceptions
(``RetryAfter``, ``Forbidden``, …); transport failures become ``TimedOut`` / ``NetworkError``.

Differences from ``HTTPXRequest`` worth knowing:

* aiohttp has no per-write timeout: ``write_timeout`` (``media_write_timeout`` for uploads)
  counts towards an overall bound for the request (pool + connect + write + read), so a slow
  upload is limited as a whole rather than per socket write.
* The proxy is resolved once, at construction, from the standard environment variables
  (``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``, ``NO_PROXY``) for the API's host, instead of
  per request. Only HTTP(S) proxies are supported (no SOCKS).
* Error messages never carry the request URL's bot token.
"""

from __future__ import annotations

import re
import ssl
import urllib.request
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "proxy_for"]

TELEGRAM_API = "https://api.telegram.org"
_FORM = "application/x-www-form-urlencoded"
# Bot API URLs are ``…/bot<token>/<method>`` and ``…/file/bot<token>/<path>``.
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+")


def _redact(text: str) -> str:
    """``text`` without bot tokens (aiohttp puts the URL in some error messages)."""
    return _TOKEN_IN_URL.sub("/bot<token>", text)


def proxy_for(url: str) -> str | None:
    """The proxy the environment asks for when requesting ``url`` (None: connect directly).

    The same variables httpx honours: ``<scheme>_PROXY`` then ``ALL_PROXY``, unless the host
    is listed in ``NO_PROXY``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or (host and urllib.request.proxy_bypass(host)):
        return None
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    return proxy


def _ssl_context() -> ssl.SSLContext:
    """Verify against certifi's CA bundle when it is installed (as httpx does)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _sum(*parts: float | None) -> float | None:
    """The sum of the timeouts; None (no bound) when any of them is None."""
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total


class AiohttpRequest(BaseRequest):
    """:class:`telegram.request.BaseRequest` on an :class:`aiohttp.ClientSession`.

    Args mirror :class:`telegram.request.HTTPXRequest` (same defaults); ``proxy`` is a proxy URL
    (``http://user:pass@host:port``), ``None`` for none, or left out to take it from the
    environment for ``api_url`` (resolved here, once). The session is created inside the running
    event loop by :meth:`initialize` (or the first request) and closed by :meth:`shutdown`.
    """

    __slots__ = (
        "_closed",
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_proxy_headers",
        "_read_timeout",
        "_session",
        "_timeouts",
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
        proxy: str | DefaultValue[None] | None = BaseRequest.DEFAULT_NONE,
        api_url: str = TELEGRAM_API,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        proxy_url = proxy_for(api_url) if isinstance(proxy, DefaultValue) else proxy
        self._proxy: str | None = None
        self._proxy_headers: dict[str, str] | None = None
        if proxy_url:
            self._set_proxy(proxy_url)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _set_proxy(self, proxy_url: str) -> None:
        parts = urlsplit(proxy_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(
                f"unsupported proxy scheme {parts.scheme!r} for aiohttp (HTTP(S) proxies only); "
                "set FITCOACH_TELEGRAM_HTTP_CLIENT=httpx for SOCKS"
            )
        if parts.username is not None:
            # aiohttp does not read credentials from the proxy URL: send them as a header.
            self._proxy_headers = {
                "Proxy-Authorization": aiohttp.encode_basic_auth(
                    unquote(parts.username), unquote(parts.password or "")
                )
            }
            netloc = parts.hostname or ""
            if parts.port is not None:
                netloc = f"{netloc}:{parts.port}"
            parts = parts._replace(netloc=netloc)
        self._proxy = parts.geturl()

    @property
    def proxy(self) -> str | None:
        """The proxy requests go through (without credentials), None for direct connections."""
        return self._proxy

    @property
    def read_timeout(self) -> float | None:
        """See :attr:`telegram.request.BaseRequest.read_timeout`."""
        return self._read_timeout

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._pool_size, limit_per_host=0, ssl=_ssl_context()
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
            trust_env=False,  # proxy resolved once in __init__, no ~/.netrc per request
            headers={"User-Agent": self.USER_AGENT},
            timeout=aiohttp.ClientTimeout(),
        )

    async def initialize(self) -> None:
        """See :meth:`telegram.request.BaseRequest.initialize`: open the session."""
        if self._session is None or self._session.closed:
            self._session = self._new_session()
        self._closed = False

    async def shutdown(self) -> None:
        """See :meth:`telegram.request.BaseRequest.shutdown`: close the session."""
        session, self._session = self._session, None
        self._closed = True
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        key = (read, write, connect, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=_sum(pool, connect, write, read),
                connect=_sum(pool, connect),  # waiting for a pooled connection + connecting
                sock_connect=connect,
                sock_read=read,
            )
            if len(self._timeouts) < 64:  # a few distinct combinations are ever used
                self._timeouts[key] = timeout
        return timeout

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
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        session = self._session
        if session is None or session.closed:
            if self._closed:
                raise RuntimeError("This AiohttpRequest is not initialized!")
            session = self._session = self._new_session()

        files = request_data.multipart_data if request_data is not None else None
        body: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        elif request_data is not None:
            body = urlencode(request_data.json_parameters).encode()
            headers = {"Content-Type": _FORM}

        # Timeouts left to PTB's DEFAULT_NONE take the defaults given to the constructor.
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout

        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=self._timeout(read, write, connect, pool),
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's ServerTimeoutError is one too
            # Chained errors would carry the URL (and token): keep only a redacted message.
            raise TimedOut(_redact(f"Timed out: aiohttp.{type(error).__name__}: {error}")) from None
        except aiohttp.ClientError as error:
            raise NetworkError(_redact(f"aiohttp.{type(error).__name__}: {error}")) from None
