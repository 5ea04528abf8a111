"""How many answers a loaded model writes at once, and how many may wait: past the bound a request is refused
at once with the wait to expect (HTTP 429 with ``Retry-After``), never left hanging.

One local model writes one answer at a time (llama.cpp on the CPU's cores); extractive answers and a remote
server take a few. Searches never pass through a gate, so they stay fast while answers are written.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import TypeVar


class Busy(Exception):
    """Every slot is taken and the queue is full: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"The assistant is busy answering; try again in {retry_after} s.")
        self.retry_after = retry_after


T = TypeVar("T")
CHECKER = "checker"  # the claim checker's gate (``Gates.for_backend``): checks take turns apart from answers


class Gate:
    """``slots`` answers at once and ``queue`` more waiting, per loaded model."""

    def __init__(self, slots: int, queue: int, seconds_per_answer: float = 10.0) -> None:
        self.slots = slots
        self.queue = queue
        self._free = asyncio.Semaphore(slots)
        self._waiting = 0
        self._busy = 0
        self._seconds = seconds_per_answer  # a running average of how long an answer holds its slot

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def busy(self) -> int:
        return self._busy

    async def enter(self) -> None:
        """Take a slot, waiting in the queue if there is room in it; raise ``Busy`` if there is not."""
        if self._free.locked() and self._waiting >= self.queue:
            raise Busy(self.retry_after())
        self._waiting += 1
        try:
            await self._free.acquire()
        finally:
            self._waiting -= 1
        self._busy += 1

    def leave(self, seconds: float | None = None) -> None:
        """Give the slot back (``seconds``: how long it was held, to estimate the next wait)."""
        self._busy -= 1
        self._free.release()
        if seconds is not None:
            self._seconds = 0.8 * self._seconds + 0.2 * seconds

    def retry_after(self) -> int:
        """Seconds until a queued request would get a slot, roughly: the queue ahead, shared by the slots."""
        return max(1, math.ceil((self._waiting + self._busy) * self._seconds / max(self.slots, 1)))


class Held:
    """A slot taken from a gate, to give back exactly once (from the worker thread's end, or on error)."""

    def __init__(self, gate: Gate, loop: asyncio.AbstractEventLoop) -> None:
        self.gate = gate
        self.loop = loop
        self.began = time.perf_counter()
        self._given_back = False

    def release(self) -> None:
        """Give the slot back; safe from any thread, and only the first call counts."""
        if self._given_back:
            return
        self._given_back = True
        held = time.perf_counter() - self.began
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.gate.leave, held)
        else:
            self.gate.leave(held)


async def gated(gate: Gate, work: Callable[[], T]) -> T:
    """``work()`` in a worker thread once ``gate`` gives a slot, the slot given back when the work ends (not
    when the request does: a client that goes away does not free a model still working for it)."""
    await gate.enter()
    held = Held(gate, asyncio.get_running_loop())

    def run() -> T:
        try:
            return work()
        finally:
            held.release()

    from anyio import to_thread

    return await to_thread.run_sync(run)
