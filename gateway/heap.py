"""The garbage collector of a long-running gateway process, set once it has started.

A worker, ``edi-gateway run`` or an ``ingest`` holds its configuration for its whole life:
profiles, maps compiled into Python, code lists, regular expressions, SQLAlchemy's
mappers - hundreds of thousands of objects that never become garbage. CPython's
collector walks all of them in every full collection; on a 500-item ship notice that was
about a quarter of translate's time (a full collection cost ~150 ms in a worker, one
every ten translations or so; bench/README.md, "Translate: maps compiled into Python").

:func:`settle` moves what is alive after start-up into the permanent generation
(``gc.freeze``: never walked again; objects there are still freed by reference
counting) and lets the youngest generation grow further before it is collected (the
pipeline allocates many short-lived objects per document). Call it once per process,
after the runtime is built; a second call only moves what was added since.
"""

from __future__ import annotations

import gc

#: allocations (minus deallocations) before the youngest generation is collected
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Collect once, freeze what is left, and raise the youngest generation's threshold."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)
