"""A TCP relay that answers late: accept, wait, then relay both ways to a real server.

The mixed-population bench needs IPv6 addresses that work but answer 1.5 s late (a slow
path, an overloaded front end). ``tc netem`` is not on every kernel, so nftables in the
server namespace redirects those addresses (DNAT) to this relay, which accepts at once,
waits ``--delay`` seconds and then connects to nginx and copies bytes both ways (TLS
passes through untouched: nginx sees the SNI and serves the site's certificate).

    python3 bench/delay_proxy.py --delay 1.5 [2001:db8::1]:18080=[2001:db8::1]:80 ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes from ``reader`` to ``writer`` until the end, then close ``writer`` (also a test relay's)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()


async def main(delay: float, pairs: list[tuple[tuple[str, int], tuple[str, int]]]) -> None:
    async def relay(target: tuple[str, int], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    servers = []
    for listen, target in pairs:
        servers.append(await asyncio.start_server(lambda r, w, t=target: relay(t, r, w), *listen, backlog=4096))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--delay", type=float, default=1.5)
    p.add_argument("pairs", nargs="+", help="LISTEN=TARGET, each [host]:port")
    a = p.parse_args()
    asyncio.run(main(a.delay, [(_hostport(x.split("=")[0]), _hostport(x.split("=")[1])) for x in a.pairs]))
