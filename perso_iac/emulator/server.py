"""HTTP front end (moto's ``responses.py`` role): AWS JSON 1.1 on ``POST /``.

``X-Amz-Target: AmazonPersonalize.<Operation>`` selects the operation, bodies are
``application/x-amz-json-1.1``, errors are HTTP 400 ``{"__type": ..., "message": ...}``. The
Resource Groups Tagging API's GetResources (ops/tagging.py) is answered too, in JSON 1.1 or in the
Smithy RPC v2 CBOR that current botocore speaks to that service.
Any SigV4-signed request is accepted (signatures are not checked); a request without an
``Authorization`` header is refused like AWS does. ``POST /_perso/control`` is the unsigned test
control endpoint (advance the clock, configure faults, reset, count calls).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import cbor
from .backend import Backend
from .clock import SystemClock
from .config import EmulatorConfig
from .errors import ApiError
from .model import TARGET_PREFIX, operation_names
from .ops import service_quotas, tagging
from .wire import parse_object

log = logging.getLogger("perso_iac.emulator")

CONTENT_TYPE = "application/x-amz-json-1.1"
CONTROL_PATH = "/_perso/control"
MAX_BODY = 1024 * 1024  # 1 MiB; the largest legitimate request (a 20 000-char schema) is far smaller
_OPERATIONS = frozenset(operation_names())
TAGGING_PREFIX = f"{tagging.TARGET}."
CBOR_PATH = f"/service/{tagging.TARGET}/operation/"   # Smithy RPC v2 CBOR's request path


def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "perso-emulator"
    sys_version = ""
    backend: Backend  # set on the subclass made by EmulatorServer
    timeout = 60  # a client that announces more body than it sends must not hold a thread forever

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s - %s", self.address_string(), format % args)

    # ------------------------------------------------------------------ helpers
    def _send(self, status: int, body: dict, content_type: str = CONTENT_TYPE, close: bool = False) -> None:
        payload = json.dumps(body, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", self._request_id())
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    def _send_empty(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", "0")
        self.send_header("x-amzn-RequestId", self._request_id())
        self.end_headers()

    def _request_id(self) -> str:
        import uuid

        return str(uuid.uuid4())

    def _error(self, err: ApiError, close: bool = False) -> None:
        self._send(err.status, err.body(), close=close)

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._error(ApiError("SerializationException", "Chunked request bodies are not supported."), close=True)
            return None
        try:
            length = int(length_header or 0)
        except ValueError:
            self._error(ApiError("SerializationException", "Invalid Content-Length."), close=True)
            return None
        if length < 0:
            self._error(ApiError("SerializationException", "Invalid Content-Length."), close=True)
            return None
        if length > MAX_BODY:
            self._discard(length)
            self._error(
                ApiError("RequestEntityTooLargeException", f"Request body exceeds {MAX_BODY} bytes.", status=413),
                close=True,
            )
            return None
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        """Read (and drop) an oversize body so the client is not reset mid-send; give up past 64 MiB."""
        remaining = min(length, 64 * MAX_BODY)
        try:
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 65536))
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    # ------------------------------------------------------------------ verbs
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        if self.path.rstrip("/") in ("/_perso/health", "/_perso"):
            self._send(200, {"status": "ok", "service": "personalize"}, "application/json")
            return
        self._error(ApiError("UnknownOperationException", "Only POST / is supported.", status=404))

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._post()
        except (BrokenPipeError, ConnectionResetError):  # client went away
            self.close_connection = True
        except Exception:  # never leak a traceback to the client
            log.exception("emulator internal error")
            try:
                self._error(ApiError("InternalFailure", "The emulator hit an internal error.", status=500), close=True)
            except OSError:
                self.close_connection = True

    def _post(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path = self.path.split("?", 1)[0]
        if path == CONTROL_PATH:
            self._control(body)
            return
        cbor_op = path[len(CBOR_PATH):] if path.startswith(CBOR_PATH) else None
        if path != "/" and cbor_op is None:
            self._error(ApiError("UnknownOperationException", f"No operation at path {path}.", status=404))
            return
        reply = _Reply(self, cbor=cbor_op is not None)
        if not self.headers.get("Authorization"):
            reply.error(ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", status=403))
            return
        if not self.headers.get("Authorization", "").startswith("AWS4-"):
            reply.error(ApiError("IncompleteSignatureException", "Authorization header is not a SigV4 signature."))
            return
        target = self.headers.get("X-Amz-Target", "")
        if target.startswith(service_quotas.TARGET_PREFIX):  # perso's quota preflight reads these
            try:
                self.backend.admit(target)
                self._send(200, service_quotas.handle(self.backend.config, target, parse_object(body)))
            except ApiError as err:
                self._error(err)
            return
        if cbor_op is not None:
            op = cbor_op if cbor_op in tagging.OPERATIONS else None
        elif target.startswith(TAGGING_PREFIX):
            op = target[len(TAGGING_PREFIX):] if target[len(TAGGING_PREFIX):] in tagging.OPERATIONS else None
        else:
            op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
            op = op if op in _OPERATIONS else None
        if op is None:
            what = path if cbor_op is not None else target or "(no X-Amz-Target)"
            reply.error(ApiError("UnknownOperationException", f"Unknown operation {what}."))
            return
        try:
            params = cbor.parse_body(body) if cbor_op is not None else parse_object(body)
        except ApiError as err:
            reply.error(err)
            return
        backend = self.backend
        latency = backend.config.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)
        try:
            backend.admit(op)
            result = backend.handle(op, params)
        except ApiError as err:
            reply.error(err)
            return
        if result is None:  # Delete*: an empty body, content-length 0 (FINDINGS.md §12)
            self._send_empty()
            return
        reply.send(200, result)

    def _control(self, body: bytes) -> None:
        try:
            payload = parse_object(body, "control body")
        except ApiError as err:
            self._send(err.status, err.body(), "application/json")
            return
        try:
            result = self.backend.control(payload)
        except ApiError as err:
            self._send(err.status, err.body(), "application/json")
            return
        except (TypeError, ValueError) as exc:
            self._send(400, {"__type": "InvalidInputException", "message": str(exc)}, "application/json")
            return
        self._send(200, result, "application/json")


class _Reply:
    """Answers in the request's protocol: AWS JSON 1.1, or Smithy RPC v2 CBOR (the tagging API)."""

    def __init__(self, handler: _Handler, *, cbor: bool) -> None:
        self.handler = handler
        self.cbor = cbor

    def send(self, status: int, body: dict) -> None:
        if not self.cbor:
            self.handler._send(status, body)
            return
        payload = cbor.encode(body)
        handler = self.handler
        handler.send_response(status)
        handler.send_header("Content-Type", "application/cbor")
        handler.send_header("smithy-protocol", "rpc-v2-cbor")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("x-amzn-RequestId", handler._request_id())
        handler.end_headers()
        handler.wfile.write(payload)

    def error(self, err: ApiError) -> None:
        self.send(err.status, err.body())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog: the default 5 resets connections when a client pool opens dozens at once
    request_queue_size = 1024


class EmulatorServer:
    """The emulator on ``host:port`` (port 0 picks a free port).

    ``start()`` serves in a daemon thread and returns ``self``; ``stop()`` shuts it down.
    Also a context manager.
    """

    def __init__(self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self.clock = self.config.clock if self.config.clock is not None else SystemClock()
        self.backend = Backend(self.config, self.clock)
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def _bind(self) -> _Server:
        handler = type("BoundHandler", (_Handler,), {"backend": self.backend})
        httpd = _Server((self.host, self.port), handler)
        self.port = httpd.server_address[1]
        self._httpd = httpd
        return httpd

    @property
    def endpoint_url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def bind(self) -> EmulatorServer:
        """Listen on the port without serving yet (connections queue in the backlog)."""
        if self._httpd is None:
            self._bind()
        return self

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            return self
        httpd = self._httpd or self._bind()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="perso-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()`` or KeyboardInterrupt."""
        httpd = self._httpd or self._bind()
        try:
            httpd.serve_forever(poll_interval=0.2)
        finally:
            httpd.server_close()
            self._httpd = None

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        if self._thread is not None:  # shutdown() waits for a serve_forever loop that must exist
            httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
