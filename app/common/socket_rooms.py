"""Socket.IO's room bookkeeping with each connection's rooms indexed.

python-socketio keeps, per namespace, a map room -> connections, and no map the other way: a
connection's disconnect copies the namespace's whole room map and asks every room whether the
connection is in it. On the online test every candidate has a room of their own (their
attempt's) and one per connection (the library's), so one disconnect looks through ~2 rooms
per connected candidate, and a hall of thousands dropping at once (a network blip, a worker
restarted) costs the square of the hall: 2,500 disconnects looked through 5,000 rooms each,
about a tenth of the process's CPU during the reconnect storm (py-spy, issue 20,
docs/performance.md). Here each connection's rooms are also kept in a set, so its disconnect
and `get_rooms` touch only its own.

The library's map stays the one it reads and writes (emits, `get_participants`, the message
queue's handling are unchanged); the index follows every change made through the manager's
`basic_*` methods, which are the only ones that change the map. A test checks that the two
managers end in the same state after the same sequence of joins, leaves and disconnects
(tests/platform/test_socket_rooms.py), so a change of the library's bookkeeping shows there.
"""

from __future__ import annotations

import socketio


class IndexedRooms:
    """A mixin for a python-socketio manager (base or message-queue): `(namespace, sid)` ->
    the rooms the connection is in (its own and the `None` room of all connections too)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rooms_of: dict[tuple[str, str], set] = {}

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self.rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid, namespace, room):
        super().basic_leave_room(sid, namespace, room)
        rooms = self.rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.discard(room)
            if not rooms:
                del self.rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid, namespace, **kwargs):
        """As the library's, but leaving only the connection's own rooms."""
        if namespace not in self.rooms:
            return
        rooms = self.rooms_of.pop((namespace, sid), set())
        for room in sorted(rooms, key=lambda r: r is None):  # (the all-connections room last)
            super().basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def get_rooms(self, sid, namespace):
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]


class IndexedManager(IndexedRooms, socketio.Manager):
    """One process, no message queue."""


class IndexedRedisManager(IndexedRooms, socketio.RedisManager):
    """Processes joined by Redis (the `deploy/` layout)."""


def client_manager(message_queue: str | None, channel: str):
    """The manager for Flask-SocketIO's `client_manager`, or None to let Flask-SocketIO choose
    (a queue other than Redis, which we do not deploy: its manager is not indexed)."""
    if not message_queue:
        return IndexedManager()
    if message_queue.startswith(("redis://", "rediss://")):
        return IndexedRedisManager(message_queue, channel=channel)
    return None
