"""Validate one message (UNH..UNT) against its spec: structure, then element formats.

:class:`MessageValidator` is fed segments one by one (so a streaming reader never has
to keep a message in memory) and writes :class:`gateway.edi.Issue` objects with the
CONTRL code (0085) in ``code``.

Severity policy:

* structure (missing mandatory segment 13, too many repetitions 35/36, segment not
  supported in this position 15), element counts (16) and formats (missing 13, wrong
  type of character 37, too long 39, too short 40, bad decimal notation 19) are fatal;
* a value outside the code lists the gateway maps is a warning (12, not fatal): the
  lists are EANCOM subsets and other UN codes are legitimate;
* a trailing separator is a warning (45);
* when the message's directory is not one we have (say D97B) it is validated against
  the nearest of D96A/D01B, and then the findings that typically come from directory
  differences (15 and 16: segments or elements added in later directories, 35 on a
  repeated data element: repeats came with later directories) are warnings. Missing
  mandatory data, segment repetitions and element formats stay fatal.
"""

from __future__ import annotations

from gateway.edi.model import Issue, Level
from gateway.edifact import codes
from gateway.edifact.patterns import segment_pattern
from gateway.edifact.segment import EdifactSegment
from gateway.edifact.service import DEFAULT_CHARS, ServiceChars
from gateway.edifact.specs.model import ElementSpec, GroupNode, MessageSpec, SegmentNode

_MAX_ISSUES = 200  # per message: a garbage file must not produce a million issues
_UNSET = object()
_Where = tuple[str, int, int]  # segment tag, position, byte offset
_PATTERNS: dict[tuple[str, str, ServiceChars], dict[tuple[str, bool], object]] = {}


def _patterns_for(spec: MessageSpec, chars: ServiceChars) -> dict[tuple[str, bool], object]:
    """The per-tag pattern cache shared by all messages of one spec and service chars."""
    key = (spec.message_type, spec.directory, chars)
    cache = _PATTERNS.get(key)
    if cache is None:
        if len(_PATTERNS) > 64:  # many distinct UNA strings: do not grow without bound
            _PATTERNS.clear()
        cache = _PATTERNS[key] = {}
    return cache


class _Plan:
    """A group node flattened into tuples for fast lookup."""

    __slots__ = ("is_group", "mandatory", "max_repeat", "names", "nodes", "triggers")

    def __init__(self, group: GroupNode) -> None:
        self.nodes = group.children
        self.triggers = tuple(c.trigger for c in group.children)
        self.mandatory = tuple(c.mandatory for c in group.children)
        self.max_repeat = tuple(c.max_repeat for c in group.children)
        self.names = tuple(c.name if isinstance(c, GroupNode) else c.tag for c in group.children)
        self.is_group = tuple(isinstance(c, GroupNode) for c in group.children)


_PLANS: dict[int, _Plan] = {}


def _plan(group: GroupNode) -> _Plan:
    plan = _PLANS.get(id(group))
    if plan is None:
        plan = _PLANS[id(group)] = _Plan(group)
    return plan


class _Frame:
    __slots__ = ("counts", "idx", "plan", "pushed")

    def __init__(self, plan: _Plan, pushed: bool) -> None:
        self.plan = plan
        self.idx = 0
        self.counts = [0] * len(plan.triggers)
        self.pushed = pushed
        if pushed:
            self.counts[0] = 1


class MessageValidator:
    """Feed the segments of one message in order, then call :meth:`finish`."""

    __slots__ = (
        "chars",
        "exact",
        "issues",
        "layouts",
        "patterns",
        "release",
        "spec",
        "stack",
        "trailing",
        "trailing_pair",
    )

    def __init__(
        self,
        spec: MessageSpec,
        *,
        exact: bool,
        issues: list[Issue],
        chars: ServiceChars = DEFAULT_CHARS,
    ) -> None:
        self.spec = spec
        self.exact = exact
        self.issues = issues
        self.layouts = spec.segments
        self.stack = [_Frame(_plan(spec.root), pushed=False)]
        self.chars = chars
        self.patterns = _patterns_for(spec, chars)
        self.trailing = (chars.element, chars.component)
        self.trailing_pair = chars.component + chars.element
        self.release = chars.release

    # -- structure -------------------------------------------------------------------

    def feed(self, seg: EdifactSegment) -> None:
        """Check one segment's position in the structure and its elements."""
        self.structure(seg.tag, seg.position, seg.offset)
        layout = self.layouts.get(seg.tag)
        if layout is not None and len(self.issues) < _MAX_ISSUES:
            self._elements(seg, layout)

    def fast_ok(self, tag: str, text: str) -> bool:
        """True when the segment text certainly passes the element checks.

        A compiled regular expression per segment layout accepts only data the
        element checker would accept (it may refuse more; those segments then go
        through the full check), so most segments skip the split into components and
        the per-component Python checks.
        """
        if text[-1] in self.trailing or self.trailing_pair in text:
            return False  # trailing separators: let the checker report them
        released = self.release is not None and self.release in text
        key = (tag, released)
        pattern = self.patterns.get(key, _UNSET)
        if pattern is _UNSET:
            layout = self.layouts.get(tag)
            pattern = self.patterns[key] = (
                segment_pattern(tag, layout, self.chars, released=released)
                if layout is not None
                else None
            )
        if pattern is None:
            return tag not in self.layouts
        return pattern.fullmatch(text) is not None  # type: ignore[attr-defined]

    def check_elements(self, seg: EdifactSegment) -> None:
        """Run the full element checks on one segment (after :meth:`structure`)."""
        layout = self.layouts.get(seg.tag)
        if layout is not None and len(self.issues) < _MAX_ISSUES:
            self._elements(seg, layout)

    def structure(self, tag: str, position: int, offset: int) -> None:
        """Check one segment's position in the message structure."""
        stack = self.stack
        frame = stack[-1]
        idx = frame.idx
        plan = frame.plan
        if plan.triggers[idx] == tag and (idx or not frame.pushed):
            # fast path: the current segment position repeats
            counts = frame.counts
            counts[idx] += 1
            if counts[idx] <= plan.max_repeat[idx] and not plan.is_group[idx]:
                return
            counts[idx] -= 1
        if len(self.issues) >= _MAX_ISSUES:
            return
        depth = len(stack) - 1
        while depth >= 0:
            frame = stack[depth]
            idx = frame.idx
            start = idx if idx > 0 or not frame.pushed else 1
            try:
                j = frame.plan.triggers.index(tag, start)
            except ValueError:
                depth -= 1
                continue
            break
        else:
            self._add(
                (tag, position, offset),
                codes.NOT_SUPPORTED_IN_POSITION,
                f"segment {tag} is not supported in this position of "
                f"{self.spec.message_type} {self.spec.directory}",
                fatal=self.exact,
            )
            return
        where = (tag, position, offset)
        while len(stack) - 1 > depth:
            self._close(stack.pop(), where)
        plan = frame.plan
        counts = frame.counts
        for k in range(idx, j):
            if counts[k] == 0 and plan.mandatory[k]:
                self._missing(plan, k, where)
        frame.idx = j
        counts[j] += 1
        node = plan.nodes[j]
        if counts[j] > plan.max_repeat[j]:
            group = isinstance(node, GroupNode)
            self._add(
                where,
                codes.TOO_MANY_GROUP_REPETITIONS if group else codes.TOO_MANY_SEGMENT_REPETITIONS,
                f"{plan.names[j]} repeated {counts[j]} times, at most {plan.max_repeat[j]} allowed",
                fatal=True,
            )
        if isinstance(node, GroupNode):
            stack.append(_Frame(_plan(node), pushed=True))

    def finish(self, where: _Where | None) -> None:
        """Close every open group and report mandatory segments never seen.

        ``where`` is (tag, position, offset) of the last segment read, for the report.
        """
        while self.stack:
            self._close(self.stack.pop(), where)

    def _close(self, frame: _Frame, where: _Where | None) -> None:
        plan = frame.plan
        counts = frame.counts
        for k in range(frame.idx, len(counts)):
            if counts[k] == 0 and plan.mandatory[k]:
                self._missing(plan, k, where)

    def _missing(self, plan: _Plan, k: int, where: _Where | None) -> None:
        node = plan.nodes[k]
        tag = node.tag if isinstance(node, SegmentNode) else node.trigger
        what = f"segment {tag}" if isinstance(node, SegmentNode) else f"group {node.name} ({tag})"
        issue = Issue(
            level=Level.SEGMENT,
            code=codes.MISSING,
            message=f"mandatory {what} is missing",
            fatal=True,
            segment_tag=tag,
            segment_position=where[1] if where is not None else None,
            byte_offset=where[2] if where is not None else None,
        )
        self.issues.append(issue)

    # -- elements --------------------------------------------------------------------

    def _elements(self, seg: EdifactSegment, layout: tuple[ElementSpec, ...]) -> None:
        elements = seg.elements
        n_spec = len(layout)
        for ei, element in enumerate(elements):
            if ei >= n_spec:
                self._add_el(
                    seg,
                    ei,
                    None,
                    codes.TOO_MANY_CONSTITUENTS,
                    f"{seg.tag} has {len(elements)} data elements, at most {n_spec} defined",
                    fatal=self.exact,
                )
                break
            spec = layout[ei]
            comps_spec = spec.components
            if len(element) > 1:
                self._add_el(
                    seg,
                    ei,
                    None,
                    codes.TOO_MANY_SEGMENT_REPETITIONS,
                    f"{seg.tag} element {ei + 1} ({spec.ref}) is repeated {len(element)} "
                    "times but does not repeat",
                    fatal=self.exact,
                )
            comps = element[0]
            if len(comps) > len(comps_spec):
                self._add_el(
                    seg,
                    ei,
                    len(comps_spec),
                    codes.TOO_MANY_CONSTITUENTS,
                    f"{seg.tag} element {ei + 1} ({spec.ref}) has {len(comps)} components, "
                    f"at most {len(comps_spec)} defined",
                    fatal=self.exact,
                )
            present = False
            for ci, val in enumerate(comps[: len(comps_spec)]):
                cs = comps_spec[ci]
                if not val:
                    continue
                present = True
                length = len(val)
                if cs.kind == "n" and not (val.isdigit() and val.isascii()):
                    length = self._numeric(seg, ei, ci, cs.ref, val)
                    if length < 0:
                        continue
                if length > cs.max_length:
                    self._add_el(
                        seg,
                        ei,
                        ci,
                        codes.DATA_ELEMENT_TOO_LONG,
                        f"{seg.tag} {cs.ref} is {length} long, at most {cs.max_length} allowed",
                        fatal=True,
                        ref=cs.ref,
                        value=val,
                    )
                elif length < cs.min_length:
                    self._add_el(
                        seg,
                        ei,
                        ci,
                        codes.DATA_ELEMENT_TOO_SHORT,
                        f"{seg.tag} {cs.ref} is {length} long, at least {cs.min_length} required",
                        fatal=True,
                        ref=cs.ref,
                        value=val,
                    )
                if cs.codes is not None and val not in cs.codes:
                    self._add_el(
                        seg,
                        ei,
                        ci,
                        codes.INVALID_VALUE,
                        f"{seg.tag} {cs.ref} code {val!r} is not in the code list",
                        fatal=False,
                        ref=cs.ref,
                        value=val,
                    )
            if present or spec.mandatory:
                for ci, cs in enumerate(comps_spec):
                    if cs.mandatory and (ci >= len(comps) or not comps[ci]):
                        if not present and not spec.composite:
                            ci = -1
                        self._add_el(
                            seg,
                            ei,
                            ci if ci >= 0 else None,
                            codes.MISSING,
                            f"{seg.tag} mandatory {cs.ref} is missing",
                            fatal=True,
                            ref=cs.ref,
                        )
                        break
            if len(comps) > 1 and not comps[-1]:
                self._add_el(
                    seg,
                    ei,
                    len(comps) - 1,
                    codes.TRAILING_SEPARATOR,
                    f"{seg.tag} element {ei + 1} ends with a trailing component separator",
                    fatal=False,
                )
        if elements and elements[-1] == (("",),):
            self._add_el(
                seg,
                len(elements) - 1,
                None,
                codes.TRAILING_SEPARATOR,
                f"{seg.tag} ends with a trailing data element separator",
                fatal=False,
            )
        for ei in range(len(elements), n_spec):
            spec = layout[ei]
            if spec.mandatory:
                self._add_el(
                    seg,
                    ei,
                    None,
                    codes.MISSING,
                    f"{seg.tag} mandatory data element {spec.ref} is missing",
                    fatal=True,
                    ref=spec.ref,
                )

    def _numeric(self, seg: EdifactSegment, ei: int, ci: int, ref: str, val: str) -> int:
        """Return the significant length of a numeric value, or -1 after reporting it."""
        body = val[1:] if val[0] == "-" else val
        marks = body.count(".") + body.count(",")
        digits = body.replace(".", "").replace(",", "")
        if not (digits.isdigit() and digits.isascii()):
            self._add_el(
                seg,
                ei,
                ci,
                codes.INVALID_TYPE_OF_CHARACTER,
                f"{seg.tag} {ref} must be numeric, got {val!r}",
                fatal=True,
                ref=ref,
                value=val,
            )
            return -1
        if marks > 1 or body[-1] in ".,":
            self._add_el(
                seg,
                ei,
                ci,
                codes.INVALID_DECIMAL_NOTATION,
                f"{seg.tag} {ref} has an invalid decimal notation: {val!r}",
                fatal=True,
                ref=ref,
                value=val,
            )
            return -1
        return len(digits)

    # -- issues ----------------------------------------------------------------------

    def _add(self, where: _Where, code: str, message: str, *, fatal: bool) -> None:
        self.issues.append(
            Issue(
                level=Level.SEGMENT,
                code=code,
                message=message,
                fatal=fatal,
                segment_tag=where[0],
                segment_position=where[1],
                byte_offset=where[2],
            )
        )

    def _add_el(
        self,
        seg: EdifactSegment,
        ei: int,
        ci: int | None,
        code: str,
        message: str,
        *,
        fatal: bool,
        ref: str | None = None,
        value: str | None = None,
    ) -> None:
        self.issues.append(
            Issue(
                level=Level.ELEMENT,
                code=code,
                message=message,
                fatal=fatal,
                segment_tag=seg.tag,
                segment_position=seg.position,
                element_position=ei + 1,
                component_position=ci + 1 if ci is not None else None,
                element_reference=ref,
                byte_offset=seg.offset,
                bad_value=value[:35] if value is not None else None,
            )
        )
