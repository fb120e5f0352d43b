"""WEBSOCKET_COMPRESSION decides what the websocket layer answers to a browser's offer of
permessage-deflate (app/common/websocket.py; docs/deployment.md says why it is off)."""

from __future__ import annotations

import pytest
import simple_websocket.ws
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
