"""Decoding segment text by the character set the UNB syntax identifier declares.

The reader cuts segments on Latin-1 text (one character per byte, so offsets stay
exact); :class:`Decoder` then turns each segment into the declared character set. It
is lenient, as partners are: UNOA/UNOB text with bytes outside ASCII is read as UTF-8
when it is valid UTF-8 (the common real-world mistake) and as ISO-8859-1 otherwise;
bytes that do not decode in the declared set are read as ISO-8859-1. Either way one
warning (CONTRL code 21, not fatal) is recorded per interchange.
"""

from __future__ import annotations

from gateway.edi.model import Issue, Level
from gateway.edifact import codes


class Decoder:
    """Turns Latin-1 segment text into the declared character set, leniently."""

    __slots__ = ("ascii", "codec", "identity", "issues", "reported", "used")

    def __init__(self, codec: str, issues: list[Issue]) -> None:
        self.codec = codec
        self.used = codec
        self.identity = codec == "iso-8859-1"
        self.ascii = codec == "ascii"
        self.issues = issues
        self.reported = False

    def __call__(self, text: str, offset: int) -> str:
        if self.identity:
            return text
        if self.ascii:
            if text.isascii():
                return text
            raw = text.encode("latin-1")
            try:
                decoded = raw.decode("utf-8")
                how = "UTF-8"
            except UnicodeDecodeError:
                decoded = text
                how = "ISO-8859-1"
            self._warn(offset, f"bytes outside the declared ASCII character set; read as {how}")
            return decoded
        try:
            return text.encode("latin-1").decode(self.codec)
        except UnicodeDecodeError as exc:
            self._warn(
                offset, f"bytes do not decode as {self.codec} ({exc.reason}); read as ISO-8859-1"
            )
            self.used = "iso-8859-1"
            return text

    def _warn(self, offset: int, message: str) -> None:
        if not self.reported:
            self.reported = True
            self.issues.append(
                Issue(
                    level=Level.INTERCHANGE,
                    code=codes.INVALID_CHARACTERS,
                    message=message,
                    fatal=False,
                    byte_offset=offset,
                )
            )
