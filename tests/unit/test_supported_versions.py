"""The README claims exactly the Airflow versions `make test` runs, each from a pinned set."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def makefile_versions() -> dict[str, str]:
    """{minor: patch} of every Airflow virtualenv the Makefile builds."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    versions = dict(re.findall(r"^AIRFLOW_(\d+\.\d+) := (\d+\.\d+\.\d+)$", text, re.M))
    main = re.search(r"^AIRFLOW_VERSION \?= (\d+\.\d+)\.(\d+)$", text, re.M)
    assert main, "AIRFLOW_VERSION missing from the Makefile"
    versions[main.group(1)] = f"{main.group(1)}.{main.group(2)}"
    return versions


def readme_airflow_row() -> tuple[str, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    row = re.search(r"^\| Apache Airflow \| ([^|]+) \| ([^|]+) \|$", text, re.M)
    assert row, "the README's versions table has no Apache Airflow row"
    return row.group(1), row.group(2)


def test_the_readme_claims_exactly_the_minors_make_test_runs():
    supported, tested = readme_airflow_row()
    versions = makefile_versions()
    assert sorted(re.findall(r"\d+\.\d+(?:\.\d+)?", supported)) == sorted(versions)
    assert sorted(re.findall(r"\d+\.\d+\.\d+", tested)) == sorted(versions.values())


def test_make_test_runs_every_minor():
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    others = re.search(r"^OTHER_MINORS := (.+)$", text, re.M)
    assert others
    # 3.3 runs in .venv (test-airflow3), 2.10 in .venv-2.10 (test-airflow2), the rest in parallel.
    assert sorted([*others.group(1).split(), "2.10", "3.3"]) == sorted(makefile_versions())
    test_target = re.search(r"^test: (.+)$", text, re.M)
    assert test_target
    wanted = {"lint", "test-airflow3", "test-airflow2", "test-other-versions"}
    assert set(test_target.group(1).split()) >= wanted


def test_each_minor_installs_from_a_pinned_set_of_its_patch_release():
    for minor, patch in makefile_versions().items():
        pins = (REPO / "requirements" / f"constraints-airflow-{minor}.txt").read_text(encoding="utf-8")
        assert f"\napache-airflow=={patch}\n" in f"\n{pins}", minor
        assert "apache-airflow-providers-common-compat==" in pins, minor


def test_the_package_floor_is_the_oldest_claimed_minor():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    oldest = min(makefile_versions(), key=lambda minor: tuple(map(int, minor.split("."))))
    assert f'"apache-airflow>={oldest}"' in pyproject
