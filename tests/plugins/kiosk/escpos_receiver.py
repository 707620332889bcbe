"""A receipt printer on loopback for the tests: a TCP server that reads ESC/POS byte by byte as a printer does,
answers the paper-status query (DLE EOT 4) with the roll it is told to have, and keeps each ticket it got as
decoded text, QR codes, pictures and cuts. A command it does not know fails the ticket (``errors``), so
bytes a real printer would misread cannot pass unnoticed.

Also a stand-in printer for trying paper tickets with `make run` (the demo has no receipt printer):
``python -m tests.plugins.kiosk.escpos_receiver 9101`` prints each ticket it gets; see docs/deploying.md."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
# DLE EOT 4 answers (paper roll sensor): fixed bits 1 and 4; 2+3 near end; 5+6 out.
PAPER_ANSWERS = {"ok": 0x12, "low": 0x1E, "out": 0x72}
# ESC commands with one parameter byte, and those with none.
ESC_ONE = set(b"!EaGM-{VRt3Jd")
ESC_NONE = set(b"@2")
CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}


@dataclass
class Ticket:
    """What one connection sent."""

    raw: bytes = b""
    text: str = ""
    qr_codes: list[str] = field(default_factory=list)
    pictures: int = 0
    cuts: int = 0
    status_queries: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


class _Printer(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        ticket = Ticket()
        parser = _Parser(ticket, self.server.receiver, self.request)
        while True:
            try:
                chunk = self.request.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            ticket.raw += chunk
            parser.feed(chunk)
        parser.finish()
        if ticket.raw.replace(bytes([DLE, EOT, 4]), b""):  # more than status queries: a ticket
            if self.server.receiver.on_ticket is not None:  # first: once a ticket is in ``tickets`` it was shown
                self.server.receiver.on_ticket(ticket)
            self.server.receiver.tickets.append(ticket)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    receiver: EscposReceiver


class _Parser:
    def __init__(self, ticket: Ticket, receiver: EscposReceiver, connection: socket.socket):
        self.ticket, self.receiver, self.connection = ticket, receiver, connection
        self.buffer = b""
        self.code_page = "cp437"
        self.stored_qr: str | None = None

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        while self.buffer:
            used = self._one(self.buffer)
            if used == 0:
                return  # a command cut in two by TCP: wait for the rest
            self.buffer = self.buffer[used:]

    def finish(self) -> None:
        if self.buffer:
            self.ticket.errors.append(f"incomplete command at the end: {self.buffer[:8]!r}")

    def _one(self, data: bytes) -> int:
        """Handle the command at the start of ``data``; answers how many bytes it took (0: incomplete)."""
        first = data[0]
        if first == DLE:
            if len(data) < 3:
                return 0
            if data[1] == EOT and data[2] == 4:
                self.ticket.status_queries += 1
                self.receiver.count_status_query()  # before answering: the asker may look right after
                if self.receiver.answer:
                    self.connection.sendall(bytes([PAPER_ANSWERS[self.receiver.paper]]))
                return 3
            return self._unknown(data)
        if first == ESC:
            if len(data) < 2:
                return 0
            if data[1] in ESC_NONE:
                return 2
            if data[1] in ESC_ONE:
                if len(data) < 3:
                    return 0
                if data[1] == ord("t"):
                    if data[2] not in CODE_PAGES:
                        return self._unknown(data)
                    self.code_page = CODE_PAGES[data[2]]
                return 3
            return self._unknown(data)
        if first == GS:
            return self._gs(data)
        if first == LF or first >= 0x20:
            end = next((i for i, b in enumerate(data) if b != LF and b < 0x20), len(data))
            self.ticket.text += data[:end].decode(self.code_page)
            return end
        return self._unknown(data)

    def _gs(self, data: bytes) -> int:
        if len(data) < 3:
            return 0
        command = data[1]
        if command == ord("!") or command == ord("B"):
            return 3
        if command == ord("V"):  # cut: GS V m, or GS V m n for m 65/66
            self.ticket.cuts += 1
            return 4 if data[2] in (65, 66) else 3
        if command == ord("(") and data[2] == ord("k"):  # 2D code: GS ( k pL pH cn fn [m] data
            if len(data) < 5:
                return 0
            length = data[3] + 256 * data[4]
            if len(data) < 5 + length:
                return 0
            body = data[5:5 + length]
            if body[:2] == b"1P":  # store the QR code's data (after m = '0')
                self.stored_qr = body[3:].decode("utf-8")
            elif body[:2] == b"1Q":  # print the stored QR code
                if self.stored_qr is None:
                    self.ticket.errors.append("QR print without stored data")
                else:
                    self.ticket.qr_codes.append(self.stored_qr)
            return 5 + length
        if command == ord("v") and data[2] == ord("0"):  # raster picture: GS v 0 m xL xH yL yH data
            if len(data) < 8:
                return 0
            size = (data[4] + 256 * data[5]) * (data[6] + 256 * data[7])
            if len(data) < 8 + size:
                return 0
            self.ticket.pictures += 1
            return 8 + size
        return self._unknown(data)

    def _unknown(self, data: bytes) -> int:
        self.ticket.errors.append(f"unknown command {data[:4]!r}")
        return len(data)


class EscposReceiver:
    """A receipt printer on 127.0.0.1 (a free port unless ``port``). ``paper``: "ok", "low" or "out"; ``answer``
    False makes it take the connection and never answer the status query (a printer that hangs); ``on_ticket``
    is called with each ticket it got."""

    def __init__(self, paper: str = "ok", answer: bool = True, port: int = 0,
                 on_ticket: Callable[[Ticket], None] | None = None):
        self.paper = paper
        self.answer = answer
        self.on_ticket = on_ticket
        self.tickets: list[Ticket] = []
        self.status_queries = 0  # on every connection, with a ticket or without
        self._counting = threading.Lock()
        self.server = _Server(("127.0.0.1", port), _Printer)
        self.server.receiver = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def count_status_query(self) -> None:
        with self._counting:  # connections are handled in threads of their own
            self.status_queries += 1

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> EscposReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for_ticket(self, count: int = 1, seconds: float = 10) -> Ticket:
        """The ``count``-th ticket, once the printer has taken all of it (its connection closed)."""
        deadline = time.monotonic() + seconds
        while len(self.tickets) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the printer got {len(self.tickets)} tickets, not {count}")
            time.sleep(0.02)
        return self.tickets[count - 1]


def closed_port() -> str:
    """An address on loopback where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def describe(ticket: Ticket) -> str:
    """A ticket as text for a terminal: its lines, then its QR codes, pictures and cuts."""
    return "\n".join([*ticket.lines, *(f"[QR code: {qr}]" for qr in ticket.qr_codes),
                      f"[{ticket.pictures} picture(s) of text, {ticket.cuts} cut(s)]", *ticket.errors, "-" * 40])


if __name__ == "__main__":  # a stand-in receipt printer for the demo: python -m tests.plugins.kiosk.escpos_receiver
    with EscposReceiver(port=int(sys.argv[1]) if len(sys.argv) > 1 else 9101,
                        on_ticket=lambda ticket: print(describe(ticket), flush=True)) as printer:
        print(f"A receipt printer at {printer.address}; Ctrl+C stops it.", flush=True)
        try:
            printer.thread.join()
        except KeyboardInterrupt:
            pass
