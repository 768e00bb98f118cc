"""Exceptions of the X12 engine (see the package docstring for the tree).

Partner data problems are not exceptions here: they are :class:`gateway.edi.Issue`
values. What raises is our own misuse of the writer and builders.
"""

from __future__ import annotations


class X12Error(Exception):
    """Base of every exception raised by :mod:`gateway.x12`."""


class X12BuildError(X12Error, ValueError):
    """We asked the writer for something X12 cannot carry (our fault, not the partner's).

    ``segment`` and ``element`` say where, when known.
    """

    def __init__(
        self, message: str, *, segment: str | None = None, element: int | None = None
    ) -> None:
        super().__init__(message)
        self.segment = segment
        self.element = element
