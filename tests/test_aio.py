"""newest_items: a callback subscription read as a bounded async iterator."""

from __future__ import annotations

from collections.abc import Callable

from appliance.aio import newest_items


class Publisher:
    def __init__(self) -> None:
        self.listeners: list[Callable[[int], None]] = []

    def subscribe(self, listener: Callable[[int], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def publish(self, item: int) -> None:
        for listener in list(self.listeners):
            listener(item)


async def test_newest_items_sees_what_is_published_after_the_call_before_the_first_read() -> None:
    publisher = Publisher()
    items = newest_items(publisher.subscribe, maxsize=8)
    publisher.publish(1)
    assert await anext(items) == 1
    await items.aclose()  # type: ignore[attr-defined]


async def test_newest_items_drops_the_oldest_for_a_reader_that_falls_behind() -> None:
    publisher = Publisher()
    items = newest_items(publisher.subscribe, maxsize=2)
    for item in (1, 2, 3):
        publisher.publish(item)
    assert [await anext(items), await anext(items)] == [2, 3]
    await items.aclose()  # type: ignore[attr-defined]


async def test_newest_items_unsubscribes_when_the_iterator_is_closed() -> None:
    publisher = Publisher()
    items = newest_items(publisher.subscribe, maxsize=2)
    publisher.publish(1)
    await anext(items)
    await items.aclose()  # type: ignore[attr-defined]
    assert publisher.listeners == []
