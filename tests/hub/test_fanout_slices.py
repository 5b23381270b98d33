"""A big topic's fan-out lets the event loop run between slices of sockets (hub.realtime,
issue 16): every socket still gets every frame, in order, and a socket that leaves during a
pause is not written."""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer

from hub import realtime
from hub.realtime import EVENT_MESSAGE_TYPE, FanoutRegistry, Subscriber, encode_event

GROUP = "forum.thread.1"


def layer_message(n: int) -> dict:
    event = {"type": "post.hidden", "id": n, "number": n, "state": "hidden"}
    return {"type": EVENT_MESSAGE_TYPE, "text": encode_event(event), "event": event["type"], "id": n}


async def test_other_work_runs_between_slices_and_each_socket_keeps_the_order(monkeypatch):
    monkeypatch.setattr(realtime, "FANOUT_SLICE", 10)
    layer = InMemoryChannelLayer()
    registry = FanoutRegistry(layer, asyncio.get_running_loop())
    registry.relays = False
    received: dict[int, list[str]] = {n: [] for n in range(35)}
    # Where in the first fan-out the other task ran: it must have run before the last socket.
    writes: list[str] = []
    done = asyncio.Event()

    def writer(n: int):
        async def send(frame: dict) -> None:
            received[n].append(frame["text"])
            writes.append(f"socket {n}")
            if n == 34 and len(received[n]) == 3:
                done.set()

        return send

    subscribers = [Subscriber(writer(n)) for n in range(35)]
    for subscriber in subscribers:
        await registry.subscribe(GROUP, subscriber)
        await subscriber.go_live()

    async def other_work() -> None:
        writes.append("other work")

    # The first slice's last write schedules the other work, as a vote would arrive.
    first_send = subscribers[5].send

    async def send_and_schedule(frame: dict) -> None:
        await first_send(frame)
        if len(received[5]) == 1:
            asyncio.get_running_loop().create_task(other_work())

    subscribers[5].send = send_and_schedule
    for n in (1, 2, 3):
        await layer.group_send(GROUP, layer_message(n))
    await asyncio.wait_for(done.wait(), timeout=5)

    expected = [layer_message(n)["text"] for n in (1, 2, 3)]
    assert all(frames == expected for frames in received.values())
    first_round = writes[: writes.index("socket 34") + 1]
    assert "other work" in first_round  # it did not wait for the 35 sockets
    assert first_round.index("other work") > first_round.index("socket 9")  # a slice is whole
    await registry.close()


async def test_a_socket_that_leaves_during_a_pause_is_not_written(monkeypatch):
    monkeypatch.setattr(realtime, "FANOUT_SLICE", 2)
    layer = InMemoryChannelLayer()
    registry = FanoutRegistry(layer, asyncio.get_running_loop())
    registry.relays = False
    written: list[int] = []
    done = asyncio.Event()
    subscribers: list[Subscriber] = []

    def writer(n: int):
        async def send(frame: dict) -> None:
            written.append(n)
            if n == 0:
                # Leaves while the fan-out is under way: after the first slice's pause it is gone.
                asyncio.get_running_loop().create_task(registry.unsubscribe(subscribers[3]))
            if n == 4:
                done.set()

        return send

    subscribers.extend(Subscriber(writer(n)) for n in range(5))
    for subscriber in subscribers:
        await registry.subscribe(GROUP, subscriber)
        await subscriber.go_live()
    await layer.group_send(GROUP, layer_message(1))
    await asyncio.wait_for(done.wait(), timeout=5)

    assert written == [0, 1, 2, 4]
    await registry.close()
