"""How the websocket layer compresses its messages (permessage-deflate, RFC 7692), from
`WEBSOCKET_COMPRESSION`: browsers offer it on every connection, and the layer under
Flask-SocketIO (simple-websocket on wsproto) accepts with a compressor and a decompressor kept
per connection for its whole life, about half of what a connected candidate costs in memory
(docs/deployment.md, "Websocket compression", has the measurements behind the default).

- ``off``: the offer is declined; messages travel as they are (ours are a few hundred bytes).
- ``stateless``: accepted without context takeover either way, so each message is compressed
  on its own and nothing is kept between messages.
- ``small``: accepted with small windows (512 bytes each way, the least RFC 7692 allows) and
  a compressor of the least memory zlib has (memLevel 1), kept for the connection's life.
- ``large``: accepted without context takeover either way (as ``stateless``), and only
  messages of at least LARGE_MESSAGE bytes are compressed (a join's state, the start's
  message with its first question); the others travel as they are (RFC 7692 allows an
  uncompressed message on a compressed connection: its RSV1 bit is clear).
- ``on``: accepted as the library does by default (a 32 KB window each way, kept).
"""

from __future__ import annotations

import zlib

import simple_websocket.ws
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import Opcode, RsvBits

MODES = ("off", "stateless", "small", "large", "on")
# ``large``: messages shorter than this travel uncompressed (ours: acks and questions of a few
# hundred bytes; a state or a start message is several KB).
LARGE_MESSAGE = 1024


class _Declined(PerMessageDeflate):
    def accept(self, offer: str):
        return None  # (wsproto: no agreement, the connection goes on uncompressed)


class _Stateless(PerMessageDeflate):
    def __init__(self) -> None:
        super().__init__(client_no_context_takeover=True, server_no_context_takeover=True)


class _Small(PerMessageDeflate):
    BITS = 9  # (RFC 7692's least window: 512 bytes)

    def __init__(self) -> None:
        super().__init__(server_max_window_bits=self.BITS)

    def accept(self, offer: str):
        answer = super().accept(offer)
        if answer is None:
            return None
        parts = [p for p in str(answer).split("; ") if p and not p.startswith("server_max_window_bits")]
        parts.append(f"server_max_window_bits={self.BITS}")
        # The client's window can be capped only when it offered to be (browsers do).
        if "client_max_window_bits" in offer:
            parts = [p for p in parts if not p.startswith("client_max_window_bits")]
            parts.append(f"client_max_window_bits={self.BITS}")
            self.client_max_window_bits = self.BITS
        self.server_max_window_bits = self.BITS
        return "; ".join(parts)

    def frame_outbound(self, proto, opcode, rsv, data, fin):
        if (
            self._compressor is None
            and self._compressible_opcode(opcode)
            and opcode is not Opcode.CONTINUATION
        ):
            # (wsproto's own compressor has zlib's default memLevel 8: ~256 KB of tables)
            self._compressor = zlib.compressobj(1, zlib.DEFLATED, -self.BITS, 1)
        return super().frame_outbound(proto, opcode, rsv, data, fin)


class _Large(_Stateless):
    def __init__(self) -> None:
        super().__init__()
        self._plain = False  # (the message under way is sent uncompressed)

    def frame_outbound(self, proto, opcode, rsv, data, fin):
        if opcode is not Opcode.CONTINUATION and self._compressible_opcode(opcode):
            self._plain = len(data) < LARGE_MESSAGE
        if self._plain and self._compressible_opcode(opcode):
            return (RsvBits(False, rsv[1], rsv[2]), data)
        return super().frame_outbound(proto, opcode, rsv, data, fin)


def configure(mode: str) -> None:
    """Make every websocket this process accepts from now on compress as `mode` says."""
    if mode not in MODES:
        raise ValueError(f"WEBSOCKET_COMPRESSION must be one of {', '.join(MODES)}, not {mode!r}")
    # simple-websocket names the extension it offers wsproto when it accepts a connection.
    simple_websocket.ws.PerMessageDeflate = {
        "off": _Declined,
        "stateless": _Stateless,
        "small": _Small,
        "large": _Large,
        "on": PerMessageDeflate,
    }[mode]
