"""Request core: URLs, headers, the ``{status, result}`` envelope, retries, errors.

Every REST call of the client goes through :meth:`Transport.request`, so the
rules that real nodes impose live in one place: the ``token`` header on every
request but ``request_token``, the envelope whose ``status`` only says the
request was processed, PexRTC's retry of 502/504 and network errors with
``n x 500 ms`` waits, a timeout on every request, and HTTP statuses turned
into exceptions that say which operation failed and why.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import json
import ssl
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp
from yarl import URL

from appliance.infinity.errors import (
    CaFileUnreadable,
    CertificateRejected,
    InfinityError,
    NodeInMaintenance,
    NodeUnreachable,
    NotANode,
    ProtocolError,
    RequestRefused,
    RequestTimeout,
    ServerError,
    error_for_status,
)
from appliance.infinity.models import API_PREFIX
from appliance.infinity.options import ClientOptions
from appliance.log import get_logger, redact

_log = get_logger("appliance.infinity.http")

# Statuses PexRTC retries: the node's proxy lost the backend for a moment.
_RETRY_STATUSES: Final = frozenset({502, 504})
# Enough of a non-JSON body to tell a user what answered.
_BODY_EXCERPT: Final = 120
_NO_BODY: Final[Any] = object()


def segment(value: str) -> str:
    """Percent-encode one path segment (alias, uuid) so ``/`` or ``?`` stay inside it."""
    return quote(value, safe="")


def normalise_node_url(node_url: str) -> str:
    """``https://node`` with no trailing slash; refuses anything that is not http(s)."""
    url = URL(node_url.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"node address: expected http(s)://host[:port], found {node_url!r}")
    return str(url.origin())


def ssl_setting(options: ClientOptions) -> ssl.SSLContext | bool:
    """TLS verification is on unless the site turned it off explicitly.

    A ``ca_file`` that is missing, unreadable or holds no certificate raises
    :class:`CaFileUnreadable` naming it: a typed configuration error, never
    taken for an unreachable node.
    """
    if not options.verify_tls:
        _log.warning("TLS certificate verification of the node is OFF (verify_tls=False)")
        return False
    if options.ca_file:
        return ca_context(options.ca_file)
    return True


def ca_context(path: str) -> ssl.SSLContext:
    """A verifying client context that trusts the CA certificates in ``path``."""
    try:
        return ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise CaFileUnreadable(path, "no such file") from None
    except PermissionError:
        raise CaFileUnreadable(path, "not readable by this user (permission denied)") from None
    except IsADirectoryError:
        raise CaFileUnreadable(path, "is a directory, not a file") from None
    except ssl.SSLError as exc:
        raise CaFileUnreadable(path, f"holds no PEM CA certificate ({exc.reason or exc})") from None
    except OSError as exc:
        raise CaFileUnreadable(path, f"cannot be read ({exc.strerror or exc})") from None


def node_headers(options: ClientOptions) -> dict[str, str]:
    """Headers every request to the node carries, the status check included.

    ``basic_auth`` is for a reverse proxy in front of the node: it asks on
    every path, so a status check without it would report a healthy node as
    refusing us.
    """
    headers = {"User-Agent": options.user_agent, "Accept": "application/json"}
    if options.basic_auth is not None:
        # RFC 7617 by hand: aiohttp.BasicAuth is deprecated from 3.14 and its
        # replacement does not exist in the 3.10 the project still allows.
        credentials = ":".join(options.basic_auth).encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    return headers


def certificate_rejected(operation: str, exc: aiohttp.ClientSSLError) -> CertificateRejected:
    """The typed error for a failed TLS handshake: retrying cannot change a certificate."""
    return CertificateRejected(
        operation, f"the node's TLS certificate was not accepted ({type(exc).__name__})"
    )


class Transport:
    """HTTP access to one conference alias on one node, holding the current token.

    The token is an attribute, not an argument, because a refresh replaces it
    for every later request while requests are in flight.
    """

    def __init__(
        self,
        node_url: str,
        alias: str,
        *,
        http: aiohttp.ClientSession | None,
        options: ClientOptions,
    ) -> None:
        self.node_url = normalise_node_url(node_url)
        self.alias = alias
        self.options = options
        self._http = http
        self._owns_http = http is None
        # Verification off is warned about at once; a context is built at the first request (``ssl``).
        self._ssl: ssl.SSLContext | bool | None = None if options.verify_tls else ssl_setting(options)
        self.token: str | None = None
        # Set when the session failed or is closing: see :meth:`request`.
        self.leaving = False

    def __repr__(self) -> str:
        return f"Transport({self.node_url!r}, {self.alias!r})"

    @property
    def base_url(self) -> str:
        return f"{self.node_url}{API_PREFIX}/conferences/{segment(self.alias)}"

    def url(self, path: str) -> URL:
        return URL(f"{self.base_url}/{path}", encoded=True)

    @property
    def ssl(self) -> ssl.SSLContext | bool:
        """The TLS setting, built on first use so a bad ``ca_file`` raises from the first call.

        :class:`CaFileUnreadable` then comes out of ``join``/``request_token``
        (and so PexRTC's ``onError``), not out of a constructor.
        """
        if self._ssl is None:
            self._ssl = ssl_setting(self.options)
        return self._ssl

    async def session(self) -> aiohttp.ClientSession:
        """The aiohttp session: the injected one, or one this transport owns."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        return self._http

    async def close(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None

    def headers(self, *, auth: bool = True) -> dict[str, str]:
        headers = node_headers(self.options)
        if auth and self.token:
            headers["token"] = self.token
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Any = _NO_BODY,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        time_limit: float | None = None,
        retry: bool = True,
    ) -> Any:
        """Send one request and return the envelope's ``result`` (None for 204).

        Raises a subclass of :class:`InfinityError` naming ``operation``.
        Retries 502/504, timeouts and network errors within the retry policy
        unless ``retry`` is False. Once :attr:`leaving`, every request is
        tried once within ``options.leave_timeout``: the tidy-up after a
        failure must end in bounded time even when the node is gone.
        """
        policy = self.options.retry
        if self.leaving:
            retry = False
            time_limit = min(time_limit or self.options.request_timeout, self.options.leave_timeout)
        attempts = policy.attempts if retry else 0
        last: InfinityError | None = None
        for attempt in range(attempts + 1):
            if attempt:
                await asyncio.sleep(policy.delay(attempt))
                _log.debug("%s: retry %d after %s", operation, attempt, last)
            try:
                return await self._once(
                    method,
                    path,
                    operation=operation,
                    body=body,
                    params=params,
                    headers=headers,
                    auth=auth,
                    time_limit=time_limit,
                )
            except CertificateRejected:
                raise
            except (NodeUnreachable, RequestTimeout) as exc:
                last = exc
            except ServerError as exc:
                if exc.status not in _RETRY_STATUSES:
                    raise
                last = exc
        assert last is not None
        raise last

    async def _once(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        auth: bool,
        time_limit: float | None,
    ) -> Any:
        status, raw = await self.send(
            method,
            path,
            operation=operation,
            body=body,
            params=params,
            headers=headers,
            auth=auth,
            time_limit=time_limit,
        )
        return decode_response(operation, status, raw)

    async def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        body: Any = _NO_BODY,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
        time_limit: float | None = None,
    ) -> tuple[int, bytes]:
        """One attempt, no retry, no status mapping: for callers that read error bodies.

        Network failures and timeouts are still typed
        (:class:`NodeUnreachable`, :class:`RequestTimeout`).
        """
        http = await self.session()
        all_headers = self.headers(auth=auth)
        if headers:
            all_headers.update(headers)
        kwargs: dict[str, Any] = {
            "headers": all_headers,
            "timeout": aiohttp.ClientTimeout(total=time_limit or self.options.request_timeout),
            "ssl": self.ssl,
        }
        if body is not _NO_BODY:
            kwargs["json"] = body  # Content-Type: application/json
        else:
            # pexrtc.js sends no content type without a body; aiohttp would add
            # application/octet-stream to an empty POST
            kwargs["skip_auto_headers"] = ("Content-Type",)
        if params:
            kwargs["params"] = dict(params)
        try:
            async with http.request(method, self.url(path), **kwargs) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise RequestTimeout(operation, "the node did not answer in time") from None
        except aiohttp.ClientSSLError as exc:
            raise certificate_rejected(operation, exc) from None
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError) as exc:
            raise NodeUnreachable(operation, f"cannot reach the node ({_describe(exc)})") from None
        _log.debug("%s %s -> %d (%s)", method, path, status, operation)
        return status, raw


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact(text)


def decode_response(operation: str, status: int, raw: bytes) -> Any:
    """Unwrap ``{status, result}`` or raise the exception the status implies."""
    if status == 204:
        return None
    parsed, ok = parse_json(raw)
    if status == 200:
        if not ok:
            raise ProtocolError(operation, f"the node's answer is not JSON: {excerpt(raw)!r}", status=200)
        if not isinstance(parsed, dict) or "result" not in parsed:
            raise ProtocolError(operation, "the node's answer has no {status, result} envelope", status=200)
        if parsed.get("status", "success") != "success":
            reason = parsed.get("result")
            raise RequestRefused(
                operation,
                f"the node reported failure: {reason if isinstance(reason, str) else 'no reason given'}",
                status=200,
                reason=reason if isinstance(reason, str) else None,
            )
        return parsed["result"]
    reason = envelope_reason(parsed) if ok else excerpt(raw)
    raise error_for_status(operation, status, reason)


def envelope_reason(parsed: Any) -> str:
    """The human text of an error answer: ``result`` string, bare string, or JSON text."""
    if isinstance(parsed, dict):
        result = parsed.get("result")
        if isinstance(result, str):
            return result
        return _json_excerpt(result)
    if isinstance(parsed, str):
        return parsed
    return _json_excerpt(parsed)


def _json_excerpt(value: Any) -> str:
    # Decoding just below the nesting limit can leave re-encoding above it.
    try:
        return json.dumps(value)[:_BODY_EXCERPT]
    except RecursionError:
        return "(an answer nested too deeply to show)"


def parse_json(raw: bytes) -> tuple[Any, bool]:
    """``(value, True)``, or ``(None, False)`` for anything json cannot read.

    ``RecursionError`` (nesting deeper than the interpreter allows) is not a
    ``ValueError`` but means the same here: the body is not readable JSON.
    """
    try:
        return json.loads(raw.decode("utf-8")), True
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, False


def excerpt(raw: bytes) -> str:
    text = raw[:_BODY_EXCERPT].decode("utf-8", errors="replace").strip()
    return redact(text)


class NodeStatus(enum.StrEnum):
    UP = "up"


async def check_node(
    node_url: str,
    *,
    http: aiohttp.ClientSession | None = None,
    options: ClientOptions | None = None,
) -> NodeStatus:
    """``GET /api/client/v2/status``: is there a working Infinity node at this address?"""
    options = options or ClientOptions()
    base = normalise_node_url(node_url)
    tls = ssl_setting(options)  # a bad ca_file is a configuration error, before any connection
    own = http is None
    session = http or aiohttp.ClientSession()
    operation = "check the node"
    try:
        try:
            async with session.get(
                URL(f"{base}{API_PREFIX}/status", encoded=True),
                timeout=aiohttp.ClientTimeout(total=options.request_timeout),
                ssl=tls,
                headers=node_headers(options),
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise RequestTimeout(operation, "the node did not answer in time") from None
        except aiohttp.ClientSSLError as exc:
            raise certificate_rejected(operation, exc) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NodeUnreachable(operation, f"cannot reach the node ({_describe(exc)})") from None
    finally:
        if own:
            await session.close()
    parsed, ok = parse_json(raw)
    if status == 503:
        raise NodeInMaintenance(
            operation,
            "the node is in maintenance mode",
            status=503,
            reason=envelope_reason(parsed) if ok else None,
        )
    if status == 404 or not ok:
        raise NotANode(
            operation, f"{base} is not a Pexip Infinity Conferencing Node (HTTP {status})", status=status
        )
    if status != 200:
        raise error_for_status(operation, status, envelope_reason(parsed))
    return NodeStatus.UP
