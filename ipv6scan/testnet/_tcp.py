"""Bookkeeping shared by the test network's TCP servers: listeners, open connections, clean shutdown."""

from __future__ import annotations

import asyncio
import socket


class TcpServers:
    """asyncio servers plus their live connections, closed so that no handler is left pending."""

    def __init__(self) -> None:
        self.servers: list[asyncio.Server] = []
        self.clients: dict[asyncio.StreamWriter, asyncio.Task] = {}  # open connections and their handlers

    def track(self, writer: asyncio.StreamWriter) -> None:
        """Call first thing in a connection handler."""
        self.clients[writer] = asyncio.current_task()  # type: ignore[assignment]

    def untrack(self, writer: asyncio.StreamWriter) -> None:
        self.clients.pop(writer, None)

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for writer in list(self.clients):
            writer.close()
        # Let every handler see its connection close and return: a handler still
        # pending when the loop stops would be cancelled, which asyncio logs as an error.
        await asyncio.gather(*self.clients.values(), return_exceptions=True)
        for server in self.servers:
            await server.wait_closed()
        self.servers.clear()


class BlackHole:
    """A loopback port where TCP connects time out, as to an address whose path is broken.

    A listening socket with a backlog of 0 that never accepts, its queue filled by
    connections of its own: the kernel then drops every further SYN (the client
    retransmits until its timeout), so a connect here waits for its full timeout,
    on real sockets, without leaving loopback.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.bind((host, 0))
        self._listener.listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        for _ in range(3):  # a backlog of 0 still queues one or two: fill it
            filler = socket.socket(family, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect((host, self.port))
            except BlockingIOError:
                pass
            self._fillers.append(filler)

    def close(self) -> None:
        for s in (*self._fillers, self._listener):
            s.close()
