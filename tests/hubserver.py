"""A local HTTP server on 127.0.0.1 that speaks the Hub's `GET /api/models` wire format, for tests and the
sync benchmark: pages with `Link: <...>; rel="next"` cursors, `expand` handling (unknown values are HTTP 400,
as on the Hub), sort/direction/author/filter, a configurable page size, and faults injected on demand:
429 with Retry-After, 500, a connection reset mid-body, a truncated JSON page, and hostile ones: a redirect to
another origin or to the same one, an endless chunked body, a gzip bomb."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

EXPANDABLE = {
    "author",
    "baseModels",
    "cardData",
    "childrenModelCount",
    "config",
    "createdAt",
    "disabled",
    "downloads",
    "downloadsAllTime",
    "gated",
    "inference",
    "lastModified",
    "library_name",
    "likes",
    "model-index",
    "pipeline_tag",
    "private",
    "safetensors",
    "sha",
    "siblings",
    "spaces",
    "tags",
    "trendingScore",
    "transformersInfo",
    "usedStorage",
    "widgetData",
    "gguf",
    "resourceGroup",
    "mask_token",
    "evalResults",
}


class ListSource:
    """Records held as dicts (mutable: tests add and modify models between syncs)."""

    def __init__(self, records: list[dict]):
        self.records = list(records)

    def select(self, q: dict) -> list[int]:
        idx = list(range(len(self.records)))
        author = q.get("author", [None])[0]
        if author:
            idx = [i for i in idx if self.records[i]["id"].split("/")[0] == author]
        for f in q.get("filter", []):
            idx = [i for i in idx if f in self.records[i].get("tags", [])]
        sort = q.get("sort", [None])[0]
        if sort:
            rev = q.get("direction", ["-1"])[0] == "-1"
            idx.sort(key=lambda i: (self.records[i].get(sort) or 0, self.records[i]["id"]), reverse=rev)
        return idx

    def item(self, i: int, expand: list[str]) -> bytes:
        r = self.records[i]
        out = {"_id": r.get("_id", f"{i:024x}"), "id": r["id"]}
        for e in expand:
            if e in r:
                out[e] = r[e]
        if not expand:
            out.update(
                {
                    k: v
                    for k, v in r.items()
                    if k
                    in ("likes", "downloads", "tags", "pipeline_tag", "library_name", "createdAt", "private")
                }
            )
            out["modelId"] = r["id"]
        return json.dumps(out).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HubServer  # type: ignore[assignment]

    def log_message(self, *a):  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        hub = self.server.hub
        u = urlparse(self.path)
        q = parse_qs(u.query)
        with hub.lock:
            hub.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
            n = len(hub.requests)
            fault = hub.faults.pop(0) if hub.faults else None
        if hub.on_request:
            hub.on_request(n)
        if u.path != "/api/models":
            return self._send(404, b'{"error": "Not Found"}')
        if (
            fault == "redirect_foreign"
        ):  # to another origin (its port is closed: following it would fail anyway)
            return self._send(302, b"", {"Location": f"http://127.0.0.1:1{self.path}"})
        if fault == "redirect_same":
            return self._send(
                307, b"", {"Location": self.path + ("&" if "?" in self.path else "?") + "moved=1"}
            )
        if fault == "endless":
            return self._endless()
        if fault == "gzip_bomb":
            return self._send(200, gzip_bomb(), {"Content-Encoding": "gzip"})
        if fault == "429":
            return self._send(429, b'{"error": "rate limited"}', {"Retry-After": str(hub.retry_after)})
        if fault == "500":
            return self._send(500, b'{"error": "Internal Error"}')
        expand = q.get("expand", [])
        bad = [e for e in expand if e not in EXPANDABLE]
        if bad:
            return self._send(
                400, json.dumps({"error": f'"expand" must be one of {sorted(EXPANDABLE)}'}).encode()
            )
        if expand and any(k in q for k in ("full", "config", "cardData")):
            return self._send(400, b'{"error": "expand cannot be combined with full, config or cardData"}')
        limit = min(int(q.get("limit", ["1000"])[0]), hub.page_cap)
        cursor = q.get("cursor", [None])[0]
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":")[1]) if cursor else 0
        with hub.lock:
            idx = hub.source.select(q)
            page = idx[offset : offset + limit]
            body = b"[" + b",".join(hub.source.item(i, expand) for i in page) + b"]"
        headers = {}
        if offset + limit < len(idx):
            nq = {k: v for k, v in q.items() if k != "cursor"}
            token = base64.urlsafe_b64encode(f"o:{offset + limit}".encode()).decode()
            nxt = f"{hub.link_base or hub.url}/api/models?{urlencode(nq, doseq=True)}&cursor={token}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        if fault == "truncated":
            body = body[: max(1, len(body) // 2)]
        if fault == "reset":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            import socket

            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(200, body, headers)

    def _endless(self) -> None:
        """A chunked body that never ends (until the client hangs up)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"[" + b" " * 65535
        try:
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                chunk = b" " * 65536
        except OSError:
            self.close_connection = True


_BOMB: bytes | None = None


def gzip_bomb(size: int = 1 << 30) -> bytes:
    """A gzip stream of ``size`` spaces (1 GiB: about 1 MB compressed), made once."""
    global _BOMB
    if _BOMB is None:
        import zlib

        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b" " * (1 << 20)
        _BOMB = b"".join(z.compress(block) for _ in range(size >> 20)) + z.flush()
    return _BOMB


class HubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, source, page_cap: int = 1000, retry_after: float = 1):
        super().__init__(("127.0.0.1", 0), Handler)
        self.hub = self
        self.source = source
        self.page_cap = page_cap
        self.retry_after = retry_after
        self.faults: list[str] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.on_request: Callable[[int], None] | None = None
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.link_base: str | None = None  # next-page links to another origin (an attack, or a broken proxy)
        self._thread: threading.Thread | None = None

    def start(self) -> HubServer:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def page_requests(self) -> int:
        return sum(1 for r in self.requests if r["path"].startswith("/api/models"))
