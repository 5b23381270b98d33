"""The process fan-out drops a socket it cannot write to (bench/fanout.py, issue 16).

Daphne closes a handshake that took too long while the consumer's connect is still running;
the consumer goes live and is written to before its disconnect arrives. Such a socket must
be written (and logged) once, not on every later event.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from hub.realtime import EVENT_MESSAGE_TYPE, FanoutRegistry, Subscriber, encode_event


def layer_message(event: dict) -> dict:
    return {
        "type": EVENT_MESSAGE_TYPE,
        "text": encode_event(event),
        "event": event["type"],
        "id": event.get("id"),
    }


@pytest.mark.parametrize("variants", [False, True])
async def test_a_socket_that_cannot_be_written_is_dropped_after_the_first_failure(variants):
    layer = InMemoryChannelLayer()
    registry = FanoutRegistry(layer, asyncio.get_running_loop())
    registry.relays = False  # no relay table in this test: the layer is the only source
    closed_writes: list[str] = []
    frames: list[str] = []
    got_two = asyncio.Event()

    async def closed(frame: dict) -> None:
        closed_writes.append(frame["text"])
        raise ConnectionError("Attempt to send on a closed protocol")

    async def open_socket(frame: dict) -> None:
        frames.append(frame["text"])
        if len(frames) == 2:
            got_two.set()

    dead, alive = Subscriber(closed), Subscriber(open_socket)
    for subscriber in (dead, alive):
        await registry.subscribe("forum.thread.1", subscriber)
        await subscriber.go_live()

    events = [{"type": "post.hidden", "id": n, "number": n, "state": "hidden"} for n in (1, 2)]
    for event in events:
        message = layer_message(event)
        if variants:
            message = {**message, "variants": {"*": message.pop("text")}}
        await layer.group_send("forum.thread.1", message)
    await asyncio.wait_for(got_two.wait(), timeout=5)

    assert frames == [encode_event(event) for event in events]
    assert closed_writes == [encode_event(events[0])]  # tried once, then dropped
    assert dead.topics == set()
    assert list(registry.topics["forum.thread.1"].subscribers) == [alive]
    await registry.close()
    assert registry.topics == {}
