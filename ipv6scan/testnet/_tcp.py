"""Bookkeeping shared by the test network's TCP servers: listeners, open connections, clean shutdown."""

from __future__ import annotations

import asyncio


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
