"""A real python-socketio client against the running test server (the `live_server` fixture,
websocket transport over loopback), as the /exam and /panel live tests use it: it logs in over
HTTP, keeps the events it receives, and can lose the network without a goodbye."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import requests
import socketio as sio_client


def logged_in_cookie(base: str, email: str, password: str) -> str:
    """The Cookie header of a session logged in through the login form."""
    http = requests.Session()
    r = http.post(
        f"{base}/accounts/login",
        data={"email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text[:300]
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class LiveClient:
    """A test-side client of one namespace that keeps the events it is told to listen for."""

    def __init__(self, base: str, cookie: str, namespace: str, events: Iterable[str]):
        self.base, self.cookie, self.namespace = base, cookie, namespace
        self.client = sio_client.Client(reconnection=False)
        self.received: list[tuple[str, dict]] = []
        for name in events:
            self.client.on(name, self._keep(name), namespace=namespace)

    def _keep(self, name):
        def handler(data=None):
            self.received.append((name, data))

        return handler

    def connect(self):
        self.client.connect(
            self.base,
            namespaces=[self.namespace],
            transports=["websocket"],
            headers={"Cookie": self.cookie},
            wait_timeout=10,
        )
        return self

    def call(self, event, data):
        return self.client.call(event, data, namespace=self.namespace, timeout=10)

    def events(self, name):
        return [d for n, d in self.received if n == name]

    def drop(self):
        """The network goes away: no goodbye to the server. (The client library then waits
        about 3 s for its reader thread; let it do that in the background.)"""
        threading.Thread(target=self.client.eio.disconnect, kwargs={"abort": True}, daemon=True).start()

    def close(self):
        if self.client.connected:
            self.drop()


class LiveClients:
    """The connected clients a test opens, all closed by close_all() at its end."""

    def __init__(self, base: str, namespace: str, events: Iterable[str]):
        self.base, self.namespace, self.events = base, namespace, tuple(events)
        self.opened: list[LiveClient] = []

    def open(self, cookie: str) -> LiveClient:
        client = LiveClient(self.base, cookie, self.namespace, self.events).connect()
        self.opened.append(client)
        return client

    def close_all(self):
        for client in self.opened:
            client.close()


def wait_for(predicate, timeout=5.0):
    """Whether predicate() came true within `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False
