"""Infinity client benchmark: join latency and event throughput on loopback.

Run: ``.venv/bin/python -m bench.infinity_bench [--joins 50] [--events 20000]``.
Prints figures only (no assertions): speed claims live here, not in tests.

* join: time from ``request_token`` to the roster synchronised
  (``InfinitySession.join``: request_token + GET conference_status + events
  open + participant sync), p50/p95 over N joins against the lab node
  (media off) in this process; the sessions stay joined, so the roster grows.
* events: participant_update events per second, (a) parsed and applied to
  the roster in memory (SSE bytes -> typed events -> state), and (b) end to
  end over a loopback HTTP event stream into a joined session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from aiohttp import web

from appliance.infinity import ClientOptions, InfinitySession, TokenGrant
from appliance.infinity.event_parse import parse_event
from appliance.infinity.sse import SseParser
from appliance.infinity.state import ConferenceState


def _participant(i: int) -> dict[str, object]:
    return {
        "uuid": f"p{i % 50}",
        "display_name": f"Person {i}",
        "role": "guest",
        "is_muted": "YES" if i % 2 else "NO",
        "rx_presentation_policy": "ALLOW",
        "encryption": "On",
        "spotlight": 0,
        "buzz_time": 0,
        "start_time": 1700000000.0,
        "is_video_muted": False,
        "has_media": True,
    }


def _stream_bytes(count: int) -> bytes:
    parts = [b"event: participant_sync_begin\ndata: null\n\nevent: participant_sync_end\ndata: null\n\n"]
    parts += [
        f"event: participant_update\ndata: {json.dumps(_participant(i))}\n\n".encode() for i in range(count)
    ]
    return b"".join(parts)


def bench_parse_apply(count: int) -> float:
    data = _stream_bytes(count)
    parser = SseParser()
    state = ConferenceState()
    start = time.perf_counter()
    for offset in range(0, len(data), 16384):
        for message in parser.feed(data[offset : offset + 16384]):
            state.feed(parse_event(message.event, message.data, message.id))
    elapsed = time.perf_counter() - start
    assert len(state.participants) == min(50, count)
    return count / elapsed


async def bench_joins(joins: int) -> tuple[list[float], str]:
    try:
        from appliance.labnode.app import LabNode
    except ImportError as exc:  # the lab node is another package of this project
        raise SystemExit(f"lab node not importable: {exc}") from None
    options = ClientOptions()
    times: list[float] = []
    sessions: list[InfinitySession] = []
    async with LabNode(host="127.0.0.1", port=0, media=False) as lab:
        try:
            for i in range(joins):
                session = InfinitySession(lab.url, "meet", options=options)
                sessions.append(session)
                start = time.perf_counter()
                outcome = await session.join(f"Bench {i}")
                times.append(time.perf_counter() - start)
                assert isinstance(outcome, TokenGrant)
        finally:
            for session in sessions:
                await session.close()
    return times, "lab node (appliance.labnode, media=False)"


async def bench_stream(count: int) -> float:
    """End to end over loopback: a minimal node that streams ``count`` updates after the sync."""
    body = _stream_bytes(count)
    token_body = {
        "status": "success",
        "result": {"token": "bench-token-x", "expires": "120", "participant_uuid": "me", "role": "HOST"},
    }

    async def request_token(request: web.Request) -> web.Response:
        return web.json_response(token_body)

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "result": {"locked": False}})

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(body)
        await asyncio.sleep(3600)
        return response

    app = web.Application()
    base = "/api/client/v2/conferences/bench/"
    app.router.add_post(base + "request_token", request_token)
    app.router.add_route("*", base + "{tail:(?!events).*}", ok)
    app.router.add_get(base + "events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    done = asyncio.Event()
    received = 0

    def counter(event: object) -> None:
        nonlocal received
        if getattr(event, "name", "") == "participant_update":
            received += 1
            if received == count:
                done.set()

    try:
        async with InfinitySession(f"http://127.0.0.1:{port}", "bench") as session:
            session.subscribe(counter)
            start = time.perf_counter()
            await session.join("Bench")
            await asyncio.wait_for(done.wait(), 120)
            elapsed = time.perf_counter() - start
    finally:
        await runner.cleanup()
    return count / elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--joins", type=int, default=50)
    parser.add_argument("--events", type=int, default=20000)
    args = parser.parse_args()
    times, target = await bench_joins(args.joins)
    ms = [t * 1000 for t in times]
    print(f"join -> roster synchronised, {len(ms)} joins against {target}:")
    print(
        f"  p50 {statistics.median(ms):.1f} ms   p95 {_pct(ms, 0.95):.1f} ms   "
        f"min {min(ms):.1f} ms   max {max(ms):.1f} ms"
    )
    rate = bench_parse_apply(args.events)
    print(
        f"events parsed + applied to the roster (in memory): {rate:,.0f} events/s over {args.events} events"
    )
    wire = await bench_stream(args.events)
    print(
        f"events end to end over loopback SSE into a session: {wire:,.0f} events/s over {args.events} events"
    )


if __name__ == "__main__":
    asyncio.run(main())
