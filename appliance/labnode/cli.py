"""``appliance labnode``: run the lab conferencing node until interrupted.

With no arguments it serves the built-in rooms on http://127.0.0.1:8080,
prints its URL and the rooms, and stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile

from appliance.errors import ConfigError
from appliance.labnode.app import LabNode
from appliance.labnode.http.tls import SelfSignedCertificate, context_from_files, self_signed
from appliance.log import setup
from appliance.media.ice import use_host_addresses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 = any)")
    parser.add_argument("--rooms", metavar="FILE.toml", help="rooms file instead of the built-in rooms")
    parser.add_argument("--bots", type=int, default=0, help="synthetic participants in each meeting room")
    parser.add_argument(
        "--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (needs --tls-key)"
    )
    parser.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    parser.add_argument(
        "--tls-self-signed",
        action="store_true",
        help="serve HTTPS with a generated certificate; it is written to a file (named on start-up, "
        "see --tls-cert-out) with its SHA-256 fingerprint printed, for clients to trust",
    )
    parser.add_argument(
        "--tls-cert-out",
        metavar="PEM",
        help="where --tls-self-signed writes its certificate "
        "(default: appliance-labnode-PORT.pem in the temporary directory)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let a browser client from ORIGIN call the API (repeatable; * for any)",
    )
    parser.add_argument("--no-media", action="store_true", help="signalling only; calls are refused")
    parser.add_argument(
        "--width", type=int, default=640, help="width of the composed video, even pixels (default 640)"
    )
    parser.add_argument(
        "--height", type=int, default=360, help="height of the composed video, even pixels (default 360)"
    )
    parser.add_argument("--fps", type=int, default=15, help="frame rate of the composed video (default 15)")
    parser.add_argument(
        "--ice-address",
        action="append",
        metavar="ADDR",
        help="address to offer media (ICE host candidates) on, repeatable; default: the --host "
        "address, or every interface when --host is 0.0.0.0 or ::",
    )
    parser.add_argument("--token-lifetime", type=float, default=120.0, help="token lifetime in seconds")
    parser.add_argument("--log-level", default="info", help="debug, info, warning, error")


def run(args: argparse.Namespace) -> int:
    setup(args.log_level, stream=sys.stderr)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("--tls-cert and --tls-key go together; give both, or use --tls-self-signed")
    if args.tls_cert_out and not args.tls_self_signed:
        raise ConfigError("--tls-cert-out names where --tls-self-signed writes its certificate; add it")
    if args.bots < 0 or args.bots > 16:
        raise ConfigError(f"--bots: expected 0 to 16, found {args.bots}")
    check_video(args.width, args.height, args.fps)
    if args.token_lifetime <= 0:
        raise ConfigError(f"--token-lifetime: expected seconds > 0, found {args.token_lifetime}")
    use_host_addresses(ice_addresses(args.host, args.ice_address))
    asyncio.run(_serve(args))
    return 0


def check_video(width: int, height: int, fps: int) -> None:
    """Refuse a composed format the encoder cannot take (yuv420p needs even sides)."""
    for name, value, low, high in (("--width", width, 64, 3840), ("--height", height, 64, 2160)):
        if not low <= value <= high or value % 2:
            raise ConfigError(
                f"{name}: expected an even number of pixels from {low} to {high}, found {value}"
            )
    if not 1 <= fps <= 60:
        raise ConfigError(f"--fps: expected 1 to 60, found {fps}")


def ice_addresses(host: str, explicit: list[str] | None) -> list[str] | None:
    """Where media should be offered: with the signalling, unless told otherwise.

    A node listening on loopback serves this machine only, and aioice leaves
    127.0.0.1 out of its candidates, so it must be named; a node on every
    interface (0.0.0.0, ::) lets aioice list them all (``None``).
    """
    if explicit:
        return explicit
    if host in ("0.0.0.0", "::", ""):
        return None
    return ["127.0.0.1"] if host == "localhost" else [host]


def announce_certificate(certificate: SelfSignedCertificate, out: str | None, port: int) -> str:
    """Write the generated certificate where clients can read it, and say where and which it is."""
    path = out or os.path.join(tempfile.gettempdir(), f"appliance-labnode-{port}.pem")
    try:
        certificate.write_certificate(path)
    except OSError as exc:
        raise ConfigError(f"--tls-cert-out: cannot write {path} ({exc.strerror or exc})", file=path) from None
    print(f"TLS certificate (self-signed): {path}", flush=True)
    print(f"TLS certificate SHA-256 fingerprint: {certificate.fingerprint_sha256()}", flush=True)
    print(f"  trust it: examples/console_client.py --ca {path}, or ca_file = in the site file", flush=True)
    return path


async def _serve(args: argparse.Namespace) -> None:
    ssl_context = None
    certificate = None
    if args.tls_cert:
        ssl_context = context_from_files(args.tls_cert, args.tls_key)
    elif args.tls_self_signed:
        certificate = self_signed([args.host])
        ssl_context = certificate.server_context()
    node = LabNode(
        host=args.host,
        port=args.port,
        rooms=args.rooms,
        bots=args.bots,
        media=not args.no_media,
        token_lifetime=args.token_lifetime,
        cors_origins=args.cors_origin,
        ssl_context=ssl_context,
        width=args.width,
        height=args.height,
        fps=args.fps,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with node:
        print(f"lab node listening on {node.url}", flush=True)
        if certificate is not None:
            announce_certificate(certificate, args.tls_cert_out, node.port)
        print(
            f"media: on, composed {args.width}x{args.height}@{args.fps}"
            if node.media_enabled
            else f"media: off ({node.state.media_unavailable})",
            flush=True,
        )
        if args.bots:
            print(
                f"bots: {args.bots} in every meeting room (not reception, sso, direct or lobby)", flush=True
            )
        for room in node.rooms:
            print(f"  {node.url}/api/client/v2/conferences/{room.alias}  {room.describe()}", flush=True)
        for device in node.state.registrar.devices.values():
            # docs/labnode.md "Device registrations": the built-in room-1's password is documented there
            print(
                f"  {node.url}/api/client/v2/registrations/{device.alias}  device registration "
                f"(user {device.username!r}; dial it from a meeting to ring it)",
                flush=True,
            )
        await stop.wait()
    print("lab node stopped", flush=True)
