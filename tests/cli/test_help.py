"""Every command and option says what it does (`bantay --help`; docs/cli.md is generated from it)."""

from __future__ import annotations

from typing import Any

import typer.main

from bantay.cli import app


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for name, cmd in group.commands.items():
        out.append((prefix + name, cmd))
        if hasattr(cmd, "commands"):
            out += _commands(cmd, prefix + name + " ")
    return out


def test_every_command_and_option_is_documented() -> None:
    cmds = _commands(typer.main.get_command(app))
    names = {n for n, _ in cmds}
    for expected in (
        "init",
        "status",
        "ingest",
        "quarantine",
        "simulate",
        "resolve",
        "scan",
        "alerts",
        "train",
        "evaluate",
        "demo",
        "indicators",
        "schema docs",
    ):
        assert expected in names, expected
    for name, cmd in cmds:
        assert (cmd.help or "").strip(), f"`bantay {name}` has no help text"
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and p.name != "help":
                assert (p.help or "").strip(), f"`bantay {name} {p.opts[0]}` has no help text"
