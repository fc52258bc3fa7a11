"""Boot-to-call room appliance for Pexip Infinity, with a Python PexRTC.

The public surface is small on purpose: :class:`PexRTC` (the founding
document's API, name for name) and ``__version__``. ``PexRTC`` is imported
lazily so that ``appliance --version`` and the configuration tools start
without loading aiortc and PyAV.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("appliance")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

if TYPE_CHECKING:
    from appliance.pexrtc.facade import PexRTC

__all__ = ["PexRTC", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "PexRTC":
        from appliance.pexrtc.facade import PexRTC

        return PexRTC
    raise AttributeError(f"module 'appliance' has no attribute {name!r}")
