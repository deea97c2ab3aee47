"""The runner: a fixed pool fed lazily through a bounded queue, results streamed as they finish."""

from __future__ import annotations

import asyncio

import pytest

from ipv6scan.runner import stream


async def collect(agen):
    return [x async for x in agen]


async def test_bounded_lookahead_and_concurrency():
    pulled = 0
    running = peak = 0
    max_ahead = 0
    out = 0

    def items():
        nonlocal pulled
        for i in range(20_000):
            pulled += 1
            yield i

    async def work(i):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        return i * 2

    results = []
    async for r in stream(items(), work, concurrency=8, is_work=lambda i: True, on_error=lambda i, e: None):
        out += 1
        max_ahead = max(max_ahead, pulled - out)
        results.append(r)
    assert sorted(results) == [i * 2 for i in range(20_000)]
    assert peak == 8
    # targets in memory at once: queue (2c) + workers (c) + done queue (2c) + one in hand
    assert max_ahead <= 5 * 8 + 2


async def test_results_stream_as_they_finish():
    async def work(i):
        await asyncio.sleep(0.2 if i == 0 else 0.0)
        return i

    order = await collect(stream(range(5), work, concurrency=5, is_work=lambda i: True, on_error=lambda i, e: None))
    assert order[-1] == 0 and sorted(order) == list(range(5))


async def test_pass_through_items_and_errors_do_not_stop_the_scan():
    async def work(i):
        if i == 3:
            raise RuntimeError("bug on host 3")
        return i

    items = [1, "bad line", 2, 3, 4]
    out = await collect(
        stream(items, work, concurrency=2, is_work=lambda i: isinstance(i, int), on_error=lambda i, e: f"error {i}: {e}")
    )
    assert sorted(map(str, out)) == ["1", "2", "4", "bad line", "error 3: bug on host 3"]


async def test_a_failing_input_iterator_ends_the_stream_with_its_error():
    def items():
        yield 1
        raise OSError("disk gone")

    async def work(i):
        return i

    with pytest.raises(OSError, match="disk gone"):
        await asyncio.wait_for(collect(stream(items(), work, concurrency=3, is_work=lambda i: True, on_error=None)), 5)


async def test_cancelling_the_consumer_cancels_the_workers():
    started = cancelled = 0

    async def work(i):
        nonlocal started, cancelled
        started += 1
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    agen = stream(range(100), work, concurrency=4, is_work=lambda i: True, on_error=lambda i, e: None)
    task = asyncio.ensure_future(agen.__anext__())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started == cancelled == 4


async def test_an_async_iterable_of_items_is_fed_lazily_too():
    pulled = 0

    async def items():
        nonlocal pulled
        for i in range(1_000):
            pulled += 1
            await asyncio.sleep(0)
            yield i if i % 100 else f"pass-through {i}"

    async def work(i):
        await asyncio.sleep(0)
        return i * 2

    out, max_ahead = [], 0
    async for r in stream(items(), work, concurrency=4, is_work=lambda i: isinstance(i, int),
                          on_error=lambda i, e: None):
        out.append(r)
        max_ahead = max(max_ahead, pulled - len(out))
    assert sorted(x for x in out if isinstance(x, int)) == [i * 2 for i in range(1_000) if i % 100]
    assert [x for x in out if isinstance(x, str)] == [f"pass-through {i}" for i in range(0, 1_000, 100)]
    assert max_ahead <= 5 * 4 + 2


async def test_a_parked_host_lends_its_place_and_active_hosts_stay_bounded():
    """Hosts waiting parked (for a verdict on a shared address) let others be scanned; never more than
    ``concurrency`` working at once, never more than the pool in memory."""
    from ipv6scan.runner import PARKING, parked

    verdict = asyncio.Event()
    active = peak = 0
    order: list[str] = []

    async def work(item: str) -> str:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            if item.startswith("wait"):
                active -= 1
                async with parked():
                    await verdict.wait()
                active += 1  # its place taken back
            else:
                await asyncio.sleep(0.001)
                if sum(o.startswith("quick") for o in order) == 20:
                    verdict.set()  # the waiting ones go on once 20 others were scanned meanwhile
            order.append(item)
            return item
        finally:
            active -= 1

    items = ["wait0", "wait1", *(f"quick{i}" for i in range(30))]
    async with asyncio.timeout(30):  # without parking the two waiting hosts hold both places: nothing moves
        out = await collect(stream(items, work, concurrency=2, is_work=lambda _: True, on_error=lambda t, e: repr(e)))

    assert sorted(out) == sorted(items)
    assert order.index("wait0") > 20 and order.index("wait1") > 20  # both places were lent while they waited
    assert peak <= 2  # working at once: the concurrency, parked ones not counted
    assert PARKING >= 1


async def test_parking_outside_a_runner_does_nothing():
    from ipv6scan.runner import parked

    async with parked():
        pass
