"""Mute and unmute: any participant on itself, a Host on anyone (docs/labnode.md, "Behaviour worth knowing").

``@pexip/infinity``'s ``mute()`` posts ``participants/{own uuid}/mute`` for
the local user, so a Guest must be allowed to; the one refusal is a Guest
lifting a Host's mute while the conference's ``guests_can_unmute`` is false.
"""

from __future__ import annotations

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


def _muted(node: LabNode, uuid: str) -> bool:
    return node.conference("pinned").members[uuid].participant.is_muted


async def test_guest_mute_on_itself_mutes_it(api: Api, node: LabNode) -> None:
    guest = await api.join("pinned", "Guest", pin="5678")
    status, _body = await guest.post(f"participants/{guest.uuid}/mute")
    assert status == 200
    assert _muted(node, guest.uuid)


async def test_guest_unmute_on_itself_after_its_own_mute_unmutes_it(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("set_guests_can_unmute", {"setting": False})
    await guest.post(f"participants/{guest.uuid}/mute")
    status, _body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert status == 200
    assert not _muted(node, guest.uuid)


async def test_guest_unmute_after_host_mute_is_403_while_guests_may_not_unmute(
    api: Api, node: LabNode
) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("set_guests_can_unmute", {"setting": False})
    await host.post(f"participants/{guest.uuid}/mute")
    status, body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert (status, body["status"]) == (403, "failed")
    assert _muted(node, guest.uuid)


async def test_guest_unmute_after_host_mute_succeeds_when_guests_may_unmute(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post(f"participants/{guest.uuid}/mute")
    status, _body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert status == 200
    assert not _muted(node, guest.uuid)


async def test_guest_unmute_on_another_is_403(api: Api) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post(f"participants/{host.uuid}/mute")
    status, _body = await guest.post(f"participants/{host.uuid}/unmute")
    assert status == 403


async def test_host_unmute_lifts_a_guests_mute_while_guests_may_not_unmute(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("set_guests_can_unmute", {"setting": False})
    await host.post(f"participants/{guest.uuid}/mute")
    status, _body = await host.post(f"participants/{guest.uuid}/unmute")
    assert status == 200
    assert not _muted(node, guest.uuid)


async def test_guest_may_unmute_itself_once_a_host_lifted_its_mute(api: Api, node: LabNode) -> None:
    host = await api.join("pinned", "Host", pin="1234")
    guest = await api.join("pinned", "Guest", pin="5678")
    await host.post("set_guests_can_unmute", {"setting": False})
    await host.post(f"participants/{guest.uuid}/mute")
    await host.post(f"participants/{guest.uuid}/unmute")
    await guest.post(f"participants/{guest.uuid}/mute")
    status, _body = await guest.post(f"participants/{guest.uuid}/unmute")
    assert status == 200
