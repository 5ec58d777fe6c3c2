"""A caching proxy in front of the emulator: the emulator's own cost removed (issue 11's row
"same with the emulator's cost removed").

The first time it sees a request (the X-Amz-Target header and the body) it forwards it to the
emulator and keeps the answer; every later identical request is answered from memory after
`--latency-ms`, by an asyncio server that spends a few tens of microseconds per call instead of
the emulator's ~1 ms. A no-op plan run twice through it is answered the second time entirely from
memory: what remains of its wall time beyond calls x latency / parallelism is perso's and boto3's.

    python benchmarks/replay_proxy.py --upstream http://127.0.0.1:PORT --port P --latency-ms 20

`GET /_proxy/stats` answers {"hits": n, "misses": m}. Used by bench_scale.py; run by hand only.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
from urllib.parse import urlsplit

Key = tuple[str, bytes]


class Proxy:
    def __init__(self, upstream: str, latency: float) -> None:
        self.upstream = urlsplit(upstream)
        self.latency = latency
        self.cache: dict[Key, tuple[int, bytes, str]] = {}
        self.hits = self.misses = 0

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read(), response.getheader("Content-Type", "application/json")
        finally:
            conn.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                lower = {k.lower(): v for k, v in headers.items()}
                body = await reader.readexactly(int(lower.get("content-length", "0")))
                if path == "/_proxy/stats":
                    answer = (200, json.dumps({"hits": self.hits, "misses": self.misses}).encode(), "application/json")
                else:
                    answer = await self.answer(method, path, headers, lower, body)
                status, payload, ctype = answer
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                             f"x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\r\n".encode() + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, method: str, path: str, headers: dict[str, str], lower: dict[str, str],
                     body: bytes) -> tuple[int, bytes, str]:
        key = (lower.get("x-amz-target", path), body)
        cached = self.cache.get(key) if not path.startswith("/_perso") else None
        if cached is not None:
            self.hits += 1
            await asyncio.sleep(self.latency)
            return cached
        self.misses += 1
        answer = await asyncio.to_thread(self.forward, method, path, headers, body)
        if not path.startswith("/_perso"):
            self.cache[key] = answer
        return answer


async def serve(upstream: str, port: int, latency: float) -> None:
    proxy = Proxy(upstream, latency)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=20)
    args = parser.parse_args()
    asyncio.run(serve(args.upstream, args.port, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
