"""Live fan-out: N open server-sent event streams, a few calls, and for each call the time from the call's response
to the event on every stream, and how many streams missed it.

The streams are plain asyncio sockets (an HTTP client per stream would cost more than the server's side): each
records when every ``ticket.called`` event arrived, by event id. Calls are made one at a time; the n-th distinct
event id seen is the n-th call.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

CONNECT_BATCH = 250
CALL_WAIT_SECONDS = 15


@dataclass
class Tally:
    arrivals: int = 0


@dataclass
class Stream:
    path: str
    tally: Tally
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: dict[int, float] = field(default_factory=dict)  # event id → perf_counter on arrival

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        event_id, event = None, None
        try:
            async for raw in reader:
                line = raw.rstrip(b"\r\n")
                if line.startswith(b"retry:"):  # sent once the stream has subscribed
                    self.opened.set()
                elif line.startswith(b"id: "):
                    event_id = int(line[4:])
                elif line.startswith(b"event: "):
                    event = line[7:]
                elif line.startswith(b"data: ") and event == b"ticket.called" and event_id is not None:
                    if event_id not in self.arrivals:
                        self.arrivals[event_id] = time.perf_counter()
                        self.tally.arrivals += 1
        finally:
            writer.close()


@dataclass(frozen=True)
class FanOut:
    streams: int
    calls: int
    delays_ms: list[float]
    missed: int  # (stream, call) pairs that never arrived
    connect_seconds: float

    def line(self, name: str) -> str:
        ordered = sorted(self.delays_ms) or [float("nan")]
        p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        return (f"  {name:<34}{self.streams:>8}{statistics.median(ordered):>9.0f}{p99:>9.0f}{ordered[-1]:>9.0f}"
                f"{self.missed:>8}{self.connect_seconds:>10.1f}")


HEADER = f"  {'':<34}{'streams':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'missed':>8}{'open s':>10}"


async def measure(port: int, paths: list[str], call: Callable[[httpx.AsyncClient], Awaitable[None]],
                  calls: int) -> FanOut:
    """Open a stream on each path, then make ``calls`` calls one by one; see the module's docstring."""
    tally = Tally()
    streams = [Stream(path, tally) for path in paths]
    started = time.perf_counter()
    tasks = []
    for first in range(0, len(streams), CONNECT_BATCH):
        batch = streams[first:first + CONNECT_BATCH]
        tasks += [asyncio.create_task(s.run(port)) for s in batch]
        await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in batch)), timeout=300)
    connect_seconds = time.perf_counter() - started
    responded: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for number in range(calls):
            await call(client)
            responded.append(time.perf_counter())
            deadline = time.monotonic() + CALL_WAIT_SECONDS
            while tally.arrivals < len(streams) * (number + 1) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # a gap, so calls do not overlap
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    ids = sorted({event_id for s in streams for event_id in s.arrivals})
    delays = [(s.arrivals[event_id] - sent) * 1000 for event_id, sent in zip(ids, responded, strict=False)
              for s in streams if event_id in s.arrivals]
    missed = len(streams) * calls - len(delays)
    return FanOut(len(streams), calls, delays, missed, connect_seconds)
