"""Just enough MIME for AS2, working on exact bytes.

Signatures cover the bytes of a MIME entity as the sender wrote them, so nothing here
re-serializes what it parses: entities and multipart parts are slices of the input.
(The standard library's ``email`` package normalizes line endings and headers, which
breaks signature checks.) Line endings may be CRLF or bare LF; both are accepted.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import quopri
import re
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from gateway.as2.errors import MalformedMessage

MAX_HEADER_BYTES = 64 * 1024  # headers of one entity; a longer block is not a header block
MAX_PARTS = 64  # parts of one multipart entity; AS2 uses two or three
#: header values up to this length are parsed once and remembered; longer ones (no real
#: message has them) are parsed every time, so that a sender cannot park megabytes of
#: header in a module's cache for the life of the process
MAX_CACHED_VALUE = 1024

_R = TypeVar("_R")


class ShortValueCache(Generic[_R]):
    """A function of one header value (or None), remembered for values up to
    :data:`MAX_CACHED_VALUE` characters in an LRU cache (``cache``) of ``maxsize``."""

    def __init__(self, function: Callable[[str | None], _R], maxsize: int) -> None:
        self.function = function
        self.cache = functools.lru_cache(maxsize=maxsize)(function)
        functools.update_wrapper(self, function)

    def __call__(self, value: str | None) -> _R:
        if value is not None and len(value) > MAX_CACHED_VALUE:
            return self.function(value)
        return self.cache(value)


def short_value_cache(maxsize: int) -> Callable[[Callable[[Any], _R]], ShortValueCache[_R]]:
    """Decorate a parser of one header value with a :class:`ShortValueCache`."""
    return lambda function: ShortValueCache(function, maxsize)


_TOKEN_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', re.DOTALL)
_T = TypeVar("_T")


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only header mapping (first occurrence of a name wins)."""

    __slots__ = ("_map",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._map: dict[str, str] = {}
        for name, value in items:
            self._map.setdefault(name.lower(), value)

    @classmethod
    def from_asgi(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """An ASGI scope's headers (names already lower case, Latin-1), first name wins."""
        headers = cls()
        found = headers._map
        for name, value in raw:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        return headers

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> Headers:
        """``headers`` itself when it is a :class:`Headers` already, else a copy as one."""
        return headers if isinstance(headers, Headers) else cls(headers.items())

    def pick(self, names: Iterable[str]) -> dict[str, str]:
        """The values of those of ``names`` (lower case) that are present, in that order."""
        found = self._map
        return {name: found[name] for name in names if name in found}

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    # the dict's own views and lookup: Mapping's defaults go through __getitem__ per name
    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str | _T) -> str | _T: ...
    def get(self, name: str, /, default: object = None) -> object:
        return self._map.get(name.lower(), default)

    def items(self) -> ItemsView[str, str]:
        return self._map.items()


@dataclass(frozen=True, slots=True)
class Entity:
    """One MIME entity: its parsed headers, its body and the exact bytes it came from."""

    headers: Headers
    body: bytes
    raw: bytes

    @property
    def content_type(self) -> tuple[str, dict[str, str]]:
        """Media type (lower case) and its parameters (names lower case)."""
        return parse_content_type(self.headers.get("content-type", "text/plain"))


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=b; c="d"`` into ``("type/sub", {"a": "b", "c": "d"})``."""
    media, params = _parse_content_type(value)
    return media, dict(params)  # the caller's own copy: the parse is shared


@short_value_cache(256)  # one message asks for the same header several times
def _parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        # some products quote the whole header value, escaping the inner quotes
        value = value[1:-1].replace('\\"', '"')
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in _TOKEN_PARAM.finditer(";" + rest):
        name, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[name] = raw
    return media.strip().lower(), params


def parse_header_block(block: bytes) -> Headers:
    """Parse header lines (folded lines joined); names/values decoded as Latin-1."""
    items: list[tuple[str, str]] = []
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if not line.strip():
            continue
        text = line.decode("latin-1")
        if text[0] in " \t" and items:
            name, value = items[-1]
            items[-1] = (name, value + " " + text.strip())
            continue
        name, sep, value = text.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise MalformedMessage(f"not a MIME header line: {text[:80]!r}")
        items.append((name.strip(), value.strip()))
    return Headers(items)


def _header_end(data: bytes) -> tuple[int, int] | None:
    """(end of header block, start of body) or None when there is no blank line."""
    if data.startswith(b"\r\n"):
        return 0, 2
    if data.startswith(b"\n"):
        return 0, 1
    limit = min(len(data), MAX_HEADER_BYTES)
    best: tuple[int, int] | None = None
    pos = data.find(b"\r\n\r\n", 0, limit + 4)
    if pos >= 0:
        # the usual case: the bare-LF forms can only win before it, so only that much is
        # searched for them (a search for b"\n\n" through a 12 KB CRLF entity that has
        # none cost ~30 us, several times per message)
        best, limit = (pos, pos + 4), pos
    for sep in (b"\n\n", b"\n\r\n"):
        pos = data.find(sep, 0, limit + len(sep))
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, pos + len(sep))
    return best


def parse_entity(data: bytes) -> Entity:
    """Split a MIME entity into headers and body. Raises :class:`MalformedMessage`."""
    bounds = _header_end(data)
    if bounds is None:
        raise MalformedMessage("MIME entity has no blank line after its headers")
    headers = parse_header_block(data[: bounds[0]])
    return Entity(headers=headers, body=data[bounds[1] :], raw=data)


def split_multipart(body: bytes, boundary: str, *, max_parts: int = MAX_PARTS) -> list[bytes]:
    """The exact bytes of each part of a multipart body (RFC 2046 section 5.1.1).

    The line break before a delimiter belongs to the delimiter, so a part's bytes end
    where that line break starts. A body without its closing delimiter is truncated and
    raises :class:`MalformedMessage`.
    """
    if not boundary or len(boundary) > 200:
        raise MalformedMessage("multipart entity without a usable boundary parameter")
    delim = b"--" + boundary.encode("latin-1")
    parts: list[bytes] = []
    start: int | None = None
    pos = 0
    while True:
        hit = body.find(delim, pos)
        if hit < 0:
            raise MalformedMessage(
                f"multipart body ends without its closing boundary {boundary!r} (truncated?)"
            )
        pos = hit + len(delim)
        if hit != 0 and body[hit - 1 : hit] != b"\n":
            continue  # boundary text inside a line is not a delimiter
        after = body[pos : pos + 2]
        if after not in (b"--", b"\r\n") and after[:1] not in (b"\n", b" ", b"\t", b""):
            continue  # a longer boundary that merely starts with ours
        if start is not None:
            end = hit - 1 if hit > 0 else 0
            if end > start and body[end - 1 : end] == b"\r":
                end -= 1
            parts.append(body[start:end])
            if len(parts) > max_parts:
                raise MalformedMessage(f"multipart entity has more than {max_parts} parts")
        if after == b"--":
            return parts
        eol = body.find(b"\n", pos)
        if eol < 0:
            raise MalformedMessage("multipart body ends inside a boundary line (truncated?)")
        start = eol + 1
        pos = start


def decode_body(entity: Entity) -> bytes:
    """The entity body with its Content-Transfer-Encoding undone."""
    cte = entity.headers.get("content-transfer-encoding", "binary").strip().lower()
    if cte == "base64":
        try:
            return base64.b64decode(re.sub(rb"\s+", b"", entity.body), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedMessage(f"invalid base64 body: {exc}") from exc
    if cte == "quoted-printable":
        return quopri.decodestring(entity.body)
    return entity.body


def canonicalize(data: bytes) -> bytes:
    """Bare LF line endings turned into CRLF (the S/MIME canonical form)."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def canonicalize_headers(entity: bytes) -> bytes:
    """Only the header block (and the blank line after it) turned to CRLF; body untouched.

    Binary payloads must keep their bytes, while MTAs and some stores rewrite the line
    endings of the MIME headers; IBM Sterling signs exactly this form.
    """
    bounds = _header_end(entity)
    if bounds is None:
        return entity
    return canonicalize(entity[: bounds[1]]) + entity[bounds[1] :]


class SignedContentCandidates:
    """The signed bytes as received, then the canonical variants worth trying.

    Iterable as often as needed; the variants are made only when something iterates
    past the bytes as received (they nearly always match, and canonicalizing a large
    payload costs more than checking its signature).
    """

    def __init__(self, entity: bytes) -> None:
        self.entity = entity
        self._variants: list[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        yield self.entity
        if self._variants is None:
            variants: list[bytes] = []
            for variant in (canonicalize_headers(self.entity), canonicalize(self.entity)):
                if variant != self.entity and variant not in variants:
                    variants.append(variant)
            self._variants = variants
        yield from self._variants


def signed_content_candidates(entity: bytes) -> SignedContentCandidates:
    """The signed bytes as received, then the canonical variants worth trying (lazily)."""
    return SignedContentCandidates(entity)


def http_date(moment: datetime) -> str:
    """``moment`` as a Date header: RFC 9110's IMF-fixdate (``Mon, 07 Dec 2026 03:58:51
    GMT``), which is also a valid RFC 5322 date for the MIME headers AS2 shares with HTTP.
    ``format_datetime`` alone writes ``+0000``, which HTTP only tolerates."""
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def build_entity(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Serialize header lines and a body with CRLF line endings."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("latin-1") + b"\r\n" + body


def header_block(headers: Iterable[tuple[str, str]]) -> bytes:
    """Header lines (CRLF terminated) without the blank line."""
    return "".join(f"{name}: {value}\r\n" for name, value in headers).encode("latin-1")
