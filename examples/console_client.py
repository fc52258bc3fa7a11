"""A console PexRTC client: join, follow the roster and chat, mute, raise a hand, leave.

Written the way a PexRTC web page is: plain functions assigned as
callbacks, methods called without ``await``. It runs against any node,
including the built-in lab node::

    appliance labnode &                       # prints its URL
    python examples/console_client.py http://127.0.0.1:8080 meet "Console"

Commands (one per line on stdin)::

    roster              list the participants
    chat <text>         send a chat message to everyone
    mute / unmute       mute or unmute your microphone
    hand / lower        raise or lower your hand
    quit                leave the meeting

When the room asks for a PIN the next line typed is the PIN (an empty line
joins as a Guest where Guests need none); a wrong PIN asks again.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
from typing import Any, TextIO

from appliance import PexRTC

COMMANDS = "roster | chat <text> | mute | unmute | hand | lower | quit"


class ConsoleClient:
    """The page's script: state and callbacks around one PexRTC object."""

    def __init__(self, rtc: PexRTC) -> None:
        self.rtc = rtc
        self.roster: dict[str, dict[str, Any]] = {}
        self.awaiting_pin = threading.Event()
        self.finished = threading.Event()
        self.exit_code = 0
        # Typed lines and the end of the session meet here, so the main loop
        # is never stuck in a read of stdin after a callback ended the call.
        self.inbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        rtc.onSetup = self.on_setup
        rtc.onConnect = self.on_connect
        rtc.onError = self.on_error
        rtc.onDisconnect = self.on_disconnect
        rtc.onParticipantCreate = self.on_participant_create
        rtc.onParticipantUpdate = self.on_participant_update
        rtc.onParticipantDelete = self.on_participant_delete
        rtc.onChatMessage = self.on_chat_message
        rtc.onDirectMessage = self.on_direct_message
        rtc.onConferenceUpdate = self.on_conference_update

    @staticmethod
    def say(text: str) -> None:
        print(text, flush=True)

    def finish(self, exit_code: int | None = None) -> None:
        """The session is over (from a callback): wake the main loop."""
        if exit_code is not None:
            self.exit_code = exit_code
        self.finished.set()
        self.inbox.put(None)

    def read_lines(self, stream: TextIO) -> None:
        """The stdin reader thread: every line into the inbox, then None at end of input."""
        for line in stream:
            self.inbox.put(line.rstrip("\n"))
        self.inbox.put(None)

    def run(self, stream: TextIO) -> None:
        """Run typed commands until ``quit``, end of input or the end of the session."""
        reader = threading.Thread(target=self.read_lines, args=(stream,), name="console-stdin", daemon=True)
        reader.start()
        while not self.finished.is_set():
            line = self.inbox.get()
            if line is None or self.finished.is_set() or not self.command(line):
                return

    # -- callbacks (run on the PexRTC callback thread) --------------------

    def on_setup(self, stream: Any, pin_status: str, conference_extension: str | None = None) -> None:
        if conference_extension:
            self.say("* this is a Virtual Reception: use the conference alias instead")
            self.rtc.disconnect()
            self.finish(2)
        elif pin_status in ("required", "optional"):
            hint = " (empty line to join as Guest)" if pin_status == "optional" else ""
            self.awaiting_pin.set()  # before the prompt: the answer may come at once
            self.say(f"* PIN{hint}:")
        else:
            self.rtc.connect(None)

    def on_connect(self, stream: Any) -> None:
        self.say(f"* connected as {self.rtc.role}; commands: {COMMANDS}")

    def on_error(self, err: str) -> None:
        self.say(f"* error: {err}")
        self.finish(1)

    def on_disconnect(self, reason: str) -> None:
        self.say(f"* disconnected: {reason}")
        self.finish()

    def on_participant_create(self, participant: dict[str, Any]) -> None:
        self.roster[participant["uuid"]] = participant
        if participant["uuid"] != self.rtc.uuid:
            self.say(f"* {participant['display_name']} joined")

    def on_participant_update(self, participant: dict[str, Any]) -> None:
        old = self.roster.get(participant["uuid"], {})
        self.roster[participant["uuid"]] = participant
        name = participant["display_name"]
        if bool(old.get("buzz_time")) != bool(participant["buzz_time"]):
            self.say(f"* {name} {'raised' if participant['buzz_time'] else 'lowered'} a hand")
        if old.get("is_client_muted") != participant.get("is_client_muted") and old:
            self.say(f"* {name} {'muted' if participant.get('is_client_muted') else 'unmuted'}")

    def on_participant_delete(self, participant: dict[str, Any]) -> None:
        gone = self.roster.pop(participant["uuid"], None)
        if gone is not None:
            self.say(f"* {gone['display_name']} left")

    def on_chat_message(self, message: dict[str, Any]) -> None:
        self.say(f"<{message['origin']}> {message['payload']}")

    def on_direct_message(self, message: dict[str, Any]) -> None:
        self.say(f"<{message['origin']} (private)> {message['payload']}")

    def on_conference_update(self, properties: dict[str, Any]) -> None:
        if properties.get("locked"):
            self.say("* the meeting is locked")

    # -- commands (run on the main thread) --------------------------------

    def command(self, line: str) -> bool:
        """Run one typed line; False when it is time to leave."""
        if self.awaiting_pin.is_set():
            self.awaiting_pin.clear()
            self.rtc.connect(line)
            return True
        verb, _, rest = line.strip().partition(" ")
        if verb == "quit":
            return False
        if verb == "roster":
            for participant in sorted(self.roster.values(), key=lambda p: p["display_name"]):
                flags = [participant["role"]]
                if participant["buzz_time"]:
                    flags.append("hand raised")
                if participant.get("is_client_muted"):
                    flags.append("muted")
                self.say(f"  {participant['display_name']} ({', '.join(flags)})")
        elif verb == "chat" and rest:
            self.rtc.sendChatMessage(rest)
        elif verb in ("mute", "unmute"):
            muted = self.rtc.muteAudio(verb == "mute")
            self.say(f"* microphone {'muted' if muted else 'on'}")
        elif verb == "hand":
            self.rtc.setBuzz()
        elif verb == "lower":
            self.rtc.clearBuzz()
        elif verb:
            self.say(f"* unknown command {verb!r}; commands: {COMMANDS}")
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Console PexRTC client (roster, chat, mute, hand).")
    parser.add_argument("node", help="node address: host, host:port or http(s)://host:port")
    parser.add_argument("conference", help="conference alias")
    parser.add_argument("name", help="your display name")
    parser.add_argument("--call-type", default="none", help="PexRTC call_type (default: none, roster-only)")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument(
        "--ca",
        metavar="FILE",
        help="trust the CA certificates in this PEM file for the node (e.g. the lab node's "
        "--tls-self-signed certificate)",
    )
    tls.add_argument("--insecure", action="store_true", help="do not verify the node's TLS certificate")
    args = parser.parse_args(argv)

    rtc = PexRTC(verify_tls=not args.insecure, ca_file=args.ca)
    client = ConsoleClient(rtc)
    rtc.makeCall(args.node, args.conference, args.name, None, args.call_type)
    try:
        client.run(sys.stdin)
    except KeyboardInterrupt:
        pass
    if not client.finished.is_set():
        rtc.disconnect()
        client.say("* left the meeting")
    rtc.close()
    return client.exit_code


if __name__ == "__main__":
    sys.exit(main())
