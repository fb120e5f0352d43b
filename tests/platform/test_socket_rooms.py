"""Socket.IO's rooms with each connection's rooms indexed (app/common/socket_rooms.py): the
same bookkeeping as the library's, without looking through every room on a disconnect."""

from __future__ import annotations

import random

import socketio

from app.common.socket_rooms import IndexedManager, IndexedRedisManager, client_manager

NAMESPACES = ("/exam", "/proctor")


def _state(manager) -> dict:
    return {
        ns: {room: dict(members) for room, members in rooms.items()} for ns, rooms in manager.rooms.items()
    }


def test_the_indexed_manager_keeps_the_same_rooms_as_the_librarys():
    """The same random sequence of connects, joins, leaves, room closings and disconnects on
    both managers ends in the same rooms, pending sets and callbacks, and each connection's
    rooms are the same by `get_rooms`."""
    rng = random.Random(20)
    stock, indexed = socketio.Manager(), IndexedManager()
    connected: list[tuple[str, str]] = []
    rooms = [f"attempt-{i}" for i in range(8)] + ["sitting-1", "proctor-1"]
    for step in range(3000):
        op = rng.random()
        if op < 0.3 or not connected:
            ns, sid = rng.choice(NAMESPACES), f"sid-{step}"
            for manager in (stock, indexed):
                manager.basic_enter_room(sid, ns, None, eio_sid=f"eio-{step}")
                manager.basic_enter_room(sid, ns, sid, eio_sid=f"eio-{step}")
                manager.pending_connect.setdefault(ns, set()).add(sid)
                manager.callbacks[sid] = {0: iter(())}
            connected.append((ns, sid))
        elif op < 0.6:
            ns, sid = rng.choice(connected)
            room = rng.choice(rooms)
            for manager in (stock, indexed):
                manager.basic_enter_room(sid, ns, room)
        elif op < 0.75:
            ns, sid = rng.choice(connected)
            room = rng.choice(rooms)
            for manager in (stock, indexed):
                manager.basic_leave_room(sid, ns, room)
        elif op < 0.78:
            ns, room = rng.choice(NAMESPACES), rng.choice(rooms)
            for manager in (stock, indexed):
                manager.basic_close_room(room, ns)
        else:
            ns, sid = connected.pop(rng.randrange(len(connected)))
            for manager in (stock, indexed):
                manager.basic_disconnect(sid, ns)
        if step % 100 == 0:
            assert _state(stock) == _state(indexed)
    assert _state(stock) == _state(indexed)
    assert stock.pending_connect == indexed.pending_connect
    assert stock.callbacks.keys() == indexed.callbacks.keys()
    for ns, sid in connected:
        assert sorted(stock.get_rooms(sid, ns)) == sorted(indexed.get_rooms(sid, ns))
    # Nothing is left indexed for the connections that went.
    assert set(indexed.rooms_of) == {(ns, sid) for ns, sid in connected}


def test_a_disconnect_looks_only_at_its_own_rooms():
    """With thousands connected, each in a room of their own, a disconnect does not walk the
    namespace's rooms (the library's copies them all: counted here by the dict's copy)."""
    manager = IndexedManager()
    for i in range(2000):
        sid = f"s{i}"
        manager.basic_enter_room(sid, "/exam", None, eio_sid=f"e{i}")
        manager.basic_enter_room(sid, "/exam", sid, eio_sid=f"e{i}")
        manager.basic_enter_room(sid, "/exam", f"attempt-{i}")

    class NoCopy(dict):
        def copy(self):
            raise AssertionError("a disconnect walked every room")

        def items(self):
            raise AssertionError("a disconnect walked every room")

    manager.rooms["/exam"] = NoCopy(manager.rooms["/exam"])
    for i in range(2000):
        manager.basic_disconnect(f"s{i}", "/exam")
    assert "/exam" not in manager.rooms and manager.rooms_of == {}


def test_the_app_uses_the_indexed_managers(app):
    assert isinstance(app.extensions["socketio"].server.manager, IndexedManager)
    assert isinstance(client_manager("redis://127.0.0.1:6379/0", "bma-test"), IndexedRedisManager)
    assert client_manager("amqp://guest@127.0.0.1//", "bma-test") is None  # (the library's own)
