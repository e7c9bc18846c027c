"""The README's set-up commands are the ones CI runs, and the generated docs are current."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README needs a ```bash block with the two set-up commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands() -> None:
    cmds = readme_commands()
    assert len(cmds) == 2
    assert cmds[0].endswith("bantay demo")
    assert cmds[1].endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_both_setup_commands_install_from_the_lock() -> None:
    for cmd in readme_commands():
        assert "pip install -c requirements.lock " in cmd, cmd


def test_lock_pins_every_declared_dependency() -> None:
    """A dependency added to pyproject.toml without refreshing requirements.lock (make upgrade)
    would install whatever release is newest: the failure issue 14 measured."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in ("dev", "spark"):
        declared += project["optional-dependencies"][extra]
    pinned = {
        _normalised(m.group(1))
        for m in re.finditer(
            r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+",
            (ROOT / "requirements.lock").read_text(encoding="utf-8"),
            re.M,
        )
    }
    for req in declared:
        name = _normalised(re.match(r"[A-Za-z0-9._-]+", req).group(0))  # type: ignore[union-attr]
        assert name in pinned, f"{name} is declared in pyproject.toml but not pinned in the lock"


def test_ci_runs_the_static_checks() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for check in ("ruff format --check src tests bench", "ruff check src tests bench", "mypy"):
        assert check in ci, check
