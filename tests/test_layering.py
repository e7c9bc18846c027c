"""The import contracts cover the whole core: a new package cannot slip past them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHELLS = {"bantay.web", "bantay.cli"}


def _contract(name_start: str) -> dict[str, object]:
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for c in cfg["tool"]["importlinter"]["contracts"]:
        if c["name"].startswith(name_start):
            return dict(c)
    raise AssertionError(f"no contract {name_start!r}")


def test_core_contract_lists_every_core_module() -> None:
    src = ROOT / "src" / "bantay"
    modules = {
        f"bantay.{p.stem}"
        for p in src.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.name != "__init__.py")
    }
    core = modules - SHELLS
    c = _contract("The core never imports")
    assert set(c["forbidden_modules"]) == SHELLS  # type: ignore[arg-type]
    assert set(c["source_modules"]) == core, (  # type: ignore[arg-type]
        "add the new module to [tool.importlinter] in pyproject.toml"
    )


def test_ci_runs_the_contracts() -> None:
    assert "\nlint-imports\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
