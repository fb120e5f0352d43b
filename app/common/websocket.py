"""How the websocket layer compresses its messages (permessage-deflate, RFC 7692), from
`WEBSOCKET_COMPRESSION`: browsers offer it on every connection, and the layer under
Flask-SocketIO (simple-websocket on wsproto) accepts with a compressor and a decompressor kept
per connection for its whole life, about half of what a connected candidate costs in memory
(docs/deployment.md, "Websocket compression", has the measurements behind the default).

- ``off``: the offer is declined; messages travel as they are (ours are a few hundred bytes).
- ``stateless``: accepted without context takeover either way, so each message is compressed
  on its own and nothing is kept between messages.
- ``on``: accepted as the library does by default (a 32 KB window each way, kept).
"""

from __future__ import annotations

import simple_websocket.ws
from wsproto.extensions import PerMessageDeflate

MODES = ("off", "stateless", "on")


class _Declined(PerMessageDeflate):
    def accept(self, offer: str):
        return None  # (wsproto: no agreement, the connection goes on uncompressed)


class _Stateless(PerMessageDeflate):
    def __init__(self) -> None:
        super().__init__(client_no_context_takeover=True, server_no_context_takeover=True)


def configure(mode: str) -> None:
    """Make every websocket this process accepts from now on compress as `mode` says."""
    if mode not in MODES:
        raise ValueError(f"WEBSOCKET_COMPRESSION must be one of {', '.join(MODES)}, not {mode!r}")
    # simple-websocket names the extension it offers wsproto when it accepts a connection.
    simple_websocket.ws.PerMessageDeflate = {
        "off": _Declined,
        "stateless": _Stateless,
        "on": PerMessageDeflate,
    }[mode]
