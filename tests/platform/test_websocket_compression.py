"""WEBSOCKET_COMPRESSION decides what the websocket layer answers to a browser's offer of
permessage-deflate (app/common/websocket.py; docs/deployment.md says why it is off)."""

from __future__ import annotations

import pytest
import simple_websocket.ws
from wsproto.extensions import PerMessageDeflate
from wsproto.handshake import server_extensions_handshake

from app.common import websocket

BROWSER_OFFER = "permessage-deflate; client_max_window_bits"


def answer_to_a_browser() -> bytes | None:
    """What the server says back to Chrome's offer (simple-websocket builds the extension
    with no arguments when it accepts a connection)."""
    return server_extensions_handshake([BROWSER_OFFER], [simple_websocket.ws.PerMessageDeflate()])


@pytest.fixture
def restore():
    yield
    websocket.configure("off")


def test_off_by_default_declines_the_offer(app, restore):
    assert app.config["WEBSOCKET_COMPRESSION"] == "off"  # (the app made with it is configured)
    assert answer_to_a_browser() is None  # no extension: every message travels as it is


def test_stateless_keeps_nothing_between_messages(restore):
    websocket.configure("stateless")
    answer = answer_to_a_browser().decode()
    assert answer.startswith("permessage-deflate")
    assert "server_no_context_takeover" in answer and "client_no_context_takeover" in answer


def test_on_is_the_librarys_own_answer(restore):
    websocket.configure("on")
    answer = answer_to_a_browser().decode()
    assert answer.startswith("permessage-deflate") and "no_context_takeover" not in answer


def test_a_mode_that_does_not_exist_is_refused(restore):
    with pytest.raises(ValueError, match="WEBSOCKET_COMPRESSION"):
        websocket.configure("maybe")


def _connected_pair():
    """A wsproto client (offering as a browser does) and a server accepted as this process
    accepts: what travels between them, byte for byte."""
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request

    client, server = WSConnection(ConnectionType.CLIENT), WSConnection(ConnectionType.SERVER)
    offer = PerMessageDeflate(client_max_window_bits=15)
    server.receive_data(client.send(Request(host="x", target="/", extensions=[offer])))
    list(server.events())
    client.receive_data(server.send(AcceptConnection(extensions=[simple_websocket.ws.PerMessageDeflate()])))
    list(client.events())
    return client, server


def _sent(server, client, text: str) -> tuple[bytes, str]:
    from wsproto.events import TextMessage

    wire = server.send(TextMessage(data=text))
    client.receive_data(wire)
    return wire, "".join(e.data for e in client.events())


def test_small_caps_both_windows_at_512_bytes(restore):
    websocket.configure("small")
    answer = answer_to_a_browser().decode()
    assert "server_max_window_bits=9" in answer and "client_max_window_bits=9" in answer
    client, server = _connected_pair()
    text = "กรุงเทพมหานคร " * 300
    wire, got = _sent(server, client, text)
    assert got == text and len(wire) < len(text.encode()) // 5  # (still compressed)


def test_large_sends_short_messages_as_they_are_and_compresses_long_ones(restore):
    websocket.configure("large")
    answer = answer_to_a_browser().decode()
    assert "server_no_context_takeover" in answer and "client_no_context_takeover" in answer
    client, server = _connected_pair()
    short = '42["answer",{"ok":true,"seq":7}]'
    wire, got = _sent(server, client, short)
    assert got == short and wire[0] & 0x40 == 0 and short.encode() in wire  # RSV1 clear: as it is
    long = '42["started",{"stem":"' + "ข้อสอบ " * 400 + '"}]'
    wire, got = _sent(server, client, long)
    assert got == long and wire[0] & 0x40 and len(wire) < len(long.encode()) // 5
    wire, got = _sent(server, client, short)  # and back to plain after a compressed one
    assert got == short and wire[0] & 0x40 == 0
