"""The live conference as the node has told it: roster, flags, layout, stage.

Upper layers (the PexRTC facade, the room service, the UI) read this model
instead of re-reading events, and subscribe to what changed. It applies
PexRTC's resync semantics: between ``participant_sync_begin`` and
``participant_sync_end`` participant events are held; at the end new uuids
are delivered as creates, known ones as updates and the vanished ones as
deletes, so a reconnect looks to subscribers like ordinary changes and the
roster is never empty in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from appliance.infinity.events import (
    ConferenceUpdate,
    Event,
    LayoutUpdate,
    MalformedEvent,
    ParticipantCreate,
    ParticipantDelete,
    ParticipantSyncBegin,
    ParticipantSyncEnd,
    ParticipantUpdate,
    PresentationFrame,
    PresentationStart,
    PresentationStop,
    RoleChanged,
    RosterChanged,
    StageUpdate,
)
from appliance.infinity.models import ConferenceStatus, Participant, Role, StageEntry
from appliance.log import get_logger

_log = get_logger("appliance.infinity.state")

Subscriber = Callable[[Event], None]

_PARTICIPANT_EVENTS = frozenset({"participant_create", "participant_update"})


def _named_uuid(event: MalformedEvent) -> str | None:
    """The ``uuid`` a malformed participant event still names, if its data was an object."""
    raw = event.raw
    uuid = raw.get("uuid") if isinstance(raw, dict) else None
    return uuid if isinstance(uuid, str) and uuid else None


@dataclass(frozen=True, slots=True)
class PresentationState:
    active: bool = False
    presenter_name: str = ""
    presenter_uri: str = ""
    presenter_uuid: str = ""
    presenter_source: str | None = None
    # Last presentation_frame id: the key for presentation.jpeg?id=.
    frame_id: str | None = None


class ConferenceState:
    """Apply events in stream order; read the result; subscribe to changes."""

    def __init__(self) -> None:
        self._participants: dict[str, Participant] = {}
        self._pending: dict[str, Participant] | None = None
        self._subscribers: list[Subscriber] = []
        self._synced = asyncio.Event()
        self.status = ConferenceStatus()
        self.layout: LayoutUpdate | None = None
        self.stage: tuple[StageEntry, ...] = ()
        self.presentation = PresentationState()
        self.role: Role | None = None
        self.self_uuid: str | None = None
        self.service_type: str | None = None
        self.syncs = 0

    @property
    def participants(self) -> Mapping[str, Participant]:
        return MappingProxyType(self._participants)

    @property
    def me(self) -> Participant | None:
        return self._participants.get(self.self_uuid) if self.self_uuid else None

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    @property
    def syncing(self) -> bool:
        return self._pending is not None

    async def wait_synced(self, limit: float) -> None:
        """Wait for the first completed roster sync; TimeoutError after ``limit`` seconds."""
        async with asyncio.timeout(limit):
            await self._synced.wait()

    # --- subscriptions -----------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every delivered event; returns the unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, events: list[Event]) -> None:
        """Deliver to subscribers; one subscriber's bug never reaches the others or the stream."""
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:
                    _log.exception("event subscriber %r failed on %s", callback, event.name)

    def feed(self, event: Event) -> None:
        """Apply and publish: the stream's delivery callback."""
        self.publish(self.apply(event))

    # --- own identity ---------------------------------------------------------

    def set_identity(self, self_uuid: str, role: Role, service_type: str | None) -> list[Event]:
        self.self_uuid = self_uuid
        self.service_type = service_type
        return self.set_role(role)

    def set_role(self, role: Role) -> list[Event]:
        if role == self.role:
            return []
        old, self.role = self.role, role
        _log.info("own role %s -> %s", old, role)
        return [RoleChanged(old=old, new=role)]

    # --- applying events --------------------------------------------------------

    def apply(self, event: Event) -> list[Event]:
        """Update the model; return the events subscribers should see, in order."""
        if isinstance(event, ParticipantSyncBegin):
            self._pending = {}
            return [event]
        if isinstance(event, ParticipantSyncEnd):
            return self._end_sync(event)
        if isinstance(event, (ParticipantCreate, ParticipantUpdate)):
            if self._pending is not None:
                self._pending[event.participant.uuid] = event.participant
                return []
            self._participants[event.participant.uuid] = event.participant
            return [event, *self._own_update(event.participant), self._roster()]
        if isinstance(event, ParticipantDelete):
            if self._pending is not None:
                self._pending.pop(event.uuid, None)
                return []
            self._participants.pop(event.uuid, None)
            return [event, self._roster()]
        if isinstance(event, ConferenceUpdate):
            self.status = event.status
        elif isinstance(event, LayoutUpdate):
            self.layout = event
        elif isinstance(event, StageUpdate):
            self.stage = event.entries
        elif isinstance(event, PresentationStart):
            if not event.is_revocation:
                self.presentation = PresentationState(
                    active=True,
                    presenter_name=event.presenter_name,
                    presenter_uri=event.presenter_uri,
                    presenter_uuid=event.presenter_uuid,
                    presenter_source=event.presenter_source,
                )
        elif isinstance(event, PresentationStop):
            self.presentation = PresentationState()
        elif isinstance(event, PresentationFrame):
            self.presentation = replace(self.presentation, frame_id=event.frame_id)
        elif isinstance(event, MalformedEvent):
            self._keep_through_sync(event)
        return [event]

    def _keep_through_sync(self, event: MalformedEvent) -> None:
        """A participant we cannot read during a resync is still there: keep what we knew.

        Without this the sync end would report a ``ParticipantDelete`` for a
        participant the node has just listed, only because one field of its
        entry was unreadable.
        """
        uuid = _named_uuid(event) if event.wire_name in _PARTICIPANT_EVENTS else None
        if self._pending is None or uuid is None or uuid not in self._participants:
            _log.debug("state unchanged by malformed %s", event.wire_name)
            return
        _log.debug("malformed %s during sync: keeping the previous entry", event.wire_name)
        self._pending.setdefault(uuid, self._participants[uuid])

    def _end_sync(self, event: ParticipantSyncEnd) -> list[Event]:
        pending, self._pending = self._pending, None
        if pending is None:
            # sync_end without begin: nothing was held, the roster stands.
            self._mark_synced()
            return [event, self._roster()]
        out: list[Event] = []
        for uuid, participant in pending.items():
            if uuid in self._participants:
                out.append(ParticipantUpdate(participant=participant))
            else:
                out.append(ParticipantCreate(participant=participant))
        out.extend(ParticipantDelete(uuid=uuid) for uuid in self._participants if uuid not in pending)
        self._participants = dict(pending)
        me = self.me
        if me is not None:
            out.extend(self._own_update(me))
        self._mark_synced()
        out.append(event)
        out.append(self._roster())
        return out

    def _mark_synced(self) -> None:
        self.syncs += 1
        self._synced.set()

    def _own_update(self, participant: Participant) -> list[Event]:
        if participant.uuid != self.self_uuid:
            return []
        self.service_type = participant.service_type
        return self.set_role(participant.role)

    def _roster(self) -> RosterChanged:
        return RosterChanged(participants=tuple(self._participants.values()))
