"""What ``--help`` shows: where an option's default comes from, in every command.

Help texts are rendered as rich markup, so a ``[default: X]`` written into a help text
is taken for a style tag and disappears: ``run --help`` said "HTTP port ." until now.
Defaults that come from settings are given with ``show_default`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from gateway.cli.main import app


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of the CLI with its path of names."""
    yield path, group
    for name, command in getattr(group, "commands", {}).items():  # a group's commands
        yield from commands(command, (*path, name))


def test_no_help_text_holds_markup_that_would_vanish() -> None:
    root = typer.main.get_command(app)
    found = list(commands(root))
    assert len(found) > 40  # every command and group, nested ones included
    offenders = [
        f"{' '.join(path)} {param.name}"
        for path, command in found
        for param in command.params
        if "[" in (getattr(param, "help", None) or "")
    ]
    assert offenders == []


def test_run_and_as2_say_which_setting_gives_each_default() -> None:
    runner = CliRunner()
    run_help = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    as2_help = runner.invoke(app, ["as2", "--help"], env={"COLUMNS": "200"}).output
    for setting in ("EDIGW_HTTP_PORT", "EDIGW_SFTP_PORT", "EDIGW_AS2_PORT"):
        assert setting in run_help, run_help
    for setting in ("EDIGW_AS2_HOST", "EDIGW_AS2_PORT", "EDIGW_AS2_PROCESSES"):
        assert setting in as2_help, as2_help
    assert " ." not in run_help + as2_help  # what was left of a vanished default
