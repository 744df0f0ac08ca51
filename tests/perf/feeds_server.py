"""Simulator process for the feeds benchmark (python -m tests.perf.feeds_server --mode replay|live).

replay: pre-runs the world for --ticks (10,000 vehicles: ~72,000 messages a tick) into the replay
        buffers, then serves them and generates nothing new: the benchmark measures the client.
live:   generates as fast as it can (speed 0) from the start: the pipeline end to end.
Prints one JSON line {"port", "total", "epochs"} when ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys


async def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["replay", "live"], default="replay")
    ap.add_argument("--vehicles", type=int, default=10_000)
    ap.add_argument("--ticks", type=int, default=60)
    args = ap.parse_args(argv)

    from console.sim.server import SimServer
    from console.sim.world import World

    world = World(seed=1405, vehicles=args.vehicles)
    server = SimServer(world, speed=0 if args.mode == "live" else 1.0, buffer_bytes=2 * 1024**3)
    total = 0
    if args.mode == "replay":
        total = server.advance(args.ticks)
        server.paused = True
    await server.async_start()
    print(
        json.dumps(
            {"port": server.port, "total": total, "epochs": {s: lg.epoch for s, lg in server.logs.items()}}
        ),
        flush=True,
    )
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
