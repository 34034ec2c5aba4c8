"""A Range-capable, byte-counting static HTTP server, run as its own process (stdlib only).

``python rangeserver.py FOLDER [--rate BYTES_PER_S] [--latency SECONDS]`` serves FOLDER on
127.0.0.1 (a free port), prints ``{"port": N}`` on stdout, then answers one JSON line per
command line read from stdin (``stats``, ``reset``, ``idle SECONDS``) and exits at end of
input. ``benchkit.RangeServer`` drives it; running it apart keeps its work off the caller's
GIL, and ``stats`` reports its own CPU time.

Bodies go out with ``os.sendfile`` (a kernel copy): all at once without a rate; with a rate,
in 256 KiB slices paced by sleeps. A client hanging up (htslib does, once it has its blocks)
ends the body at the next write.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import resource
import socket
import struct
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_SLICE = 256 * 1024  # bytes per paced write (2.6 ms at 100 MB/s)
_ACKED_OFFSET = 120  # struct tcp_info: tcpi_bytes_acked (Linux >= 4.1)


def bytes_acked(sock: socket.socket) -> int | None:
    """Bytes the peer's TCP acknowledged on this connection (Linux TCP_INFO), else None."""
    if not hasattr(socket, "TCP_INFO"):
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
    except OSError:
        return None
    if len(info) < _ACKED_OFFSET + 8:
        return None
    return int(struct.unpack_from("Q", info, _ACKED_OFFSET)[0])


class Counters:
    """What the server did since start or the last reset (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.active = 0
        self.tcp_info = True
        self.written = 0
        self.delivered = 0
        self.requests: list[tuple[str, str, str | None]] = []

    def reset(self) -> None:
        with self.lock:
            self.written = self.delivered = 0
            self.requests.clear()

    def snapshot(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with self.lock:
            return {
                "written": self.written,
                "delivered": self.delivered if self.tcp_info else self.written,
                "active": self.active,
                "requests": list(self.requests),
                "cpu": usage.ru_utime + usage.ru_stime,
            }

    def wait_idle(self, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.active == 0, timeout)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with single-range ``Range: bytes=a-b`` support."""

    server: Server
    _start = 0
    _length = 0
    _written = 0

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def handle(self) -> None:
        """Serve one connection; count what reached the client, hung up or not."""
        counters = self.server.counters
        with counters.lock:
            counters.active += 1
        delivered: int | None = None
        try:
            super().handle()
            delivered = self._written  # complete: the client read every byte written
        except (ConnectionResetError, BrokenPipeError):
            delivered = bytes_acked(self.connection)  # hung up: what its TCP acknowledged
        finally:
            with counters.lock:
                counters.active -= 1
                if delivered is None:
                    counters.tcp_info = False
                else:
                    counters.delivered += delivered
                counters.lock.notify_all()

    def do_GET(self) -> None:
        """Record, wait the simulated first-byte latency, answer, send the body."""
        source = self._head()
        if source is not None:
            with source:
                self._send_body(source)

    def do_HEAD(self) -> None:
        """Record, wait the simulated latency, answer with headers only."""
        source = self._head()
        if source is not None:
            source.close()

    def _head(self) -> Any:
        """Record the request, wait, send the status and headers; the open file or None."""
        counters = self.server.counters
        with counters.lock:
            counters.requests.append((self.command, self.path, self.headers.get("Range")))
        if self.server.latency:
            time.sleep(self.server.latency)
        path = Path(self.translate_path(self.path))
        root = Path(str(self.directory)).resolve()
        if not path.resolve().is_relative_to(root) or not path.is_file():
            self.send_error(404, "not found")
            return None
        size = path.stat().st_size
        start, end = 0, size - 1
        header = self.headers.get("Range")
        match = _RANGE.match(header.strip()) if header else None
        if match and (match.group(1) or match.group(2)):
            if match.group(1):
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            else:
                start = max(0, size - int(match.group(2)))
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._start, self._length = start, end - start + 1
        return path.open("rb")

    def _send_body(self, source: Any) -> None:
        """Kernel-copy the range into the socket, paced when the server has a rate."""
        rate = self.server.rate
        out, src = self.connection.fileno(), source.fileno()
        offset, remaining = self._start, self._length
        began = time.perf_counter()
        while remaining > 0:
            sent = os.sendfile(out, src, offset, min(remaining, _SLICE) if rate else remaining)
            if sent == 0:
                break
            offset += sent
            remaining -= sent
            self._written += sent
            with self.server.counters.lock:
                self.server.counters.written += sent
            if rate:
                time.sleep(max(0.0, self._written / rate - (time.perf_counter() - began)))


class Server(http.server.ThreadingHTTPServer):
    """Threaded server with the link model and the counters."""

    daemon_threads = True

    def __init__(self, folder: Path, rate: float | None, latency: float) -> None:
        super().__init__(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
        self.rate = rate
        self.latency = latency
        self.counters = Counters()


def serve(folder: Path, rate: float | None, latency: float) -> None:
    """Serve until stdin closes, answering the control commands."""
    server = Server(folder, rate, latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    reply = sys.stdout
    reply.write(json.dumps({"port": server.server_address[1]}) + "\n")
    reply.flush()
    counters = server.counters
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        answer: dict[str, Any]
        if command == "stats":
            answer = counters.snapshot()
        elif command == "idle":
            answer = {"idle": counters.wait_idle(float(argument or 5))}
        elif command == "reset":
            counters.reset()
            answer = {"reset": True}
        else:
            answer = {"error": f"unknown command {command!r}"}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()
    server.shutdown()
    server.server_close()


def main() -> None:
    """Parse the arguments, serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rate", type=float, default=None, help="bytes/s per connection")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    serve(args.folder.resolve(), args.rate, args.latency)


if __name__ == "__main__":
    main()
