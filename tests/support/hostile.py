"""Clients that misbehave on purpose: endless bodies over a raw socket, and the server process they aim at."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import psutil


def server_process(base: str) -> psutil.Process:
    """The process listening on `base`'s port (the web process under test)."""
    port = urlsplit(base).port
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    raise AssertionError(f"nothing listens on {base}")


async def post_chunked(base: str, path: str, total: int, piece: int = 1 << 20) -> tuple[bytes, int]:
    """POST `total` bytes of chunked body to `path`, a piece at a time, until the server answers or hangs up.
    Returns (the response's head and body as received, bytes of body sent)."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
    writer.write((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    answer = asyncio.create_task(_response(reader))
    sent, chunk = 0, f"{piece:x}\r\n".encode() + b" " * piece + b"\r\n"
    with contextlib.suppress(ConnectionError):
        while sent < total and not answer.done():
            writer.write(chunk)
            await writer.drain()
            sent += piece
            # drain() does not yield while the server keeps up (uvicorn discards a body after its answer):
            # let the reader see an answer that has come
            await asyncio.sleep(0)
        if not answer.done():
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    response = await asyncio.wait_for(answer, 10)
    writer.close()
    return response, sent


async def _response(reader: asyncio.StreamReader) -> bytes:
    """One whole response: its head, then as many body bytes as its Content-Length says."""
    data = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in data.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    return data + await reader.readexactly(length)


async def post_declaring(base: str, path: str, length: int) -> bytes:
    """A POST that declares a `length`-byte body and sends none of it: the answer must not wait for it."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {length}\r\n\r\n".encode())
    response = await asyncio.wait_for(_response(reader), 10)
    writer.close()
    return response
