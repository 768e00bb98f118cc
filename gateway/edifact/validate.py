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
_KNOWN_OK_MAX = 20_000  # remembered valid segment texts per spec and service characters
_Caches = tuple[dict[str, object], dict[str, object], set[str]]
_PATTERNS: dict[tuple[str, str, ServiceChars], _Caches] = {}


def _patterns_for(spec: MessageSpec, chars: ServiceChars) -> _Caches:
    """Per-tag pattern caches (plain, released) and the set of texts known valid,
    shared by all messages of one spec and set of service characters."""
    key = (spec.message_type, spec.directory, chars)
    cache = _PATTERNS.get(key)
    if cache is None:
        if len(_PATTERNS) > 64:  # many distinct UNA strings: do not grow without bound
            _PATTERNS.clear()
        cache = _PATTERNS[key] = ({}, {}, set())
    return cache


class _Plan:
    """A group node flattened into tuples for fast lookup."""

    __slots__ = (
        "children",
        "is_group",
        "mandatory",
        "mandatory_at",
        "max_repeat",
        "names",
        "next_mandatory",
        "nodes",
        "positions",
        "triggers",
    )

    def __init__(self, group: GroupNode) -> None:
        self.nodes = group.children
        self.triggers = tuple(c.trigger for c in group.children)
        self.mandatory = tuple(c.mandatory for c in group.children)
        self.max_repeat = tuple(c.max_repeat for c in group.children)
        self.names = tuple(c.name if isinstance(c, GroupNode) else c.tag for c in group.children)
        self.is_group = tuple(isinstance(c, GroupNode) for c in group.children)
        self.mandatory_at = tuple(i for i, m in enumerate(self.mandatory) if m)
        n = len(self.mandatory)
        # next_mandatory[i]: the first mandatory child at or after i (n when none)
        nxt = [n] * (n + 1)
        for i in range(n - 1, -1, -1):
            nxt[i] = i if self.mandatory[i] else nxt[i + 1]
        self.next_mandatory = tuple(nxt)
        positions: dict[str, list[int]] = {}
        for i, trigger in enumerate(self.triggers):
            positions.setdefault(trigger, []).append(i)
        # tag -> the child positions it can start, in order (lookups without exceptions)
        self.positions = {tag: tuple(p) for tag, p in positions.items()}
        self.children: tuple[_Plan | None, ...] = tuple(
            _plan(c) if isinstance(c, GroupNode) else None for c in group.children
        )


_PLANS: dict[int, _Plan] = {}


def _plan(group: GroupNode) -> _Plan:
    plan = _PLANS.get(id(group))
    if plan is None:
        plan = _PLANS[id(group)] = _Plan(group)
    return plan


class _Frame:
    __slots__ = ("counts", "idx", "plan", "pushed")

    def unsatisfied(self) -> bool:
        """True when a mandatory node at or after the current one was never seen."""
        nm = self.plan.next_mandatory
        k = nm[self.idx]
        if k == self.idx and self.counts[k]:
            k = nm[k + 1]
        return k < len(self.counts)

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
        "known_ok",
        "layouts",
        "patterns",
        "patterns_released",
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
        self.patterns, self.patterns_released, self.known_ok = _patterns_for(spec, chars)
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
        the per-component Python checks. Texts already accepted are remembered:
        qualifier-only segments (``UNS+S``, ``PCI+36E``, tax lines) repeat a lot.
        """
        known = self.known_ok
        if text in known:
            return True
        if text[-1] in self.trailing or self.trailing_pair in text:
            return False  # trailing separators: let the checker report them
        if self.release is not None and self.release in text:
            patterns = self.patterns_released
            released = True
        else:
            patterns = self.patterns
            released = False
        pattern = patterns.get(tag, _UNSET)
        if pattern is _UNSET:
            layout = self.layouts.get(tag)
            pattern = patterns[tag] = (
                segment_pattern(tag, layout, self.chars, released=released)
                if layout is not None
                else None
            )
        if pattern is None:
            return tag not in self.layouts
        if pattern.fullmatch(text) is None:  # type: ignore[attr-defined]
            return False
        if len(known) < _KNOWN_OK_MAX:
            known.add(text)
        return True

    def check_elements(self, seg: EdifactSegment) -> None:
        """Run the full element checks on one segment (after :meth:`structure`)."""
        layout = self.layouts.get(seg.tag)
        if layout is not None and len(self.issues) < _MAX_ISSUES:
            self._elements(seg, layout)

    def structure(self, tag: str, position: int, offset: int) -> None:
        """Check one segment's position in the message structure.

        Greedy and deterministic, as EDIFACT structures are designed to be: the
        segment belongs to the innermost open group that has a node for it at or
        after the current node; groups above that are closed (their missing
        mandatory segments reported), a group whose trigger it is opens.
        """
        stack = self.stack
        depth = len(stack) - 1
        while True:
            frame = stack[depth]
            plan = frame.plan
            found = plan.positions.get(tag)
            if found is not None:
                idx = frame.idx
                start = idx if idx or not frame.pushed else 1
                j = -1
                for k in found:
                    if k >= start:
                        j = k
                        break
                if j >= 0:
                    break
            depth -= 1
            if depth < 0:
                if len(self.issues) < _MAX_ISSUES:
                    self._add(
                        (tag, position, offset),
                        codes.NOT_SUPPORTED_IN_POSITION,
                        f"segment {tag} is not supported in this position of "
                        f"{self.spec.message_type} {self.spec.directory}",
                        fatal=self.exact,
                    )
                return
        if depth < len(stack) - 1:
            for closing in stack[depth + 1 :]:
                if closing.unsatisfied():
                    self._close(closing, (tag, position, offset))
            del stack[depth + 1 :]
        counts = frame.counts
        nm = plan.next_mandatory
        k = nm[idx]
        if k == idx and counts[idx]:
            k = nm[idx + 1]
        if k < j:
            for k in plan.mandatory_at:
                if idx <= k < j and not counts[k]:
                    self._missing(plan, k, (tag, position, offset))
        counts[j] += 1
        frame.idx = j
        if counts[j] > plan.max_repeat[j] and len(self.issues) < _MAX_ISSUES:
            group = plan.children[j] is not None
            self._add(
                (tag, position, offset),
                codes.TOO_MANY_GROUP_REPETITIONS if group else codes.TOO_MANY_SEGMENT_REPETITIONS,
                f"{plan.names[j]} repeated {counts[j]} times, at most {plan.max_repeat[j]} allowed",
                fatal=True,
            )
        child = plan.children[j]
        if child is not None:
            stack.append(_Frame(child, pushed=True))

    def finish(self, where: _Where | None) -> None:
        """Close every open group and report mandatory segments never seen.

        ``where`` is (tag, position, offset) of the last segment read, for the report.
        """
        while self.stack:
            frame = self.stack.pop()
            if frame.unsatisfied():
                self._close(frame, where)

    def _close(self, frame: _Frame, where: _Where | None) -> None:
        plan = frame.plan
        counts = frame.counts
        idx = frame.idx
        for k in plan.mandatory_at:
            if k >= idx and counts[k] == 0 and len(self.issues) < _MAX_ISSUES:
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
