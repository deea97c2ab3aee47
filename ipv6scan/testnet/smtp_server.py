"""A minimal SMTP greeter on loopback, for tests and ``ipv6scan demo``.

It sends its banner, answers EHLO (offering STARTTLS when it has a TLS context), STARTTLS with 220
and a TLS handshake (or, ``broken_tls``, with 220 and then plain text), QUIT with 221 and anything else
with 502.
The banner may span lines ("220-...\\n220 ...") and may be any reply code
(a "554" banner plays a mail server that turns everyone away). An empty
banner plays a hung server: it accepts connections and never says a word.
``start`` may be called once per address to listen on several.
"""

from __future__ import annotations

import asyncio
import ssl

from ._tcp import TcpServers

_IDLE = 10.0  # seconds a client may stay silent


class SmtpServer:
    def __init__(self, banner: str = "220 lab.example ESMTP ipv6scan-testnet", *,
                 tls: ssl.SSLContext | None = None, broken_tls: bool = False) -> None:
        self.banner = banner
        self.tls = tls  # None: STARTTLS is not offered
        self.broken_tls = broken_tls  # offers STARTTLS, says 220 to it, then answers the handshake with plain text
        self.connections = 0
        self.commands: list[str] = []  # every command heard, in order
        self._tcp = TcpServers()

    async def start(self, host: str, port: int = 0) -> int:
        """Listen on host (e.g. "::1", "127.0.0.1"); returns the port."""
        server = await asyncio.start_server(self._serve, host, port)
        self._tcp.servers.append(server)
        return server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        await self._tcp.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._tcp.track(writer)
        try:
            async with asyncio.timeout(_IDLE):
                if not self.banner:  # hung: read whatever comes, never answer
                    while await reader.read(4096):
                        pass
                    return
                writer.write("".join(f"{line}\r\n" for line in self.banner.splitlines()).encode())
                while line := await reader.readline():
                    command = line.strip().decode("ascii", "replace")
                    self.commands.append(command)
                    verb = command.split(" ", 1)[0].upper()
                    if verb == "QUIT":
                        writer.write(b"221 2.0.0 Bye\r\n")
                        await writer.drain()
                        break
                    if verb == "EHLO":
                        offers = ["PIPELINING", "8BITMIME"] + (["STARTTLS"] if self.tls or self.broken_tls else [])
                        writer.write("".join(f"250-{o}\r\n" for o in ["lab.example"] + offers[:-1]).encode()
                                     + f"250 {offers[-1]}\r\n".encode())
                    elif verb == "STARTTLS" and self.broken_tls:
                        writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                        await reader.read(4096)  # the ClientHello
                        writer.write(b"421 4.3.0 this is not TLS\r\n")
                        await writer.drain()
                        break
                    elif verb == "STARTTLS" and self.tls is not None:
                        writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                        await writer.drain()
                        await writer.start_tls(self.tls)
                        continue
                    else:
                        writer.write(b"502 5.5.2 Command not implemented\r\n")
                    await writer.drain()
        except (OSError, TimeoutError, ValueError, ssl.SSLError):
            pass
        finally:
            self._tcp.untrack(writer)
            writer.close()
