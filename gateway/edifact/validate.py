"""Validate one message (UNH..UNT) against its spec: structure, then element formats.

:class:`MessageValidator` is fed segments one by one (so a streaming reader never has
to keep a message in memory) and writes :class:`gateway.edi.Issue` objects with the
CONTRL code (0085) in ``code``.

Severity policy:

* structure (missing mandatory segment 13, too many repetitions 35/36, segment not
  supported in this position 15), element counts (16) and formats (missing 13, wrong
  type of character 37, too long 39, too short 40, bad decimal notation 19, no digit
  before the decimal mark 38) are fatal;
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
from gateway.edifact.service_chars import DEFAULT_CHARS, ServiceChars
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
        "mandatory",
        "mandatory_at",
        "max_repeat",
        "names",
        "nodes",
        "positions",
        "tags",
        "triggers",
    )

    def __init__(self, group: GroupNode) -> None:
        self.nodes = group.children
        self.triggers = tuple(c.trigger for c in group.children)
        self.mandatory = tuple(c.mandatory for c in group.children)
        self.max_repeat = tuple(c.max_repeat for c in group.children)
        self.names = tuple(c.name if isinstance(c, GroupNode) else c.tag for c in group.children)
        self.mandatory_at = tuple(i for i, m in enumerate(self.mandatory) if m)
        positions: dict[str, list[int]] = {}
        for i, trigger in enumerate(self.triggers):
            positions.setdefault(trigger, []).append(i)
        # tag -> the child positions it can start, in order (lookups without exceptions)
        self.positions = {tag: tuple(p) for tag, p in positions.items()}
        self.children: tuple[_Plan | None, ...] = tuple(
            _plan(c) if isinstance(c, GroupNode) else None for c in group.children
        )
        # every tag the group's structure knows, nested groups included
        self.tags: frozenset[str] = frozenset(self.positions).union(
            *(c.tags for c in self.children if c)
        )


_PLANS: dict[int, _Plan] = {}


def _plan(group: GroupNode) -> _Plan:
    plan = _PLANS.get(id(group))
    if plan is None:
        plan = _PLANS[id(group)] = _Plan(group)
    return plan


_Missing = tuple[tuple[_Plan, int], ...]  # (group plan, child position) pairs to report


class _State:
    """One configuration of the stack of open groups, shared by all messages of a spec.

    ``frames`` holds ``(plan, idx, started)`` for each open group, outermost first:
    the group's plan, its current child position and whether that child was seen
    (False only for the message itself before its first segment). Nothing else of a
    message's history matters to the structure check: within a group the position
    only moves forward, so the children after it were never seen and the ones before
    it can no longer be. Only the repetition count of the current child of each open
    group varies between messages in the same state; the validator keeps those.

    ``steps`` caches, per segment tag, the transition to the next state (see
    :func:`_transition`); ``final`` the mandatory children :meth:`finish` reports.
    """

    __slots__ = ("final", "frames", "steps")

    def __init__(self, frames: tuple[tuple[_Plan, int, bool], ...]) -> None:
        self.frames = frames
        self.steps: dict[str, _Step | None] = {}
        final: list[tuple[_Plan, int]] = []
        for plan, idx, started in reversed(frames):
            final.extend(_unseen(plan, idx, started))
        self.final: _Missing = tuple(final)


# A transition: (next state, how many open groups close, whether the segment repeats
# the current child of the group it belongs to (its count goes on; otherwise it starts
# at 1), that child's maximum repetitions, whether it is a group (which then opens),
# and None or what to report: the closed groups' missing mandatory children and the
# mandatory children skipped over).
_Step = tuple["_State", int, bool, int, bool, tuple[_Missing, _Missing] | None]
_STATES: dict[tuple[tuple[_Plan, int, bool], ...], _State] = {}


def _state(frames: tuple[tuple[_Plan, int, bool], ...]) -> _State:
    state = _STATES.get(frames)
    if state is None:
        state = _STATES[frames] = _State(frames)
    return state


def _unseen(plan: _Plan, idx: int, started: bool) -> list[tuple[_Plan, int]]:
    """The mandatory children of a group that are missing when it closes now."""
    return [(plan, k) for k in plan.mandatory_at if k > idx or (k == idx and not started)]


def _transition(state: _State, tag: str) -> _Step | None:
    """Where a segment goes from ``state``: None when nowhere (not supported).

    Greedy and deterministic, as EDIFACT structures are designed to be: the segment
    belongs to the innermost open group that has a node for it at or after the current
    node; groups above that are closed (their missing mandatory segments reported), a
    group whose trigger it is opens.
    """
    frames = state.frames
    depth = len(frames) - 1
    while depth >= 0:
        plan, idx, started = frames[depth]
        found = plan.positions.get(tag)
        if found is not None:
            # a group's trigger starts a new occurrence of the group, in its parent
            start = idx if idx or not depth else 1
            j = next((k for k in found if k >= start), -1)
            if j >= 0:
                break
        depth -= 1
    else:
        return None
    closed: list[tuple[_Plan, int]] = []
    for closing in frames[depth + 1 :]:
        closed.extend(_unseen(*closing))
    skipped = tuple(
        (plan, k) for k in plan.mandatory_at if idx <= k < j and (k > idx or not started)
    )
    child = plan.children[j]
    nxt = (*frames[:depth], (plan, j, True))
    if child is not None:
        nxt = (*nxt, (child, 0, True))
    return (
        _state(nxt),
        len(frames) - 1 - depth,
        j == idx and started,
        plan.max_repeat[j],
        child is not None,
        (tuple(closed), skipped) if closed or skipped else None,
    )


class MessageValidator:
    """Feed the segments of one message in order, then call :meth:`finish`."""

    __slots__ = (
        "chars",
        "counts",
        "exact",
        "issues",
        "known_ok",
        "layouts",
        "patterns",
        "patterns_released",
        "release",
        "spec",
        "state",
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
        self.state = _state(((_plan(spec.root), 0, False),))
        # the repetition count of the current child of each open group (the state's frames)
        self.counts = [0]
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
        """Check one segment's position in the message structure (see :func:`_transition`)."""
        state = self.state
        step = state.steps.get(tag)
        if step is None and tag not in state.steps:
            step = _transition(state, tag)
            if step is not None or tag in state.frames[0][0].tags:  # bounded: spec tags
                state.steps[tag] = step
        if step is None:
            if len(self.issues) < _MAX_ISSUES:
                self._add(
                    (tag, position, offset),
                    codes.NOT_SUPPORTED_IN_POSITION,
                    f"segment {tag} is not supported in this position of "
                    f"{self.spec.message_type} {self.spec.directory}",
                    fatal=self.exact,
                )
            return
        self.state, drop, repeat, limit, group, report = step
        if report is not None:
            closed, skipped = report
            # 0096: a missing segment is reported at the position of the last segment
            # processed before where it was expected, i.e. the one before this one
            before = (tag, position - 1, offset)
            for plan, k in closed:
                if len(self.issues) < _MAX_ISSUES:
                    self._missing(plan, k, before)
            for plan, k in skipped:
                self._missing(plan, k, before)
        counts = self.counts
        if drop:
            del counts[-drop:]
        count = counts[-1] + 1 if repeat else 1
        counts[-1] = count
        if count > limit:
            self._too_many(tag, position, offset, count)
        if group:
            counts.append(1)

    def segment(self, tag: str, text: str, position: int, offset: int) -> bool:
        """:meth:`structure`, then :meth:`fast_ok`: one call per segment for the reader.

        The common cases (a known move that reports nothing, a text already accepted
        or matched by a compiled pattern) are handled here, the rest by those methods.
        """
        step = self.state.steps.get(tag)
        if step is None or step[5] is not None:
            self.structure(tag, position, offset)
        else:
            self.state, drop, repeat, limit, group, _ = step
            counts = self.counts
            if drop:
                del counts[-drop:]
            count = counts[-1] + 1 if repeat else 1
            counts[-1] = count
            if count > limit:
                self._too_many(tag, position, offset, count)
            if group:
                counts.append(1)
        known = self.known_ok
        if text in known:
            return True
        if text[-1] in self.trailing or self.trailing_pair in text:
            return False  # trailing separators: let the checker report them
        release = self.release
        if release is None or release not in text:
            pattern = self.patterns.get(tag)
            if pattern is not None:
                if pattern.fullmatch(text) is None:  # type: ignore[attr-defined]
                    return False
                if len(known) < _KNOWN_OK_MAX:
                    known.add(text)
                return True
        return self.fast_ok(tag, text)  # not compiled yet, no layout, or released

    def _too_many(self, tag: str, position: int, offset: int, count: int) -> None:
        """Report the repetition ``count`` of the node the last move went to."""
        if len(self.issues) >= _MAX_ISSUES:
            return
        # the node is the current child of the group the segment belongs to: the
        # innermost open group unless the segment opened a group of its own
        plan, j, _ = self.state.frames[len(self.counts) - 1]
        group = plan.children[j] is not None
        self._add(
            (tag, position, offset),
            codes.TOO_MANY_GROUP_REPETITIONS if group else codes.TOO_MANY_SEGMENT_REPETITIONS,
            f"{plan.names[j]} repeated {count} times, at most {plan.max_repeat[j]} allowed",
            fatal=True,
        )

    def finish(self, where: _Where | None) -> None:
        """Close every open group and report mandatory segments never seen.

        ``where`` is (tag, position, offset) of the last segment read, for the report:
        the UNT (a segment expected before it is reported at the position before the
        UNT, as 0096 defines) or, when UNT is missing, the last segment processed.
        """
        if where is not None and where[0] == "UNT":
            where = (where[0], where[1] - 1, where[2])
        for plan, k in self.state.final:
            if len(self.issues) < _MAX_ISSUES:
                self._missing(plan, k, where)
        self.state = _state(())
        self.counts = []

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
                        self._add_el(
                            seg,
                            ei,
                            ci if present or spec.composite else None,
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
        if body[0] in ".,":
            # ISO 9735: a decimal mark is preceded by at least one digit (0.5, not .5)
            self._add_el(
                seg,
                ei,
                ci,
                codes.MISSING_DIGIT_BEFORE_DECIMAL,
                f"{seg.tag} {ref} has no digit in front of its decimal mark: {val!r}",
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
