"""TV power over HDMI-CEC through the kernel's CEC device (``/dev/cec*``) and ``cec-ctl``.

Why ``cec-ctl`` (v4l-utils) and not a Python binding: the Raspberry Pi's
HDMI CEC is a kernel CEC adapter (``/dev/cec0``, the ``vc4`` driver), and
``cec-ctl`` is the kernel maintainers' own tool for it, packaged by Debian
(``apt install v4l-utils``) and kept in step with the kernel API. The
Python bindings on PyPI (``cec``, ``pyCEC``) wrap Pulse-Eight's libcec,
which targets its USB adapters and the Pi's retired firmware interface
rather than the kernel framework; a ctypes binding of the CEC ioctls would
be our own code to maintain. docs/being-called.md records the choice.

The blocking source is a child process, bridged into the loop in exactly
one place: :func:`run_cec_ctl` (``asyncio.create_subprocess_exec`` with a
timeout, no thread). :class:`CecDisplay` never blocks its caller:
:meth:`CecDisplay.power` records what the room wants and one worker task
applies the newest wish, so "on" then "off" in quick succession ends off
and a TV that does not answer costs the room nothing. That TV is logged
once (a warning naming the device), then quietly until it answers again.

:class:`FakeCecTv` replaces only the process: it answers the same
``cec-ctl`` arguments with the same kind of output, keeps a TV's power
state and input, and can be made silent or hung for tests and the
``ci-virtual`` profile.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from appliance.config.profile import CecSpec
from appliance.errors import DeviceError
from appliance.log import get_logger

TV: Final = "0"  # logical address of the TV
_PHYS_RE: Final = re.compile(r"Physical Address\s*:\s*([0-9a-fA-F]\.[0-9a-fA-F]\.[0-9a-fA-F]\.[0-9a-fA-F])")
_NO_ANSWER: Final = re.compile(r"not acknowledged|\bnack\b|transmit.*fail|timed out", re.IGNORECASE)
TIMED_OUT: Final = 124

Runner = Callable[[Sequence[str], float], Awaitable[tuple[int, str]]]


class CecUnavailable(DeviceError):
    """No way to talk CEC here: ``cec-ctl`` is not installed or the device is missing."""


async def run_cec_ctl(args: Sequence[str], timeout_s: float) -> tuple[int, str]:
    """Run ``cec-ctl ARGS``; ``(exit status, stdout+stderr)``, ``(124, …)`` after ``timeout_s``.

    The one bridge between the CEC adapter and the event loop.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            "cec-ctl",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except FileNotFoundError:
        raise CecUnavailable("cec-ctl is not installed (apt install v4l-utils)") from None
    try:
        async with asyncio.timeout(timeout_s):
            out, _ = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return TIMED_OUT, f"cec-ctl gave no answer within {timeout_s:g} s"
    return process.returncode or 0, out.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class CecStatus:
    """What ``appliance doctor`` reports about the CEC adapter and the TV."""

    device: str
    adapter: bool  # cec-ctl could open the device
    physical_address: str = ""
    tv_answers: bool | None = None  # None: not asked
    detail: str = ""


class CecDisplay:
    """The TV behind one CEC adapter: ``power(True)`` wakes it and selects our input."""

    def __init__(
        self,
        device: str = "/dev/cec0",
        *,
        osd_name: str = "Appliance",
        timeout_s: float = 3.0,
        run: Runner = run_cec_ctl,
    ) -> None:
        self.device = device
        self.osd_name = osd_name[:14]  # CEC OSD names are at most 14 characters
        self.timeout_s = timeout_s
        self._run = run
        self._log = get_logger("appliance.hw.cec", device=device)
        self._wanted: bool | None = None
        self._changed = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._configured = False
        self._physical = ""
        self._complained = False
        self.applied: bool | None = None  # last power state the TV acknowledged
        self.tv_answers: bool | None = None
        # The fake TV behind a "fake" profile driver (tests, demo, doctor read it).
        self.fake: FakeCecTv | None = None

    # --- the room's side: never blocks ---------------------------------------------------

    def power(self, on: bool) -> None:
        """Ask for the TV on (and our input) or in standby; returns at once."""
        self._wanted = on
        self._idle.clear()
        self._changed.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._worker(), name="cec-display")

    async def settled(self) -> None:
        """Until the newest wish has been tried (tests and the bench wait on this)."""
        await self._idle.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._idle.set()

    async def _worker(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            wanted = self._wanted
            if wanted is not None:
                try:
                    await self._apply(wanted)
                except CecUnavailable as exc:
                    self._quiet_failure(str(exc))
                except Exception:
                    self._log.exception("CEC command failed")
            if not self._changed.is_set():
                self._idle.set()

    # --- one attempt ------------------------------------------------------------------------

    async def _command(self, *args: str) -> bool:
        status, output = await self._run(("-d", self.device, *args), self.timeout_s)
        if status == TIMED_OUT:
            self._quiet_failure(output)
            return False
        if status != 0 or _NO_ANSWER.search(output):
            self._quiet_failure(f"the TV does not answer CEC ({_first_line(output)})")
            return False
        return True

    async def _configure(self) -> None:
        """Claim a playback-device logical address and learn our physical address, once."""
        if self._configured:
            return
        status, output = await self._run(
            ("-d", self.device, "--playback", "--osd-name", self.osd_name), self.timeout_s
        )
        if status != 0:
            raise CecUnavailable(f"cannot configure {self.device}: {_first_line(output)}")
        match = _PHYS_RE.search(output)
        self._physical = match.group(1) if match else ""
        self._configured = True

    async def _apply(self, on: bool) -> None:
        await self._configure()
        if on:
            ok = await self._command("--to", TV, "--image-view-on")
            if ok and self._physical:
                # as cec-ctl(1) shows it: "--to 0 --active-source phys-addr=1.0.0.0"
                ok = await self._command("--to", TV, "--active-source", f"phys-addr={self._physical}")
        else:
            ok = await self._command("--to", TV, "--standby")
        if ok:
            if self._complained:
                self._log.info("the TV answers CEC again")
            self._complained = False
            self.tv_answers = True
            self.applied = on
            self._log.info("TV %s", "on, our input selected" if on else "in standby")
        else:
            self.tv_answers = False

    def _quiet_failure(self, why: str) -> None:
        if not self._complained:
            self._complained = True
            self._log.warning("%s; the TV's power is left as it is (said once)", why)
        else:
            self._log.debug("CEC still unanswered: %s", why)

    # --- doctor ------------------------------------------------------------------------------

    async def probe(self) -> CecStatus:
        """Open the adapter and ask the TV for its power status (for ``appliance doctor``)."""
        try:
            status, output = await self._run(("-d", self.device), self.timeout_s)
        except CecUnavailable as exc:
            return CecStatus(self.device, adapter=False, detail=str(exc))
        if status != 0:
            return CecStatus(self.device, adapter=False, detail=_first_line(output))
        match = _PHYS_RE.search(output)
        physical = match.group(1) if match else ""
        status, output = await self._run(
            ("-d", self.device, "--to", TV, "--give-device-power-status"), self.timeout_s
        )
        answers = status == 0 and not _NO_ANSWER.search(output)
        detail = "" if answers else _first_line(output)
        return CecStatus(
            self.device, adapter=True, physical_address=physical, tv_answers=answers, detail=detail
        )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:160]
    return "no output"


@dataclass
class FakeCecTv:
    """A TV on a fake CEC bus, answering ``cec-ctl`` arguments as the real tool would.

    ``answers=False`` is a TV that ignores CEC (every transmit is not
    acknowledged); ``hang=True`` is an adapter whose ``cec-ctl`` never
    returns (the caller's timeout must save it).
    """

    physical_address: str = "1.0.0.0"
    power: str = "standby"  # "on" or "standby"
    active_source: str = ""
    answers: bool = True
    hang: bool = False
    commands: list[tuple[str, ...]] = field(default_factory=list)

    async def run(self, args: Sequence[str], timeout_s: float) -> tuple[int, str]:
        command = tuple(args)
        self.commands.append(command)
        if self.hang:
            await asyncio.sleep(timeout_s)
            return TIMED_OUT, f"cec-ctl gave no answer within {timeout_s:g} s"
        flags = [a for a in command if a.startswith("--")]
        info = f"Driver Info:\n\tDriver Name : fake\n\tPhysical Address : {self.physical_address}\n"
        if not flags or flags in (["--playback", "--osd-name"], ["--playback"]):
            return 0, info
        if not self.answers:
            return 1, "Transmit Status: Tx, Not Acknowledged (4)\n"
        if "--image-view-on" in flags:
            self.power = "on"
        elif "--standby" in flags:
            self.power = "standby"
        elif "--active-source" in flags:
            self.active_source = command[command.index("--active-source") + 1].removeprefix("phys-addr=")
        elif "--give-device-power-status" in flags:
            return 0, f"Received from TV (0):\n\tREPORT_POWER_STATUS: pwr-state: {self.power}\n"
        return 0, "Transmit Status: OK\n"

    def display(
        self, device: str = "/dev/cec0", *, timeout_s: float = 0.5, osd_name: str = "Appliance"
    ) -> CecDisplay:
        display = CecDisplay(device, run=self.run, timeout_s=timeout_s, osd_name=osd_name)
        display.fake = self
        return display


def open_display(spec: CecSpec) -> CecDisplay | None:
    """The display driver a profile's ``[cec]`` asks for; ``None`` when CEC is switched off."""
    if spec.driver == "none":
        return None
    if spec.driver == "fake":
        return FakeCecTv().display(spec.device, timeout_s=spec.timeout_s, osd_name=spec.osd_name)
    return CecDisplay(spec.device, osd_name=spec.osd_name, timeout_s=spec.timeout_s)
