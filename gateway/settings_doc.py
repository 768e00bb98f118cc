"""Rewrite the README's configuration reference from the settings model.

``python -m gateway.settings_doc`` (run after changing gateway/settings.py).
"""

from __future__ import annotations

from gateway.settings import PROJECT_DIR, settings_reference

START = "<!-- settings-reference:start (generated from gateway/settings.py; a test keeps it in sync) -->"
END = "<!-- settings-reference:end -->"


def main() -> None:
    """Replace the text between the README's markers."""
    path = PROJECT_DIR / "README.md"
    text = path.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{settings_reference()}\n{END}{tail}")


if __name__ == "__main__":
    main()
