"""Tokens and PINs never reach the logs or exception texts, across a whole session."""

from __future__ import annotations

import logging

import pytest

from appliance.infinity import ClientOptions, InfinitySession, InvalidPin, TokenGrant
from appliance.log import REDACTED, redact
from tests.support.recorder import EventLog
from tests.support.scripted_node import ScriptedNode
from tests.support.waiting import eventually


async def test_redaction_full_session_logs_no_secret(
    node: ScriptedNode, fast: ClientOptions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    node.expires = "0.3"
    errors: list[str] = []
    async with InfinitySession(node.url, "pinned", options=fast) as session:
        try:
            await session.request_token("Room", pin="9999")
        except InvalidPin as exc:
            errors.append(str(exc))
        outcome = await session.join("Room", pin="1234")
        assert isinstance(outcome, TokenGrant)
        seen = EventLog()
        session.subscribe(seen)
        node.push("refer", {"alias": "elsewhere", "token": "refer-secret-token"})
        await seen.wait_for(lambda e: e.name == "refer")
        await eventually(lambda: len(node.issued) >= 3)  # two refreshes at expires/3
        node.cut_streams()
        await seen.wait_for(lambda e: e.name == "participant_sync_end")
        await session.control.lock()
    secrets = [*node.issued, "9999", "1234", "refer-secret-token"]
    text = caplog.text + "\n".join(errors) + "\n".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the session should have logged something at DEBUG"
    for secret in secrets:
        assert secret not in text, f"secret leaked: {secret[:3]}…"
        assert redact(f"x {secret} y") == f"x {REDACTED} y"
