"""A live meeting in one room: roster, conference state and the events they cause.

Everything that changes what participants see goes through a method here,
and each method emits the events the reference prescribes for that change,
in the prescribed order, before it returns. Routes only check who may do
what and translate HTTP; the media only reports voice activity and stills
(this class implements :class:`~appliance.labnode.media_api.MediaEvents`).

After every change :meth:`NodeConference._refresh` recomputes the derived views
(speaker order, per-listener ``layout``, ``stage``, direct-media splash
screens, the media mixes) and sends only what actually changed, so a
client never sees a stale layout and never a flood of identical ones.

It runs past 500 lines on purpose: every roster change and the events it
causes stay in one class so their order can be read in one place. What
stands apart already lives beside it (``presentation``, ``direct_media``,
``layout``, ``muting``; docs/labnode.md, "Module map").
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from appliance.infinity.models import ConferenceStatus, Participant, Role, ServiceType
from appliance.labnode.media_api import MediaHub
from appliance.labnode.state import layout
from appliance.labnode.state.direct_media import DirectMediaRelay
from appliance.labnode.state.events import EventOutbox, SentEvent
from appliance.labnode.state.presentation import PresentationFloor
from appliance.labnode.state.refusals import ApiError
from appliance.labnode.state.rooms import RoomConfig
from appliance.labnode.state.roster import Kind, Member, Waiting
from appliance.log import get_logger

HubFactory = Callable[["NodeConference"], MediaHub]

DISCONNECTED_BY_HOST = "Disconnected by another participant"
CONFERENCE_ENDED = "Conference terminated by another participant"
# Reference §7 (#pex141): what Guests are told when the last Host left.
HOSTS_DEPARTED = "All conference hosts departed hosted conference"


class NodeConference:
    """The meeting in ``room`` as the node keeps it; one per room, created when the node starts.

    Not the client's :class:`appliance.pexrtc.core.Conference`, which is one
    participant's view of a conference.
    """

    def __init__(
        self,
        room: RoomConfig,
        *,
        hub_factory: HubFactory | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.room = room
        self._now = wall_clock
        self.members: dict[str, Member] = {}
        self._reset_state()
        self._log = get_logger(__name__, conference=room.alias)
        # Made on first need (a call, a bot, an answered dial-out): a hub
        # owns threads and a compositor, and most rooms never see media.
        self._hub_factory = hub_factory
        self.hub: MediaHub | None = None
        self.presentation = PresentationFloor(self)
        # Direct-media rooms relay their members' signalling instead of mixing.
        self.direct = DirectMediaRelay(self.room)
        self._last_stage: list[dict[str, Any]] | None = None

    def _reset_state(self) -> None:
        """The room's initial conference state: at start, and again once a conference ends."""
        self.locked = self.room.locked
        self.guests_muted = False
        self.guests_can_unmute = True
        self.started = not self.room.wait_for_host
        self.transforms: dict[str, Any] = {}
        self.classification_level: int | None = 0 if self.room.classification_levels else None

    # --- roster ----------------------------------------------------------------

    def get(self, participant_uuid: str) -> Member:
        member = self.members.get(participant_uuid)
        if member is None or member.gone:
            raise ApiError(404, f"Participant not found: {participant_uuid}")
        return member

    def admit(
        self,
        display_name: str,
        role: Role,
        *,
        kind: Kind = Kind.CLIENT,
        call_tag: str = "",
        vendor: str = "",
        idp_authenticated: bool = False,
        bypass_lock: bool = False,
        **fields: Any,
    ) -> Member:
        """Add a participant and tell everyone; it may land in the waiting room."""
        now = self._now()
        values: dict[str, Any] = {
            "display_name": display_name,
            "overlay_text": display_name,
            "role": role,
            "start_time": now,
            # Everyone sees the conference's main mix; IA's schema requires
            # mix_name and timestamp whenever the object is present.
            "receive_from_video_mix": {"mix_name": "main", "timestamp": now},
            "call_tag": call_tag,
            "vendor": vendor,
            "is_idp_authenticated": idp_authenticated,
            "local_alias": self.room.alias,
            "presentation_supported": True,
        }
        values.update(fields)
        participant = Participant(uuid=str(uuidlib.uuid4()), **values)
        member = Member(participant=participant, kind=kind)
        if role is Role.GUEST and self.guests_muted:
            participant.is_muted = member.muted_by_host = True
        if kind is Kind.CLIENT:
            member.waiting = self._waiting_reason(role, bypass_lock=bypass_lock)
            if member.waiting is not None:
                participant.service_type = ServiceType.WAITING_ROOM.value
        self.members[participant.uuid] = member
        self._log.info(
            "participant joined", extra={"context": {"uuid": participant.uuid, "role": role.value}}
        )
        self._broadcast(SentEvent("participant_create", participant.to_wire()))
        self._refresh()
        return member

    def _waiting_reason(self, role: Role, *, bypass_lock: bool) -> Waiting | None:
        # Hosts who proved a Host PIN pass a lock; in a room without PIN
        # everybody is Host, so there a lock holds everybody.
        if self.locked and not bypass_lock and not (role is Role.HOST and self.room.host_pin):
            return Waiting.LOCKED
        if role is Role.GUEST and not self.started:
            return Waiting.FOR_HOST
        return None

    def remove(self, participant_uuid: str, reason: str | None) -> None:
        """Take a participant out; ``reason`` is sent to it as ``disconnect`` first.

        As on Infinity, the conference ends when the last participant leaves
        (bots do not keep it alive: they are the node's own furniture), so the
        next joiner finds the room as configured, not locked or muted by a
        meeting that is over. In a room with ``guests_leave_with_last_host``
        the Guests are disconnected once no Host is left (#pex141).
        """
        member = self._take_out(participant_uuid, reason)
        if member is None:
            return
        if member.is_host and self.room.ends_without_host and self.started and not self._hosts_left():
            for guest in [m for m in self.members.values() if m.kind is not Kind.BOT]:
                self._take_out(guest.uuid, HOSTS_DEPARTED)
        if not any(m.kind is not Kind.BOT for m in self.members.values()):
            self._end()
        self._refresh()

    def _hosts_left(self) -> bool:
        return any(m.is_host and m.kind is not Kind.BOT for m in self.members.values())

    def _take_out(self, participant_uuid: str, reason: str | None) -> Member | None:
        member = self.members.pop(participant_uuid, None)
        if member is None:
            return None
        member.gone = True
        if reason is not None:
            member.send(SentEvent("disconnect", {"reason": reason}))
        member.close_streams()
        if self.presentation.presenter == participant_uuid:
            self.presentation.release(member)
        if self.hub is not None:
            self.hub.remove_participant(participant_uuid)
        self.direct.remove_member(participant_uuid)
        self._log.info("participant left", extra={"context": {"uuid": participant_uuid, "reason": reason}})
        self._broadcast(SentEvent("participant_delete", {"uuid": participant_uuid}))
        return member

    def _end(self) -> None:
        """Nobody is left: back to the room's initial state (bots stay, as the room has them)."""
        if self.presentation.presenter is not None:
            presenter = self.members.get(self.presentation.presenter)
            if presenter is not None:
                self.presentation.release(presenter)
        self._reset_state()
        self._last_stage = None
        for member in self.members.values():
            self.update(member, is_muted=False, spotlight=0.0, buzz_time=0.0)
        self._log.info("conference ended: no participants left")

    def attach_stream(self, member: Member) -> EventOutbox:
        """Open an event stream: sync block, conference_update, layout, stage, then live events."""
        stream = EventOutbox(member.uuid)
        stream.push(SentEvent("participant_sync_begin"))
        for other in self.members.values():
            stream.push(SentEvent("participant_create", other.participant.to_wire()))
        stream.push(SentEvent("participant_sync_end"))
        stream.push(SentEvent("conference_update", self.status()))
        layout_body = self._layout_for(member, self._order())
        stream.push(SentEvent("layout", layout_body))
        stream.push(SentEvent("stage", self._stage()))
        member.last_layout = layout_body
        if self.room.direct_media:
            splash = self._splash_for(member)
            stream.push(SentEvent("splash_screen", splash))
            member.last_splash = splash
        presenter = self.presentation.presenter
        if presenter is not None and presenter != member.uuid and presenter in self.members:
            stream.push(SentEvent("presentation_start", self.presentation.start_body()))
            # Stills are announced only when they change: a late joiner (or a
            # reconnected stream) would otherwise have nothing to fetch until
            # the next slide.
            frame = self.presentation.frame_event()
            if frame is not None:
                stream.push(frame)
        member.streams.append(stream)
        return stream

    def add_bot(self, name: str) -> Member:
        member = self.admit(
            name,
            Role.GUEST,
            kind=Kind.BOT,
            bypass_lock=True,
            protocol="sip",
            has_media=True,
            is_video_call=True,
            uri=f"sip:{name.lower().replace(' ', '.')}@labnode.invalid",
            vendor="appliance labnode bot",
        )
        hub = self.ensure_hub()
        if hub is not None:
            hub.add_bot(member.uuid, name)
            self._push_participant_media(member)
        self._refresh()
        return member

    # --- conference-level state ---------------------------------------------------

    def status(self) -> dict[str, Any]:
        status = ConferenceStatus(
            locked=self.locked,
            guests_muted=self.guests_muted,
            started=self.started,
            direct_media=self.room.direct_media,
            guests_can_unmute=self.guests_can_unmute,
            guests_can_present=self.room.guests_can_present,
            presentation_allowed=True,
            classification=self.classification(),
        )
        return status.to_wire()

    def classification(self) -> dict[str, Any] | None:
        if self.classification_level is None:
            return None
        return {"current": self.classification_level, "levels": dict(self.room.classification_levels)}

    def set_locked(self, locked: bool) -> None:
        """Lock or unlock; unlocking lets in everyone the lock was holding."""
        if self.locked == locked:
            return
        self.locked = locked
        self._conference_changed()
        if not locked:
            for member in list(self.members.values()):
                if member.waiting is Waiting.LOCKED:
                    self.admit_waiting(member)

    def set_guests_muted(self, muted: bool) -> None:
        self.guests_muted = muted
        for member in self.members.values():
            if member.participant.role is not Role.GUEST:
                continue
            member.muted_by_host = muted
            if member.participant.is_muted != muted:
                member.participant.is_muted = muted
                self._updated(member)
        self._conference_changed()

    def set_guests_can_unmute(self, setting: bool) -> None:
        self.guests_can_unmute = setting
        self._conference_changed()

    def start(self) -> None:
        """Let Guests waiting for a Host in (``start_conference`` or a Host's media)."""
        if self.started:
            return
        self.started = True
        self._conference_changed()
        for member in list(self.members.values()):
            if member.waiting is Waiting.FOR_HOST:
                self.admit_waiting(member)

    def admit_waiting(self, member: Member) -> None:
        """Let a held participant in; a Guest of a room not yet started goes on waiting for a Host."""
        if member.waiting is None:
            return
        if member.participant.role is Role.GUEST and not self.started:
            member.waiting = Waiting.FOR_HOST
            return
        member.waiting = None
        member.participant.service_type = ServiceType.CONFERENCE.value
        self._updated(member)

    def set_classification(self, level: int) -> None:
        if self.classification_level is None or str(level) not in self.room.classification_levels:
            raise ApiError(400, f"Unknown classification level: {level}")
        self.classification_level = level
        self._conference_changed()

    def transform_layout(self, transforms: dict[str, Any]) -> None:
        try:
            self.transforms = layout.merge_transforms(
                self.transforms, transforms, auditorium=self.room.auditorium
            )
        except layout.TransformError as exc:
            raise ApiError(400, str(exc)) from None
        self._refresh()

    def disconnect_all(self) -> None:
        # Guests first: were the Hosts to go first, a room whose Guests leave
        # with the last Host would tell them the Hosts departed, not the truth.
        for member_uuid in sorted(self.members, key=lambda u: self.members[u].is_host):
            member = self.members.get(member_uuid)
            if member is not None and member.kind is not Kind.BOT:
                self.remove(member_uuid, CONFERENCE_ENDED)

    def message(self, sender: Member, mime_type: str, payload: str, target: Member | None = None) -> None:
        if not self.room.chat_enabled:
            raise ApiError(403, "Chat is disabled in this conference")
        body = {
            "origin": sender.participant.display_name,
            "uuid": sender.uuid,
            "type": mime_type,
            "payload": payload,
            "direct": target is not None,
        }
        if target is not None:
            target.send(SentEvent("message_received", body))
        else:
            self._broadcast(SentEvent("message_received", body), exclude=sender.uuid)

    # --- participant state -----------------------------------------------------

    def update(self, member: Member, **changes: Any) -> None:
        """Set participant fields and, if any changed, send ``participant_update``."""
        changed = False
        for name, value in changes.items():
            if getattr(member.participant, name) != value:
                setattr(member.participant, name, value)
                changed = True
        if changed:
            self._updated(member)

    def set_role(self, member: Member, role: Role) -> None:
        if member.participant.role is role:
            return
        member.participant.role = role
        if role is Role.HOST and member.waiting is Waiting.FOR_HOST:
            member.waiting = None
            member.participant.service_type = ServiceType.CONFERENCE.value
        self._updated(member)

    def clear_all_buzz(self) -> None:
        for member in self.members.values():
            if member.participant.buzz_time:
                self.update(member, buzz_time=0.0)

    def now(self) -> float:
        return self._now()

    # --- media -------------------------------------------------------------------

    @property
    def media_enabled(self) -> bool:
        return self._hub_factory is not None

    def ensure_hub(self) -> MediaHub | None:
        """The media hub, made now if this is the first media in the room."""
        if self.hub is None and self._hub_factory is not None:
            self.hub = self._hub_factory(self)
            if self.presentation.presenter is not None:
                self.hub.set_presenter(self.presentation.presenter)
        return self.hub

    def call_added(
        self,
        member: Member,
        call_uuid: str,
        media_type: str,
        *,
        protocol: str = "webrtc",
        streaming: bool = False,
    ) -> None:
        member.calls.add(call_uuid)
        self.update(
            member,
            has_media=True,
            protocol=protocol,
            is_streaming_conference=streaming,
            is_video_call=media_type != "audio",
            is_audio_only_call=media_type == "audio",
        )
        if member.is_host and member.in_conference and not self.started:
            self.start()
        self._refresh()

    def call_removed(self, member: Member, call_uuid: str, reason: str | None = None) -> None:
        if call_uuid not in member.calls:
            return
        member.calls.discard(call_uuid)
        member.ended_calls.add(call_uuid)
        if reason is not None:
            member.send(SentEvent("call_disconnected", {"call_uuid": call_uuid, "reason": reason}))
        if not member.calls:
            if self.presentation.presenter == member.uuid:
                self.presentation.release(member)
            self.update(
                member,
                has_media=False,
                is_video_call=False,
                is_audio_only_call=False,
                is_streaming_conference=False,
            )

    def find_call(self, call_uuid: str) -> Member | None:
        for member in self.members.values():
            if call_uuid in member.calls:
                return member
        return None

    def on_voice_activity(self, participant_uuid: str, speaking: bool) -> None:
        member = self.members.get(participant_uuid)
        if member is None or member.speaking == speaking:
            return
        member.speaking = speaking
        member.participant.last_spoken_time = self._now()
        self._refresh()

    def on_presentation_still(self, jpeg: bytes, high_jpeg: bytes) -> None:
        self.presentation.new_still(jpeg, high_jpeg)

    def on_call_closed(self, call_uuid: str, reason: str) -> None:
        member = self.find_call(call_uuid)
        if member is not None:
            self.call_removed(member, call_uuid, reason)

    async def close(self) -> None:
        for member in self.members.values():
            member.gone = True
            member.close_streams(abrupt=True)
        self.members.clear()
        self.direct.shutdown()
        if self.hub is not None:
            await self.hub.close()

    # --- event fan-out ---------------------------------------------------------

    def broadcast(self, event: SentEvent, *, exclude: str | None = None) -> None:
        self._broadcast(event, exclude=exclude)

    def _broadcast(self, event: SentEvent, *, exclude: str | None = None) -> None:
        for member in list(self.members.values()):
            if member.uuid != exclude:
                member.send(event)

    def _updated(self, member: Member) -> None:
        self._broadcast(SentEvent("participant_update", member.participant.to_wire()))
        self._push_participant_media(member)
        self._refresh()

    def _conference_changed(self) -> None:
        self._broadcast(SentEvent("conference_update", self.status()))
        self._refresh()

    def _media_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.in_conference and m.has_media]

    def _order(self) -> list[str]:
        return layout.speaker_order(
            layout.Speaker(
                uuid=m.uuid,
                spotlight=m.participant.spotlight,
                speaking=m.speaking,
                last_spoken_time=m.participant.last_spoken_time,
                start_time=m.participant.start_time,
            )
            for m in self._media_members()
        )

    def _stage(self) -> list[dict[str, Any]]:
        return layout.stage(self._order(), (m.uuid for m in self._media_members() if m.speaking))

    def _layout_for(self, member: Member, order: list[str]) -> dict[str, Any]:
        view = layout.view_for(self.transforms, member.participant.role, self.room.layout)
        return layout.layout_event(
            view=view,
            order=order,
            listener=member.uuid,
            listener_has_media=member.has_media,
            transforms=self.transforms,
            default=self.room.layout,
        )

    def _splash_for(self, member: Member) -> dict[str, Any] | None:
        if member.waiting is not None:
            return {"screen_key": "direct_media_waiting_for_host", "display_duration": 0}
        others = [m for m in self.members.values() if m is not member and m.in_conference]
        if not others:
            return {"screen_key": "direct_media_welcome", "display_duration": 0}
        return None

    def _refresh(self) -> None:
        order = self._order()
        for member in list(self.members.values()):
            if not member.streams:
                continue
            body = self._layout_for(member, order)
            if body != member.last_layout:
                member.last_layout = body
                member.send(SentEvent("layout", body))
            if self.room.direct_media:
                splash = self._splash_for(member)
                if splash != member.last_splash:
                    member.last_splash = splash
                    member.send(SentEvent("splash_screen", splash))
        stage_body = layout.stage(order, (m.uuid for m in self._media_members() if m.speaking))
        if stage_body != self._last_stage:
            self._last_stage = stage_body
            self._broadcast(SentEvent("stage", stage_body))
        if self.room.direct_media:
            self.direct.reconcile()
        self._push_mixes(order)

    def _push_mixes(self, order: list[str]) -> None:
        if self.hub is None:
            return
        texts = {m.uuid: m.participant.overlay_text for m in self.members.values()}
        for member in self.members.values():
            if not member.calls:
                continue
            view = layout.view_for(self.transforms, member.participant.role, self.room.layout)
            self.hub.set_mix(
                member.uuid,
                layout.mix_state(
                    view=view,
                    order=order,
                    listener=member.uuid,
                    overlay_texts=texts,
                    transforms=self.transforms,
                ),
            )

    def _push_participant_media(self, member: Member) -> None:
        if self.hub is None or not (member.calls or member.kind is not Kind.CLIENT):
            return
        self.hub.set_participant_media(
            member.uuid,
            audio_muted=member.participant.is_muted,
            video_muted=member.participant.is_video_muted,
            receives_presentation=member.participant.rx_presentation_policy,
            in_conference=member.in_conference,
        )
