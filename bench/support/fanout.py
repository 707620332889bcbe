"""Live fan-out: N open server-sent event streams, a few calls, and for each call the time from the call's response
to the event on every stream, and how many streams missed it.

The streams are read by a few reader processes, each with its share of the streams, each a bare epoll loop over
non-blocking sockets: one asyncio loop reading 10,000 streams spent longer per event than the server, so the figure
measured the client. Each reader records when every ``ticket.called`` event arrived on each of its streams, by event
id, on CLOCK_MONOTONIC (time.monotonic_ns, one clock for every process on Linux), the clock the caller reads when a
call's response arrives. Calls are made one at a time; the n-th distinct event id seen is the n-th call. The
server's and the readers' CPU time per call are printed too: the server's is steadier than the delays on a shared
machine, and the readers' shows whether they kept up; and the resident memory of the server's processes with every
stream open, after the calls (what open streams hold).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import select
import socket
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import httpx

CONNECT_BATCH = 250  # streams opened at once (over all readers): the server reads each one's state as it opens
OPEN_TIMEOUT_SECONDS = 300
CALL_WAIT_SECONDS = 15
READERS = 2
# After a read that found data, a pause before the next: the next one then finds many streams ready instead of
# one, so a reader is not woken once per stream (that cost more than the reading). Arrivals read after it are
# stamped up to this much late, never early.
READ_PAUSE_SECONDS = 0.001
CALLED = b"event: ticket.called"
EVENT_ID = re.compile(rb"(?m)^id: (\d+)")


class Stream:
    """One open stream of a reader: its socket, the unparsed end of what it received, and the arrivals."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        self.sock.setblocking(False)
        self.opened = False  # the stream's first message (``retry:``) is sent once the stream has subscribed
        self.pending = b""  # after the last complete message
        self.arrivals: dict[int, int] = {}  # event id → monotonic_ns on arrival

    def received(self, data: bytes, now: int) -> int:
        """Take in what the socket gave; returns how many ``ticket.called`` events arrived with it."""
        data = self.pending + data
        end = data.rfind(b"\n\n")
        if end < 0:
            self.pending = data
            return 0
        self.pending, complete = data[end + 2:], data[:end]
        self.opened = self.opened or b"retry:" in complete
        if CALLED not in complete:
            return 0
        arrived = 0
        for message in complete.split(b"\n\n"):
            found = EVENT_ID.search(message) if CALLED in message else None
            if found and int(found[1]) not in self.arrivals:
                self.arrivals[int(found[1])] = now
                arrived += 1
        return arrived


def read_streams(port: int, paths: list[str], batch: int, arrived: Synchronized, report: Connection) -> None:
    """A reader process: open the streams (``batch`` at a time), say so, then read until told to stop; sends
    the opening time, then the CPU seconds it spent reading and each stream's arrivals."""
    poller = select.epoll()
    streams: dict[int, Stream] = {}
    total = 0

    def read(timeout: float) -> None:
        nonlocal total
        ready = poller.poll(timeout)
        for fd, _ in ready:
            stream = streams[fd]
            try:
                data = stream.sock.recv(1 << 16)
            except BlockingIOError:
                continue
            if not data:
                poller.unregister(fd)
                continue
            total += stream.received(data, time.monotonic_ns())
        arrived.value = total
        if ready:
            time.sleep(READ_PAUSE_SECONDS)

    started = time.monotonic()
    for first in range(0, len(paths), batch):
        opening = [Stream(port, path) for path in paths[first:first + batch]]
        for stream in opening:
            streams[stream.sock.fileno()] = stream
            poller.register(stream.sock.fileno(), select.EPOLLIN)
        while not all(stream.opened for stream in opening):
            if time.monotonic() - started > OPEN_TIMEOUT_SECONDS:
                opened = sum(stream.opened for stream in streams.values())
                raise TimeoutError(f"a reader had {opened} of its {len(paths)} streams open after "
                                   f"{OPEN_TIMEOUT_SECONDS} s (the server's log may say why)")
            read(0.5)
    report.send(time.monotonic() - started)
    cpu = time.process_time()
    while not report.poll():
        read(0.05)
    report.send((time.process_time() - cpu, [stream.arrivals for stream in streams.values()]))
    for stream in streams.values():
        stream.sock.close()


@dataclass(frozen=True)
class FanOut:
    streams: int
    calls: int
    delays_ms: list[float]  # from each call's response
    request_p99_ms: float  # the same from each call's request: the server may write the response after the event
    missed: int  # (stream, call) pairs that never arrived
    connect_seconds: float
    server_cpu_ms_per_call: float
    reader_cpu_ms_per_call: float
    server_mib: float  # resident, every stream open

    def line(self, name: str) -> str:
        ordered = sorted(self.delays_ms) or [float("nan")]
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return (f"  {name:<34}{self.streams:>8}{statistics.median(ordered):>9.0f}{p99:>9.0f}{ordered[-1]:>9.0f}"
                f"{self.request_p99_ms:>13.0f}"
                f"{self.missed:>8}{self.connect_seconds:>10.1f}{self.server_cpu_ms_per_call:>16.0f}"
                f"{self.reader_cpu_ms_per_call:>17.0f}{self.server_mib:>12.0f}")


HEADER = (f"  {'':<34}{'streams':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99 from req':>13}{'missed':>8}"
          f"{'open s':>10}{'server ms/call':>16}{'readers ms/call':>17}{'server MiB':>12}")


def measure(port: int, paths: list[str], call: Callable[[httpx.AsyncClient], Awaitable[None]], calls: int,
            server_cpu_seconds: Callable[[], float], server_resident_mib: Callable[[], float],
            readers: int = READERS) -> FanOut:
    """Open a stream on each path (spread over ``readers`` processes), then make ``calls`` calls one by one; see
    the module's docstring. ``server_cpu_seconds``: the CPU time the server has used so far;
    ``server_resident_mib``: its resident memory now."""
    context = multiprocessing.get_context("fork")  # before any event loop runs in this process
    shares = [paths[number::readers] for number in range(readers)]
    counters = [context.Value("q", 0, lock=False) for _ in shares]
    pipes = [context.Pipe() for _ in shares]
    processes = [context.Process(target=read_streams, args=(port, share, max(1, CONNECT_BATCH // readers), counter,
                                                             child), daemon=True)
                 for share, counter, (_, child) in zip(shares, counters, pipes, strict=True)]
    for process in processes:
        process.start()
    try:
        connect_seconds = max(_report(parent, process) for (parent, _), process in zip(pipes, processes, strict=True))
        server_cpu = server_cpu_seconds()
        requested, responded = asyncio.run(_calls(port, call, calls, len(paths), counters))
        server_cpu = server_cpu_seconds() - server_cpu
        server_mib = server_resident_mib()
        for parent, _ in pipes:
            parent.send("stop")
        results = [_report(parent, process) for (parent, _), process in zip(pipes, processes, strict=True)]
    except BaseException:
        for process in processes:  # the others wait to be told to stop, which they will not be
            process.kill()
        raise
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    arrivals = [stream for _, streams in results for stream in streams]
    ids = sorted({event_id for stream in arrivals for event_id in stream})
    delays = [(stream[event_id] - sent) / 1e6 for event_id, sent in zip(ids, responded, strict=False)
              for stream in arrivals if event_id in stream]
    missed = len(paths) * calls - len(delays)
    from_request = sorted((stream[event_id] - sent) / 1e6 for event_id, sent in zip(ids, requested, strict=False)
                          for stream in arrivals if event_id in stream) or [float("nan")]
    reader_cpu = sum(cpu for cpu, _ in results)
    request_p99 = from_request[round(0.99 * (len(from_request) - 1))]
    return FanOut(len(paths), calls, delays, request_p99, missed, connect_seconds, server_cpu * 1000 / max(calls, 1),
                  reader_cpu * 1000 / max(calls, 1), server_mib)


def _report(pipe: Connection, reader: multiprocessing.process.BaseProcess) -> Any:
    """The next report of a reader process; a reader that ended without one (its error is printed above) fails the
    measurement. (Its pipe never ends by itself: every reader forked holds a copy of each reader's end.)"""
    while not pipe.poll(1):
        if not reader.is_alive():
            raise RuntimeError(f"a stream reader ended (exit code {reader.exitcode}) without its report: see its "
                               "error above")
    return pipe.recv()


async def _calls(port: int, call: Callable[[httpx.AsyncClient], Awaitable[None]], calls: int, streams: int,
                 counters: list[Synchronized]) -> tuple[list[int], list[int]]:
    """Make the calls one at a time, each once the previous one reached every stream (or after a while); returns
    when each call was sent and when its response arrived (monotonic_ns)."""
    requested: list[int] = []
    responded: list[int] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for number in range(calls):
            requested.append(time.monotonic_ns())
            await call(client)
            responded.append(time.monotonic_ns())
            deadline = time.monotonic() + CALL_WAIT_SECONDS
            while sum(c.value for c in counters) < streams * (number + 1) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # a gap, so calls do not overlap
    return requested, responded
