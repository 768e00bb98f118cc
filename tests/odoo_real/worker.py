"""A delivery worker process for the kill tests.

Runs the deliver stage for one transaction exactly as a Celery worker does
(:func:`gateway.pipeline.runner.run_stage`), with the settings from the environment
(``EDIGW_DATABASE_URL``, ``EDIGW_ODOO_*`` ...). Exit status 0 when the stage finished, 3
when it asks for a retry.
"""

from __future__ import annotations

import sys

from gateway.pipeline.build import build_runtime
from gateway.pipeline.runner import run_stage
from gateway.settings import Settings


def main() -> int:
    runtime = build_runtime(Settings(), run_migrations=False)
    try:
        retry_in = run_stage(runtime, "deliver", (int(sys.argv[1]),))
    finally:
        runtime.engine.dispose()
    return 0 if retry_in is None else 3


if __name__ == "__main__":
    sys.exit(main())
