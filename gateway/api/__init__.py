"""The operator and onboarding console: REST API, web pages, roles and metrics.

``create_app(runtime)`` in :mod:`gateway.api.app` builds the FastAPI application. The
package's exception tree:

* :class:`gateway.api.auth.AuthError` — no or bad credentials (401) and
  :class:`gateway.api.auth.Forbidden` — a role without the permission (403).
* :class:`gateway.api.console_actions.ConsoleError` — a request the console cannot serve
  (unknown id, bad upload): carries the HTTP status it maps to.
* :class:`gateway.api.auth.KeyManagementError` — a key that cannot be created or
  revoked (duplicate name, unknown role or name); 409/404 at the routes, exit 1 in the CLI.

Pipeline errors (:class:`gateway.pipeline.operations.OperationError`) are mapped to 409 at
the routes; partner data never raises here, it comes back as issues.
"""
