"""The README's install instructions work while the package is not on PyPI: they build and
install the wheel from this repository (tests/packaging/test_wheel.py builds and installs that
wheel for real), and never give `pip install airflow-provider-wolkvox` as the command."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from airflow_provider_wolkvox import __version__

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
#: The file `python -m build --wheel` writes (pure Python, any platform).
WHEEL = f"airflow_provider_wolkvox-{__version__}-py3-none-any.whl"


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _commands(text: str) -> list[str]:
    blocks = re.findall(r"```(?:bash|dockerfile)\n(.*?)```", text, re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_install_gives_no_pypi_install_command():
    for command in _commands(README):
        assert not re.search(r"pip install\s+(-\S+\s+)*airflow-provider-wolkvox\b", command), command


def test_install_builds_the_wheel_and_installs_it_or_the_checkout():
    commands = _commands(_section("Install"))
    assert any(re.match(r"pip install \.(\s|$)", c) for c in commands), commands
    assert any("python -m build" in c for c in commands), commands
    wheels = [w for c in commands if c.startswith("pip install") for w in re.findall(r"dist/(\S+\.whl)", c)]
    assert wheels and all(fnmatch.fnmatch(WHEEL, pattern) for pattern in wheels), wheels


def test_kubernetes_image_installs_the_same_wheel():
    commands = _commands(_section("Running on Kubernetes"))
    installs = [c for c in commands if "pip install" in c]
    wheels = [w for c in installs for w in re.findall(r"(airflow_provider_wolkvox-\S*\.whl)", c)]
    assert wheels and all(fnmatch.fnmatch(WHEEL, pattern) for pattern in wheels), wheels
    assert any(c.startswith("FROM apache/airflow:") for c in commands)
