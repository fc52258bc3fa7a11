"""Protocol layer: an asyncio client for Pexip Infinity's client REST API v2.

Knows HTTP and SSE only, never media devices or UI (import-linter
enforces it). Start at :class:`InfinitySession`; see docs/infinity-client.md.
"""

from appliance.infinity.calls import CallControl, CallInfo
from appliance.infinity.control import Classification, ConferenceControl
from appliance.infinity.errors import (
    BadRequest,
    CertificateRejected,
    ConferenceLocked,
    ConferenceNotFound,
    EventStreamLost,
    ExtensionNotFound,
    FloorRefused,
    InfinityError,
    InvalidPin,
    InvalidToken,
    JoinRefused,
    NodeInMaintenance,
    NodeUnreachable,
    NotANode,
    NotFound,
    NotHost,
    ProtocolError,
    RequestRefused,
    RequestTimeout,
    ServerError,
    SessionClosed,
    TokenExpired,
)
from appliance.infinity.http import NodeStatus, check_node
from appliance.infinity.options import ClientOptions, ReconnectPolicy, RetryPolicy
from appliance.infinity.session import InfinitySession
from appliance.infinity.state import ConferenceState, PresentationState
from appliance.infinity.tokens import (
    ExtensionRequired,
    IdentityProvider,
    IdentityProviderRequired,
    JoinOutcome,
    PinRequired,
    RefreshResult,
    SsoRedirectRequired,
    TokenGrant,
)

__all__ = [
    "BadRequest",
    "CallControl",
    "CallInfo",
    "CertificateRejected",
    "Classification",
    "ClientOptions",
    "ConferenceControl",
    "ConferenceLocked",
    "ConferenceNotFound",
    "ConferenceState",
    "EventStreamLost",
    "ExtensionNotFound",
    "ExtensionRequired",
    "FloorRefused",
    "IdentityProvider",
    "IdentityProviderRequired",
    "InfinityError",
    "InfinitySession",
    "InvalidPin",
    "InvalidToken",
    "JoinOutcome",
    "JoinRefused",
    "NodeInMaintenance",
    "NodeStatus",
    "NodeUnreachable",
    "NotANode",
    "NotFound",
    "NotHost",
    "PinRequired",
    "PresentationState",
    "ProtocolError",
    "ReconnectPolicy",
    "RefreshResult",
    "RequestRefused",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "SessionClosed",
    "SsoRedirectRequired",
    "TokenExpired",
    "TokenGrant",
    "check_node",
]
