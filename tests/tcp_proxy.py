"""A loopback TCP proxy a test can cut and restore: a database outage without touching the
shared server."""

from __future__ import annotations

import asyncio
import contextlib

from tests.conftest import free_port


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a loopback target; `cut` refuses new connections and drops
    the ones open, as a server that died would; `restore` listens on the same port again."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        assert target_host in ("127.0.0.1", "::1", "localhost"), "tests stay on loopback"
        self.target = (target_host, target_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def restore(self) -> None:
        assert self._server is None, "the proxy is already up"
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self._server is not None, "the proxy is already cut"
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, not a polite close
        self._writers.clear()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter):  # type: ignore[no-untyped-def]
        try:
            server_reader, server = await asyncio.open_connection(*self.target)
        except OSError:
            client.transport.abort()
            return
        self.connections += 1
        self._writers.update((client, server))
        await asyncio.gather(self._pipe(client_reader, server), self._pipe(server_reader, client))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
