"""A local Hub for a dataset repository, on 127.0.0.1, speaking the endpoints huggingface_hub uses to list and
download its files, so `hubatlas get` runs against it with the real client through HF_ENDPOINT:

- ``GET /api/datasets/{repo}/tree/{rev}/{path}``: a folder's entries (``directory`` / ``file`` with ``lfs``
  ``{oid, size, pointerSize}``), as ``HfApi.list_repo_tree`` reads them;
- ``POST /api/datasets/{repo}/paths-info/{rev}`` (form ``paths``, ``expand``), as ``HfApi.get_paths_info``;
- ``HEAD|GET /datasets/{repo}/resolve/{rev}/{path}``: an LFS file answers 302 to a second server (the CDN, on
  another port) with ``X-Linked-Size``, ``X-Linked-Etag`` (its sha256), ``X-Repo-Commit`` and ``ETag``, as the
  Hub does;
- the CDN: ``GET /blob/<sha256>`` with ``Range`` (``bytes=N-``, ``bytes=a-b``, ``bytes=-N``: 206 with
  ``Content-Range``), and faults on demand: a
  connection dropped a third of the way in (``drop``) or before
  any byte (``empty``), a slow body (``slow``), flipped bytes (``corrupt``), a longer body (``longer``).

Everything else (``/api/models``) is the models API of tests/hubserver.py, so `sync --refresh` after `get`
runs against the same endpoint."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

from hubserver import Handler, HubServer, ListSource

COMMIT = "c0ffee" + "0" * 34


class CdnHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CdnServer  # type: ignore[assignment]

    def log_message(self, *a):
        pass

    def do_GET(self):
        cdn = self.server
        sha = self.path.split("?")[0].rsplit("/", 1)[-1]
        rng = self.headers.get("Range")
        with cdn.lock:
            cdn.requests.append(
                {"path": self.path, "range": rng, "authorization": self.headers.get("Authorization")}
            )
            fault = cdn.faults.pop(0) if cdn.faults else None
        data = cdn.blobs.get(sha)
        if data is None:
            return self._send(404, b"not found")
        if fault == "corrupt":
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        if fault == "longer":
            data = data + b"\0" * 1000
        start, end = 0, len(data)  # Range: bytes=N- (a resume), bytes=a-b, bytes=-N (a file's last N bytes)
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start, end = (
                (max(0, len(data) - int(b)), len(data)) if not a else (int(a), int(b) + 1 if b else len(data))
            )
        body = data[start:end]
        ranged = bool(rng)
        status = 206 if ranged else 200
        headers = {"Content-Range": f"bytes {start}-{end - 1}/{len(data)}"} if ranged else {}
        if fault == "slow":  # 1 kB every 100 ms: a download long enough to be cancelled
            return self._slow(status, body, headers)
        if fault in ("drop", "empty"):  # the whole length promised, a third (or nothing) sent, then closed
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[: len(body) // 3] if fault == "drop" else b"")
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(status, body, headers)

    def _slow(self, status: int, body: bytes, headers: dict) -> None:
        import time

        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        try:
            for i in range(0, len(body), 1024):
                self.wfile.write(body[i : i + 1024])
                self.wfile.flush()
                time.sleep(0.1)
        except OSError:  # the client went away (a cancel)
            self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class CdnServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), CdnHandler)
        self.blobs: dict[str, bytes] = {}
        self.faults: list[str] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


def _oid(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class DatasetHandler(Handler):
    server: DatasetServer  # type: ignore[assignment]

    def _record(self) -> None:
        with self.server.lock:
            self.server.requests.append(
                {
                    "path": self.path,
                    "method": self.command,
                    "authorization": self.headers.get("Authorization"),
                }
            )

    def _prefix(self, kind: str) -> tuple[str, str] | None:
        """(revision, path) of /api/datasets/{repo}/{kind}/{rev}/{path} for this server's repository."""
        p = unquote(urlparse(self.path).path)
        head = f"/api/datasets/{self.server.repo_id}/{kind}/"
        if not p.startswith(head):
            return None
        rev, _, path = p[len(head) :].partition("/")
        return rev, path.strip("/")

    def do_GET(self):
        tree = self._prefix("tree")
        if tree is not None:
            self._record()
            return self._tree(tree[1])
        if urlparse(self.path).path.startswith("/datasets/"):
            self._record()
            return self._resolve(head=False)
        return super().do_GET()

    def do_HEAD(self):
        self._record()
        return self._resolve(head=True)

    def do_POST(self):
        self._record()
        info = self._prefix("paths-info")
        n = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(n).decode())
        if info is None:
            return self._send(404, b'{"error": "Not Found"}')
        out = [self.server.entry(p) for p in form.get("paths", [])]
        self._send(200, json.dumps([e for e in out if e]).encode())

    def _tree(self, path: str):
        srv = self.server
        children: dict[str, dict] = {}
        for f in srv.files:
            if not f.startswith(path + "/"):
                continue
            rest = f[len(path) + 1 :]
            name = rest.split("/", 1)[0]
            full = f"{path}/{name}"
            if "/" in rest:
                children[full] = {"type": "directory", "oid": _oid(full), "path": full}
            else:
                children[full] = srv.entry(full)
        if not children:
            return self._send(404, b'{"error": "Entry not found"}', {"X-Error-Code": "EntryNotFound"})
        self._send(200, json.dumps([children[k] for k in sorted(children)]).encode())

    def _resolve(self, head: bool):
        srv = self.server
        p = unquote(urlparse(self.path).path)
        prefix = f"/datasets/{srv.repo_id}/resolve/"
        _rev, _, path = p[len(prefix) :].partition("/") if p.startswith(prefix) else ("", "", "")
        if path not in srv.files:
            body = b'{"error": "Entry not found"}'
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        size, sha = srv.head_declared(path)
        self.send_response(302)
        self.send_header("Location", f"{srv.cdn.url}/blob/{srv.sha(path)}")
        self.send_header("X-Linked-Size", str(size))
        self.send_header("X-Linked-Etag", f'"{sha}"')
        self.send_header("ETag", f'"{_oid(path)}"')
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("Content-Length", "0")
        self.end_headers()


class DatasetServer(HubServer):
    """One dataset repository (files held in memory) and the models API of HubServer on the same origin."""

    def __init__(self, repo_id: str, files: dict[str, bytes], models: list[dict] | None = None):
        super().__init__(ListSource(models or []))
        self.RequestHandlerClass = DatasetHandler
        self.repo_id = repo_id
        self.files = dict(files)
        self.declared: dict[str, tuple[int, str]] = {}  # path -> (size, sha256) the tree claims (a fault)
        self.head_override: dict[str, tuple[int, str]] = {}  # what the resolve HEAD claims (a fault)
        self.cdn = CdnServer()
        self._cdn_thread: threading.Thread | None = None
        self.requests = []

    def sha(self, path: str) -> str:
        return hashlib.sha256(self.files[path]).hexdigest()

    def tree_declared(self, path: str) -> tuple[int, str]:
        return self.declared.get(path) or (len(self.files[path]), self.sha(path))

    def head_declared(self, path: str) -> tuple[int, str]:
        return self.head_override.get(path) or self.tree_declared(path)

    def entry(self, path: str) -> dict | None:
        if path not in self.files:
            return None
        size, sha = self.tree_declared(path)
        return {
            "type": "file",
            "oid": _oid(path),
            "size": size,
            "path": path,
            "lfs": {"oid": sha, "size": size, "pointerSize": 134},
        }

    def start(self) -> DatasetServer:
        for path in self.files:
            self.cdn.blobs[self.sha(path)] = self.files[path]
        self._cdn_thread = threading.Thread(target=self.cdn.serve_forever, daemon=True)
        self._cdn_thread.start()
        super().start()
        return self

    def stop(self) -> None:
        self.cdn.shutdown()
        self.cdn.server_close()
        super().stop()
