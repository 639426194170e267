"""A TCP proxy that can take its upstream "down": a stand-in for a PostgreSQL restart.

``cut()`` closes every open connection (the server "terminated abnormally") and stops
listening (new connections are refused); ``restore()`` listens again on the same port.
``lose_commit_reply(port)`` drops one client's connection just as the server answers its
next COMMIT: the transaction is committed, but the client never hears so.
``lose_reply_containing(marker)`` does the same to the first answer (to any client) that
carries ``marker``: a statement that ran, unheard."""

from __future__ import annotations

import asyncio
import contextlib

# PostgreSQL's CommandComplete message for COMMIT: 'C', its length (4 + 7), the tag.
COMMIT_COMPLETE = b"C\x00\x00\x00\x0bCOMMIT\x00"
# The 8-byte SSLRequest a client may send before its start-up message.
SSL_REQUEST = b"\x00\x00\x00\x08\x04\xd2\x16\x2f"


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to an upstream host and port until cut."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0
        self._lose_commit_of: set[int] = set()
        self.commits_lost = 0
        self._lose_reply_with: bytes | None = None
        self.replies_lost = 0
        self._clients: set[asyncio.StreamWriter] = set()
        self._answer_new: bytes | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def restore(self) -> None:
        """Accept (and forward) connections again."""
        if self._answer_new is not None:
            await self.cut()
            self._answer_new = None
        await self.start()

    async def close(self) -> None:
        await self.cut()

    async def shut_down_with(self, message: bytes) -> None:
        """Drop the open connections and answer every new one with ``message`` (a server
        that is shutting down says so, then closes), until :meth:`restore`."""
        await self.cut()
        self._answer_new = message
        await self.start()

    def freeze(self) -> None:
        """Stop forwarding in both directions, connections left open: a hung server or a
        network partition (nothing is refused, nothing answers)."""
        self._flowing.clear()

    def thaw(self) -> None:
        """Forward again, what was held first."""
        self._flowing.set()

    def tell_clients(self, message: bytes) -> None:
        """Send ``message`` to every connected client as if the server had (the connections
        stay open)."""
        for client in self._clients:
            client.write(message)

    def lose_commit_reply(self, client_port: int) -> None:
        """Drop the connection from ``client_port`` instead of forwarding its next COMMIT's
        answer (the server has committed by then)."""
        self._lose_commit_of.add(client_port)

    def lose_reply_containing(self, marker: bytes) -> None:
        """Drop the connection instead of forwarding the next server answer that carries
        ``marker`` (the statement has run by then)."""
        self._lose_reply_with = marker

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._answer_new is not None:
            with contextlib.suppress(ConnectionError):
                if await reader.read(65536) == SSL_REQUEST:
                    writer.write(b"N")  # no TLS; then comes the start-up message
                    await reader.read(65536)
                writer.write(self._answer_new)
                await writer.drain()
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        self._clients.add(writer)
        client_port = int(writer.get_extra_info("peername")[1])
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer, client_port)),
        ]
        self._tasks.update(pumps)
        try:
            # Either side closing ends the connection (asyncpg waits for the close it asked for).
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            self._tasks.difference_update(pumps)
            self._clients.discard(writer)
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, client: int = 0
    ) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                await self._flowing.wait()
                if client in self._lose_commit_of and COMMIT_COMPLETE in data:
                    self._lose_commit_of.discard(client)
                    self.commits_lost += 1
                    return  # the caller aborts both sides
                if client and self._lose_reply_with is not None and self._lose_reply_with in data:
                    self._lose_reply_with = None
                    self.replies_lost += 1
                    return
                sink.write(data)
                await sink.drain()
