"""HTTP side of the emulator: token checks, limits, faults, the envelope, admin endpoints.

Built on ``http.server.ThreadingHTTPServer`` (one thread per connection) speaking HTTP/1.1
with persistent connections, because the clients under test keep a ``requests.Session`` and a
benchmark pushes a million records through it: no per-request logging, one write per small
response, Nagle disabled, the JSON body parsed once, and locks held only around counters.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections import Counter
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .endpoints import ApiError, Call, Endpoints, Result
from .faults import APPLY_THEN_SLEEP, DROP_AFTER, DROP_BEFORE, RESPOND, Fault, FaultBook
from .state import Store

MSG_NO_TOKEN = "PLEASE ENTER THE WOLKVOX-TOKEN"
MSG_BAD_TOKEN = "PLEASE VALIDATE TOKEN"
MSG_QUOTA = "TOKEN LIMIT EXCEEDED"
MSG_CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
MSG_MAINTENANCE = "API CONSUMPTION DISABLED DUE TO MAINTENANCE"

API_PREFIX = "/api/v2/"
ADMIN_PREFIX = "/_emulator/"
DEFAULT_SERVER = "default"
#: Header names that carry the server id: the collection's, and the hyphenated one clients also send.
SERVER_HEADERS = ("wolkvox_server", "wolkvox-server")
JSON_TYPE = "application/json"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.upper()
    except ValueError:
        return "ERROR"


def envelope(status: int, msg: str, data: list[Any] | dict[str, Any] | None = None) -> bytes:
    """The vendor's response body: code mirrors the HTTP status, error is null on success."""
    error = None if status < 400 else _reason(status)
    return json.dumps({"code": status, "error": error, "msg": msg, "data": data}).encode()


def token_label(token: str) -> str:
    """A stable, non-secret name for a token (what /_emulator/state shows instead of it)."""
    return "token-" + hashlib.sha256(token.encode()).hexdigest()[:8]


class Reply:
    """What to send back: a response, or ``drop`` to close the socket without answering."""

    __slots__ = ("body", "content_type", "drop", "headers", "status")

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str = JSON_TYPE,
        headers: dict[str, str] | None = None,
        drop: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.drop = drop

    @classmethod
    def of(cls, result: Result) -> Reply:
        if result.raw is not None:  # the apis whose answer is not the envelope
            return cls(result.status, json.dumps(result.raw).encode())
        return cls(result.status, envelope(result.status, result.msg, result.data))

    @classmethod
    def error(cls, status: int, msg: str) -> Reply:
        return cls(status, envelope(status, msg))

    @classmethod
    def admin(cls, payload: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(payload).encode())


class WolkvoxEmulator:
    """A local Wolkvox v2 server; see the package docstring for the behaviours chosen.

    ``tokens`` maps each accepted ``wolkvox-token`` to its daily quota. State (campaigns and
    records) is kept per server id: the ``wolkvox_server`` (or ``wolkvox-server``) header; without
    one, the operation the token belongs to (``token_servers``, else the operation of the token's
    first call, "default" if that call named none).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        tokens: dict[str, int] | None = None,
        state_file: str | None = None,
        max_in_flight: int = 2,
        max_records: int = 10_000,
        dial_rate: float = 0.0,
        token_servers: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.tokens: dict[str, int] = dict(tokens if tokens is not None else {"demo-token": 100_000})
        self.max_in_flight = max_in_flight
        self.max_records = max_records
        self.store = Store(state_file)
        self.set_dial_rate(dial_rate)
        self.faults = FaultBook()
        self.endpoints = Endpoints(self.store, max_records, self._token_info)
        self._lock = threading.Lock()  # counters below
        self._day = date.today()
        self._used: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._peak: Counter[str] = Counter()
        self._requests: Counter[str] = Counter()
        self._rejected: Counter[tuple[str, str]] = Counter()  # (token, "concurrency" | "quota")
        #: The operation each token belongs to: given, or that of its first call.
        self._given_token_servers = dict(token_servers or {})
        self._token_servers = dict(self._given_token_servers)
        self.latency = 0.0
        self.maintenance = False
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> WolkvoxEmulator:
        if self._httpd is not None:
            return self
        self.store.reopen()
        self._httpd = _Server((self.host, self._requested_port), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="wolkvox-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open keep-alive connections and the state file."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.close()

    def __enter__(self) -> WolkvoxEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the emulator is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- control from Python ---------------------------------------------------------------

    def inject_fault(
        self,
        api: str = "*",
        times: int = 1,
        status: int = 503,
        body: dict[str, Any] | list[Any] | str | None = None,
        latency: float = 0.0,
        action: str = RESPOND,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Make the next ``times`` calls to ``api`` ("*" = any) misbehave (see faults.py)."""
        return self.faults.add(Fault(api, times, status, body, latency, action, dict(headers or {})))

    def add_token(self, token: str, daily_quota: int = 100_000) -> None:
        """Accept another ``wolkvox-token`` (or change a token's daily quota)."""
        if not token:
            raise ValueError("a token cannot be empty")
        self.tokens[token] = int(daily_quota)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_latency(self, seconds: float) -> None:
        """Delay every API call by ``seconds`` (the call counts as in flight meanwhile)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self.latency = float(seconds)

    def set_dial_rate(self, records_per_second: float) -> None:
        """Simulate the dialer: a Started campaign calls this many records a second.

        Called records get a ``result`` and no longer count in the campaign list's ``records``
        (records left to call), so a sensor waiting for ``records <= N`` has something to wait for.
        """
        if records_per_second < 0:
            raise ValueError("dial rate must be >= 0")
        self.store.set_dial_rate(float(records_per_second))

    def set_maintenance(self, enabled: bool = True) -> None:
        """While on, every API call answers 403 API CONSUMPTION DISABLED DUE TO MAINTENANCE."""
        self.maintenance = bool(enabled)

    #: What :meth:`reset` always forgets.
    RESET = ("campaigns", "records", "do_not_call", "faults", "maintenance", "counters", "quota_used")

    def reset(self, *, dialing: bool = False) -> dict[str, Any]:
        """Forget campaigns, records, faults, maintenance and all counters (quota included).

        The emulator's settings, its dial rate and latency, are kept: a reset between runs must
        not silently stop the dialing a waiting sensor depends on. ``dialing=True`` turns both
        off too (as at a start without ``--dial-rate`` and ``--latency``). Returns what was
        reset and what was kept, as ``POST /_emulator/reset`` answers.
        """
        self.store.reset()
        self.faults.clear()
        self.maintenance = False
        with self._lock:
            for counter in (self._used, self._in_flight, self._peak, self._requests, self._rejected):
                counter.clear()
            self._token_servers = dict(self._given_token_servers)
        if dialing:
            self.set_dial_rate(0.0)
            self.latency = 0.0
            return {"reset": [*self.RESET, "dialing", "latency"], "kept": {}}
        return {
            "reset": list(self.RESET),
            "kept": {"records_per_second": self.store.dial_rate, "latency": self.latency},
        }

    def state(self, include_records: bool = True) -> dict[str, Any]:
        """What GET /_emulator/state returns: request counts, peaks, tokens, campaigns."""
        with self._lock:
            requests = dict(self._requests)
            peak = {token_label(t): n for t, n in self._peak.items()}
            in_flight = {token_label(t): n for t, n in self._in_flight.items() if n}
            usage = {token_label(t): self._used[t] for t in self.tokens}
            rejections: dict[str, dict[str, int]] = {}
            for (t, kind), n in self._rejected.items():
                rejections.setdefault(token_label(t), {})[kind] = n
            operations = {token_label(t): server for t, server in self._token_servers.items()}
        return {
            "requests": requests,
            "peak_in_flight": peak,
            "in_flight": in_flight,
            "rejections": rejections,
            "token_use_today": usage,
            "token_operations": operations,
            "latency": self.latency,
            "maintenance": self.maintenance,
            "faults": self.faults.pending(),
            "campaigns": self.store.snapshot(include_records),
        }

    @property
    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._requests)

    # --- API request pipeline ------------------------------------------------------------

    def _token_info(self, token: str) -> dict[str, str]:
        with self._lock:
            limit, used = self.tokens[token], self._used[token]
            total = sum(self._used.values())
        return {
            "description": token_label(token),
            "token_limit": str(limit),
            "token_use_today": str(used),
            "all_token_today": str(total),
            "available_consumption_options": str(max(limit - used, 0)),
        }

    def handle_api(self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes) -> Reply:
        """Run one /api/v2 call through maintenance, auth, limits, faults and the endpoint."""
        api = query.get("api", "")
        with self._lock:
            self._requests[api or path] += 1
        if self.maintenance:
            return Reply.error(403, MSG_MAINTENANCE)
        token = (headers.get("wolkvox-token") or "").strip()
        if not token:
            return Reply.error(401, MSG_NO_TOKEN)
        if token not in self.tokens:
            return Reply.error(403, MSG_BAD_TOKEN)
        with self._lock:
            today = date.today()
            if today != self._day:
                self._day = today
                self._used.clear()
            self._in_flight[token] += 1
            self._peak[token] = max(self._peak[token], self._in_flight[token])
            if self._used[token] >= self.tokens[token]:
                rejection = MSG_QUOTA
                self._rejected[token, "quota"] += 1
            elif self._in_flight[token] > self.max_in_flight:
                rejection = MSG_CONCURRENCY
                self._rejected[token, "concurrency"] += 1
            else:
                rejection = ""
                self._used[token] += 1
        try:
            if rejection:
                return Reply.error(403, rejection)
            call = Call(api, query, body, self._operation(token, headers), token)
            return self._run(method, path, call)
        finally:
            with self._lock:
                self._in_flight[token] -= 1

    def _operation(self, token: str, headers: Any) -> str:
        """The namespace a call works in. The real server knows it from its host name; here the
        server header stands in for the host, and a call without one (the collection's items
        14-17, the public start/stop scripts) reaches the operation its token belongs to."""
        named = next(
            (value.strip() for name in SERVER_HEADERS if (value := headers.get(name) or "").strip()), ""
        )
        with self._lock:
            # A token belongs to the operation of its first call, so calls without a header keep
            # going to one place even when other clients on the same token name other operations.
            home = self._token_servers.setdefault(token, named or DEFAULT_SERVER)
        return named or home

    def _run(self, method: str, path: str, call: Call) -> Reply:
        if self.latency:
            time.sleep(self.latency)
        fault = self.faults.take(call.api)
        if fault is not None and fault.action != APPLY_THEN_SLEEP and fault.latency:
            time.sleep(fault.latency)
        if fault is not None and fault.action == RESPOND:
            return _fault_reply(fault)
        if fault is not None and fault.action == DROP_BEFORE:
            return Reply(drop=True)
        reply = self._dispatch(method, path, call)
        if fault is not None and fault.action == DROP_AFTER:
            return Reply(drop=True)
        if fault is not None and fault.action == APPLY_THEN_SLEEP:
            time.sleep(fault.latency)
        return reply

    def _dispatch(self, method: str, path: str, call: Call) -> Reply:
        module = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else ""
        try:
            endpoint = self.endpoints.resolve(module, call.api, method)
            return Reply.of(endpoint(call))
        except ApiError as exc:
            return Reply.error(exc.status, exc.msg)

    # --- admin endpoints -------------------------------------------------------------------

    def handle_admin(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        """/_emulator/...: test and demo controls; no token, never faulted or delayed."""
        action = path[len(ADMIN_PREFIX) :].strip("/")
        try:
            payload: Any = json.loads(body) if body.strip() else {}
        except ValueError:
            return Reply.admin({"ok": False, "error": "the body is not valid JSON"}, 400)
        try:
            if (method, action) == ("GET", "health"):
                return Reply.admin({"ok": True, "status": "up"})
            if (method, action) == ("GET", "state"):
                include = query.get("records", "true").lower() not in ("0", "false", "no")
                return Reply.admin(self.state(include))
            if (method, action) == ("GET", "faults"):
                return Reply.admin({"ok": True, "faults": self.faults.pending()})
            if (method, action) == ("POST", "faults"):
                specs = payload if isinstance(payload, list) else [payload]
                added = [self.faults.add(Fault.from_dict(spec)).to_dict() for spec in specs]
                return Reply.admin({"ok": True, "faults": added}, 201)
            if (method, action) == ("DELETE", "faults"):
                self.clear_faults()
                return Reply.admin({"ok": True})
            if (method, action) == ("POST", "latency"):
                seconds = payload.get("seconds") if isinstance(payload, dict) else None
                if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                    raise ValueError("latency needs {'seconds': number}")
                self.set_latency(seconds)
                return Reply.admin({"ok": True, "seconds": self.latency})
            if (method, action) == ("POST", "dialing"):
                rate = payload.get("records_per_second") if isinstance(payload, dict) else None
                if isinstance(rate, bool) or not isinstance(rate, int | float):
                    raise ValueError("dialing needs {'records_per_second': number}")
                self.set_dial_rate(rate)
                return Reply.admin({"ok": True, "records_per_second": self.store.dial_rate})
            if (method, action) == ("POST", "maintenance"):
                enabled = payload.get("enabled") if isinstance(payload, dict) else None
                if not isinstance(enabled, bool):
                    raise ValueError("maintenance needs {'enabled': true|false}")
                self.set_maintenance(enabled)
                return Reply.admin({"ok": True, "enabled": self.maintenance})
            if (method, action) == ("POST", "reset"):
                options = payload if isinstance(payload, dict) else None
                unknown = sorted(set(options or {}) - {"dialing"}) if options is not None else None
                if options is None or unknown:
                    raise ValueError(
                        f"reset takes {{}} or {{'dialing': true|false}}, not {unknown or payload!r}"
                    )
                dialing = options.get("dialing", False)
                if not isinstance(dialing, bool):
                    raise ValueError(f"reset's 'dialing' must be true or false, not {dialing!r}")
                return Reply.admin({"ok": True, **self.reset(dialing=dialing)})
        except (ValueError, TypeError) as exc:
            return Reply.admin({"ok": False, "error": str(exc)}, 400)
        return Reply.admin({"ok": False, "error": f"no admin endpoint {method} {path}"}, 404)


def _fault_reply(fault: Fault) -> Reply:
    if fault.body is None:
        body, content_type = envelope(fault.status, _reason(fault.status)), JSON_TYPE
    elif isinstance(fault.body, str):
        body, content_type = fault.body.encode(), "text/html; charset=utf-8"
    else:
        body, content_type = json.dumps(fault.body).encode(), JSON_TYPE
    return Reply(fault.status, body, content_type, fault.headers)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers its open connections so stop() can close them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], emulator: WolkvoxEmulator
    ):
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WolkvoxEmulator/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = -1  # buffered: headers and a small body leave in one segment
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: per-request logging to stderr would dominate the benchmark."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        emulator = self.server.emulator
        try:
            body = self._read_body()
        except ValueError:
            self._send(Reply.error(400, "MALFORMED REQUEST BODY"))
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        path = parts.path
        # Keys are stripped: Postman turns the collection's "&api=edit_campaign& campaign_id=" into
        # the key " campaign_id".
        query = {key.strip(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
        try:
            if path.startswith(ADMIN_PREFIX):
                reply = emulator.handle_admin(self.command, path, query, body)
            elif path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/"):
                reply = emulator.handle_api(self.command, path, query, self.headers, body)
            else:
                reply = Reply.error(404, "THE RESOURCE YOU REQUESTED DOES NOT EXIST")
        except Exception as exc:  # a bug in the emulator must not look like a dropped connection
            reply = Reply.error(500, f"EMULATOR ERROR: {type(exc).__name__}: {exc}")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. timed out)
            self.close_connection = True

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_PATCH = _handle
