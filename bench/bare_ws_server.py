"""The physical reference for bench/fanout.py: a bare `websockets` broadcast server.

    .venv/bin/python bench/bare_ws_server.py --port 8765

Every connection is a reader, except one on ``/publish``: each text frame it sends is written
to every reader with ``websockets.broadcast`` (the library's own fan-out: the frame is
written to each connection's buffer without awaiting anyone). No framework, no database, no
channel layer: what one Python process can do at best with the same sockets. Compression is
off, as it is on daphne, so both servers write the same bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import resource

from websockets.asyncio.server import ServerConnection, broadcast, serve

READERS: set[ServerConnection] = set()


async def handler(connection: ServerConnection) -> None:
    if connection.request is not None and connection.request.path == "/publish":
        async for message in connection:
            broadcast(READERS, message)
        return
    READERS.add(connection)
    try:
        await connection.wait_closed()
    finally:
        READERS.discard(connection)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    async with serve(handler, args.host, args.port, compression=None, max_size=None, backlog=1024) as server:
        print("ready", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
