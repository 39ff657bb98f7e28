"""The released artifacts: build the sdist and wheel, inspect them, and install the wheel for real.

One session builds both distributions (isolated `python -m build`, about 5 s) and one throwaway
virtualenv with Apache Airflow from the pinned constraints plus the wheel (about 35 s; Airflow's
install starts in the background before the build so the two overlap). Nothing here imports the
package from the source tree: the fresh virtualenv runs with its working directory outside the
repository and in isolated mode (`python -I`).

Needs `build` and `twine` (the `dev` extra); skipped where they are not installed, such as the
Airflow 2.10 test virtualenv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

pytest.importorskip("build", reason="needs the `build` package from the dev extra")
pytest.importorskip("twine", reason="needs the `twine` package from the dev extra")

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "airflow_provider_wolkvox"
DISTRIBUTION = "airflow-provider-wolkvox"
AIRFLOW_VERSION = "3.3.2"
CONSTRAINTS = REPO / "requirements" / "constraints-airflow-3.3.txt"

#: Every public class a user imports, by module. New ones are also found through the provider
#: info (see PROBE), so adding a module does not break this test; removing one listed here does.
PUBLIC_CLASSES = {
    f"{PACKAGE}.hooks.wolkvox": ["WolkvoxHook"],
    f"{PACKAGE}.operators.campaign": [
        "CreateCampaignOperator",
        "StartCampaignOperator",
        "StopCampaignOperator",
        "SetCampaignSpeedOperator",
        "ClearCampaignRecordsOperator",
        "DeleteCampaignOperator",
    ],
    f"{PACKAGE}.operators.dnc": ["AddDoNotCallOperator", "RemoveDoNotCallOperator"],
    f"{PACKAGE}.operators.records": ["UploadCampaignRecordsOperator"],
    f"{PACKAGE}.sensors.campaign": ["WolkvoxCampaignSensor"],
    f"{PACKAGE}.triggers.campaign": ["WolkvoxCampaignTrigger"],
    f"{PACKAGE}.client": [
        "WolkvoxClient",
        "CampaignSpec",
        "Campaign",
        "TokenInfo",
        "RetrySettings",
        "WolkvoxError",
        "WolkvoxAPIError",
        "WolkvoxAuthError",
    ],
    f"{PACKAGE}.emulator": ["WolkvoxEmulator"],
}

#: Directories of the repository that must never be shipped inside the wheel.
NOT_SHIPPED = ("tests", "benchmarks", "example_dags", "scripts", "requirements", ".ci", ".demo")

#: Run inside the fresh virtualenv: import the fixed list, then every public class of every module
#: the provider info names (hook, operators, sensors, triggers) and everything in client.__all__.
PROBE = textwrap.dedent(
    """
    import importlib, inspect, json, sys
    from pathlib import Path

    import airflow_provider_wolkvox as package
    from airflow_provider_wolkvox.get_provider_info import get_provider_info

    fixed = json.loads(sys.argv[1])
    info = get_provider_info()
    modules = set(fixed)
    for conn_type in info["connection-types"]:
        modules.add(conn_type["hook-class-name"].rpartition(".")[0])
    for kind in ("operators", "sensors", "triggers", "hooks"):
        for entry in info.get(kind, []):
            modules.update(entry.get("python-modules", []))

    found = {}
    for name in sorted(modules):
        module = importlib.import_module(name)
        public = set(getattr(module, "__all__", ()))
        public.update(
            attr for attr, value in vars(module).items()
            if inspect.isclass(value) and value.__module__ == name and not attr.startswith("_")
        )
        for attr in sorted(public):
            getattr(module, attr)  # a name in __all__ that does not exist fails here
        found[name] = sorted(public)
    for name, classes in fixed.items():
        module = importlib.import_module(name)
        for attr in classes:
            assert inspect.isclass(getattr(module, attr)), (name, attr)

    print(json.dumps({
        "package_file": package.__file__,
        "version": package.__version__,
        "py_typed": (Path(package.__file__).parent / "py.typed").is_file(),
        "provider_version": info["versions"],
        "found": found,
    }))
    """
)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that could point Python or Airflow at the source tree."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(extra)
    return env


def _run(command: list[str], *, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _source_version() -> str:
    text = (REPO / PACKAGE / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert match, "__version__ not found in __init__.py"
    return match.group(1)


class _AirflowVenv:
    """A virtualenv whose Airflow install runs in the background while the wheel is built."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.python = root / "bin" / "python"
        self.log = root.parent / "pip-airflow.log"
        # Without its own pip (ensurepip costs ~3 s): this interpreter's pip installs into it.
        _run([sys.executable, "-m", "venv", "--without-pip", str(root)])
        with self.log.open("w") as log:
            self._install = subprocess.Popen(
                [*self._pip(), "-c", str(CONSTRAINTS), f"apache-airflow=={AIRFLOW_VERSION}"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_clean_env(),
                cwd=root.parent,
            )

    def _pip(self) -> list[str]:
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(self.python)]
        return [*pip, "install", "-q"]

    def finish(self, wheel: Path) -> None:
        try:
            code = self._install.wait(timeout=600)
        finally:
            if self._install.poll() is None:
                self._install.kill()
        assert code == 0, f"pip install apache-airflow failed:\n{self.log.read_text()[-4000:]}"
        _run(
            [*self._pip(), "-c", str(CONSTRAINTS), str(wheel)],
            env=_clean_env(),
            cwd=self.root.parent,
        )

    def stop(self) -> None:
        if self._install.poll() is None:
            self._install.kill()
            self._install.wait()


@pytest.fixture(scope="session")
def _venv_started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_AirflowVenv]:
    venv = _AirflowVenv(tmp_path_factory.mktemp("fresh-venv") / "venv")
    try:
        yield venv
    finally:
        venv.stop()


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Path]:
    """The sdist and the wheel of the working tree (the wheel is built from the sdist)."""
    if any("fresh_venv" in item.fixturenames for item in request.session.items):
        request.getfixturevalue("_venv_started")  # start Airflow's install now; it overlaps the build
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=out)
    wheels = sorted(out.glob("*.whl"))
    sdists = sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture(scope="session")
def fresh_venv(_venv_started: _AirflowVenv, dist: dict[str, Path]) -> _AirflowVenv:
    """A new virtualenv holding only Apache Airflow (pinned) and the wheel with its dependencies."""
    _venv_started.finish(dist["wheel"])
    return _venv_started


def test_version_has_a_single_source():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": f"{PACKAGE}.__version__"}


def test_wheel_ships_the_package_with_py_typed_and_nothing_else(dist):
    version = _source_version()
    wheel = dist["wheel"]
    assert wheel.name == f"{PACKAGE}-{version}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()

    assert f"{PACKAGE}/py.typed" in names
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {PACKAGE, f"{PACKAGE}-{version}.dist-info"}
    for name in names:
        parts = name.split("/")
        assert not set(parts) & set(NOT_SHIPPED), name
        assert "__pycache__" not in parts and not name.endswith((".pyc", ".pyo")), name
        assert not parts[-1].startswith("test_") and parts[-1] != "conftest.py", name

    # Every module of the source tree is in the wheel (no sub-package forgotten by find_packages).
    sources = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / PACKAGE).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert sources <= set(names), sorted(sources - set(names))


def test_wheel_metadata_entry_point_and_console_script(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        info_dir = f"{PACKAGE}-{_source_version()}.dist-info"
        metadata = Parser().parsestr(wheel.read(f"{info_dir}/METADATA").decode())
        entry_points = wheel.read(f"{info_dir}/entry_points.txt").decode()
    assert metadata["Name"] == DISTRIBUTION
    assert metadata["Version"] == _source_version()
    requires = metadata.get_all("Requires-Dist") or []
    assert any(req.startswith("apache-airflow") for req in requires), requires
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert "[apache_airflow_provider]" in entry_points
    assert f"provider_info = {PACKAGE}.get_provider_info:get_provider_info" in entry_points
    assert f"wolkvox-emulator = {PACKAGE}.emulator.__main__:main" in entry_points


def test_sdist_has_the_sources_and_no_build_clutter(dist):
    root = f"{PACKAGE}-{_source_version()}"
    with tarfile.open(dist["sdist"]) as sdist:
        names = {name.removeprefix(f"{root}/") for name in sdist.getnames()}
    for required in ("pyproject.toml", "README.md", "CHANGELOG.md", f"{PACKAGE}/py.typed", "PKG-INFO"):
        assert required in names, required
    for name in names:
        parts = name.split("/")
        assert not {".venv", ".venv-2.10", ".git", "__pycache__", "benchmarks", ".demo"} & set(parts), name


def test_twine_check_passes(dist):
    result = _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist["wheel"]), str(dist["sdist"])]
    )
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_fresh_virtualenv_imports_every_public_class(fresh_venv, tmp_path):
    result = _run(
        [str(fresh_venv.python), "-I", "-c", PROBE, json.dumps(PUBLIC_CLASSES)],
        cwd=tmp_path,
        env=_clean_env(AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__LOAD_EXAMPLES="False"),
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # The import came from the installed wheel, not from the repository.
    assert Path(report["package_file"]).is_relative_to(fresh_venv.root), report["package_file"]
    assert report["version"] == _source_version()
    assert report["provider_version"] == [_source_version()]
    assert report["py_typed"]
    for module, classes in PUBLIC_CLASSES.items():
        assert set(classes) <= set(report["found"][module]), (module, report["found"][module])


def _airflow_json(fresh_venv: _AirflowVenv, home: Path, *commands: list[str]) -> list[list[dict[str, str]]]:
    """Run `airflow <command> --output json` for each command, all at once; their parsed output."""
    env = _clean_env(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    airflow = str(fresh_venv.root / "bin" / "airflow")
    processes = [
        subprocess.Popen(
            [airflow, *command, "--output", "json"],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = []
    for command, process in zip(commands, processes, strict=True):
        try:
            stdout, stderr = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 0, f"airflow {command} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}"
        results.append(json.loads(stdout[stdout.index("[") :]))  # skip anything printed before the JSON
    return results


def test_airflow_cli_discovers_the_provider_and_connection_type(fresh_venv, tmp_path):
    providers, hooks = _airflow_json(fresh_venv, tmp_path, ["providers", "list"], ["providers", "hooks"])

    ours = [p for p in providers if p["package_name"] == DISTRIBUTION]
    assert len(ours) == 1, providers
    assert ours[0]["version"] == _source_version()

    wolkvox = [h for h in hooks if h.get("connection_type") == "wolkvox"]
    assert len(wolkvox) == 1, hooks
    assert wolkvox[0]["class"] == f"{PACKAGE}.hooks.wolkvox.WolkvoxHook"
    assert wolkvox[0]["package_name"] == DISTRIBUTION
    assert wolkvox[0]["hook_name"] == "Wolkvox"


def test_console_script_is_installed(fresh_venv, tmp_path):
    result = _run([str(fresh_venv.root / "bin" / "wolkvox-emulator"), "--help"], cwd=tmp_path, timeout=60)
    assert "usage" in result.stdout.lower()
