"""An answer that comes back late: the page's first request of a kind is answered by the real server at once, but
the page gets that answer only when the test hands it over, after newer ones. So a test can make two of a page's
refreshes overlap and the older answer come last, every time (Playwright's routing; no fake server)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class HeldAnswer:
    def __init__(self, page: Any, matches: Callable[[str], bool]) -> None:
        self.page, self.matches = page, matches
        self.held: list[tuple[Any, Any]] = []  # the route, and the server's answer when the page asked
        page.route(matches, self._route)

    def _route(self, route: Any) -> None:
        if self.held:
            route.continue_()
        else:
            self.held.append((route, route.fetch()))

    def wait(self, what: str) -> None:
        """Until the page has asked and the server has answered (so the answer is from before what the test does
        next)."""
        deadline = time.monotonic() + 10
        while not self.held:
            assert time.monotonic() < deadline, f"the page never asked for {what}"
            self.page.wait_for_timeout(20)

    def hand_over(self) -> None:
        """The page gets the held answer now, and has handled it when this returns."""
        route, answer = self.held[0]
        with self.page.expect_response(lambda response: self.matches(response.url)) as late:
            route.fulfill(response=answer)
        late.value.finished()
        self.page.unroute(self.matches)
        # One more round trip to the server: the page's handling of the late answer is done by then.
        self.page.evaluate("() => fetch('/healthz').then((response) => response.text())")
