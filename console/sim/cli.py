"""`python main.py simulate`: the city simulator standalone, until Ctrl+C (or --seconds)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from console.logsetup import setup_logging

log = logging.getLogger("rasad.sim")


async def async_simulate(args: argparse.Namespace) -> int:
    from console.sim.server import SimServer
    from console.sim.world import World

    world = World(
        scenario=args.scenario or "calm",
        seed=args.seed if args.seed is not None else 1405,
        vehicles=args.vehicles if args.vehicles is not None else 1400,
    )
    server = SimServer(world, host=args.host, port=args.port, speed=args.speed, journal_dir=args.journal)
    bridge = None
    await server.async_start()
    if args.mqtt:
        from console.sim.mqtt_bridge import MqttBridge

        bridge = MqttBridge(server, *args.mqtt)
        await bridge.async_start()
    print(f"rasad simulator on {server.url} (native), {server.url}ngsi-ld, {server.url}gtfs-rt", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        if args.seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.seconds)
        else:
            await stop.wait()
    finally:
        if bridge is not None:
            await bridge.async_stop()
        await server.async_stop()
    log.info("simulator stopped after %d ticks, %d messages", server.ticks, server.emitted)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from console.cli.parser import CliError

    setup_logging(args.log_level)
    try:
        return asyncio.run(async_simulate(args))
    except OSError as exc:
        raise CliError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
