"""Fixtures for the media engine tests: loopback ICE, our codecs, a far end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from appliance.media.encoders import CodecSettings, install_codecs, uninstall_codecs
from appliance.media.ice import use_host_addresses
from tests.support.media import FakeFarEnd


@pytest.fixture(scope="session", autouse=True)
def _loopback_and_codecs() -> Iterator[None]:
    use_host_addresses(["127.0.0.1"])
    install_codecs(CodecSettings(h264_decoders=("h264_v4l2m2m", "h264")))
    yield
    uninstall_codecs()  # other suites in the same run get aiortc as they expect it


@pytest.fixture
async def far_end() -> AsyncIterator[FakeFarEnd]:
    node = FakeFarEnd()
    yield node
    await node.close()
