"""Service characters (UNA) and character sets (UNB syntax identifier).

Owns the rules for *which* delimiters and *which* text encoding an interchange uses,
so the tokenizer, the envelope reader and the writer all agree on them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from gateway.edifact.errors import EdifactDataError

#: UNOB's default separators are the ISO 646 information separators, not printable.
_IS1, _IS3, _IS4 = "\x1f", "\x1d", "\x1c"


@dataclass(frozen=True, slots=True)
class ServiceChars:
    """The six UNA characters; ``repetition`` is ``None`` when none is in force."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str | None = "?"
    repetition: str | None = None
    terminator: str = "'"

    @property
    def newline_terminated(self) -> bool:
        """True when segments end at line breaks instead of a terminator character."""
        return self.terminator in ("\n", "\r")

    def una(self) -> str:
        """Return the UNA service string advice for these characters."""
        return (
            f"UNA{self.component}{self.element}{self.decimal}{self.release or ' '}"
            f"{self.repetition or ' '}{self.terminator}"
        )

    def with_repetition(self, repetition: str | None) -> ServiceChars:
        """Return a copy with another repetition separator."""
        return ServiceChars(
            self.component, self.element, self.decimal, self.release, repetition, self.terminator
        )

    def check(self) -> None:
        """Raise :class:`EdifactDataError` (code 20) when the characters clash."""
        used = [self.component, self.element, self.terminator]
        if self.release:
            used.append(self.release)
        if self.repetition:
            used.append(self.repetition)
        if len(set(used)) != len(used):
            raise EdifactDataError(
                f"service characters are not distinct: {self.una()!r}", code="20"
            )
        for ch in [*used, self.decimal]:
            if not ch.isascii():
                # one byte in every character set, including UTF-8 (UNOW/UNOY)
                raise EdifactDataError(f"service character {ch!r} is not ASCII", code="20")
            if ch.isalnum():
                raise EdifactDataError(
                    f"letter or digit {ch!r} cannot be a service character", code="20"
                )
        for ch in used[:2] + used[3:]:
            # line breaks are formatting (or the terminator); they cannot separate data
            if ch in "\r\n ":
                raise EdifactDataError(
                    f"{ch!r} cannot be a separator or release character", code="20"
                )


DEFAULT_CHARS = ServiceChars()
UNOB_DEFAULT_CHARS = ServiceChars(
    component=_IS1, element=_IS3, decimal=".", release=None, terminator=_IS4
)


def parse_una(una: str) -> ServiceChars:
    """Read the 9-character ``UNA......`` string advice.

    Position 5 (repetition separator in syntax 4, reserved in earlier versions) is kept
    here; :func:`effective_chars` drops it again for syntax versions below 4. A space in
    the release position means "no release character", as ISO 9735 allows.
    """
    if len(una) != 9 or not una.startswith("UNA"):
        raise EdifactDataError(f"UNA must be 9 characters, got {una!r}", code="20")
    comp, elem, dec, rel, rep, term = (una[i] for i in range(3, 9))
    chars = ServiceChars(
        component=comp,
        element=elem,
        decimal=dec,
        release=None if rel == " " else rel,
        repetition=None if rep == " " else rep,
        terminator=term,
    )
    chars.check()
    return chars


def effective_chars(chars: ServiceChars, syntax_version: str, *, from_una: bool) -> ServiceChars:
    """Apply the syntax version: the repetition separator only exists from version 4.

    Without UNA, version 4 defaults to ``*``; with UNA before version 4 the fifth
    position is "reserved" and whatever is there is data, not a separator.
    """
    if syntax_version >= "4":
        if not from_una and chars.repetition is None and chars.element == "+":
            return chars.with_repetition("*")
        return chars
    return chars.with_repetition(None) if chars.repetition else chars


#: UNB S001 0001 syntax identifier -> Python codec. UNOA/UNOB are subsets of ASCII.
CHARSETS: dict[str, str] = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "iso-8859-1",
    "UNOD": "iso-8859-2",
    "UNOE": "iso-8859-5",
    "UNOF": "iso-8859-7",
    "UNOG": "iso-8859-3",
    "UNOH": "iso-8859-4",
    "UNOI": "iso-8859-6",
    "UNOJ": "iso-8859-8",
    "UNOK": "iso-8859-9",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}


def codec_for(syntax_id: str) -> str | None:
    """Return the codec for a syntax identifier, or None when we do not know it."""
    return CHARSETS.get(syntax_id.upper())


#: ISO 9735 syntax level A (UNOA): upper-case letters, digits, space and these marks;
#: level B (UNOB) adds the lower-case letters. Syntax 4 defines both as the basic code
#: table of ISO 646 without its national and alternative allocations, which also has
#: the low line ``_``. No level has control characters (C0, DEL, C1) in data.
_LEVEL_A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
#: control characters (C0, DEL, C1): no syntax identifier allows them in data
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


@functools.lru_cache(maxsize=32)
def invalid_data_chars(syntax_id: str, syntax_version: str) -> re.Pattern[str]:
    """A pattern that finds the first character data cannot hold in this character set.

    UNOA and UNOB allow their repertoire only; every other set allows all it can
    encode except control characters (a line break in data is lost when read back).
    """
    level = syntax_id.upper()
    if level not in ("UNOA", "UNOB"):
        return CONTROLS
    allowed = _LEVEL_A + (_LOWER if level == "UNOB" else "")
    if syntax_version >= "4":
        allowed += "_"
    return re.compile("[^" + re.escape(allowed) + "]")
