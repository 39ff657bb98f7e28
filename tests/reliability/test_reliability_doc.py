"""docs/reliability.md is rendered from the case tables the reliability tests run (issue #5 part 6)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import reliability_cases as cases
import test_fault_matrix
import test_hostile_inputs

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "reliability_doc.py"


def load_script():
    spec = importlib.util.spec_from_file_location("reliability_doc", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_doc_is_the_rendered_one():
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert doc == load_script().render(), "run: python scripts/reliability_doc.py"


def test_check_mode_agrees():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_case_in_the_tables_is_a_test_and_a_doc_row():
    """The tests parametrize over the same lists, with the case ids as pytest ids."""
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    fault_ids = [case.id for case in cases.FAULT_CASES]
    bad_ids = [case.id for case in cases.BAD_INPUTS]
    assert len(set(fault_ids)) == len(fault_ids) and len(set(bad_ids)) == len(bad_ids)
    assert [p.id for p in test_fault_matrix.fault_params()] == fault_ids
    assert [p.values[0] for p in test_fault_matrix.fault_params()] == cases.FAULT_CASES
    assert [p.id for p in test_hostile_inputs.bad_input_params()] == bad_ids
    assert [p.values[0] for p in test_hostile_inputs.bad_input_params()] == cases.BAD_INPUTS
    for case_id in fault_ids + bad_ids:
        assert f"| `{case_id}` |" in doc, case_id
    # Every operator and the connection have an entry in the bad-input table.
    assert set(test_hostile_inputs.OPERATORS) | {cases.CONNECTION} == {c.target for c in cases.BAD_INPUTS}


def test_every_load_run_is_a_load_dag_and_a_doc_row():
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    dags = (REPO / "tests" / "reliability" / "load_dags" / "wolkvox_shared_token_load.py").read_text()
    tests = (REPO / "tests" / "reliability" / "test_shared_token_load.py").read_text()
    for run in cases.LOAD_RUNS:
        assert f'"{run.dag_id}"' in dags and f'"{run.dag_id}"' in tests, run.dag_id
        assert f"| `{run.dag_id}` |" in doc, run.dag_id


def test_the_tables_cover_the_issue():
    faults = {case.id.split("-", 1)[1] for case in cases.FAULT_CASES}
    assert {
        "503",
        "429-retry-after",
        "403-concurrency",
        "connection-refused",
        "drop-before",
        "drop-after",
        "read-timeout-after-apply",
        "502",
        "malformed-json",
        "500-html",
        "502-html",
        "403-quota",
        "403-invalid-token",
        "403-maintenance",
    } <= faults
    for key in faults:  # each fault is run against both calls
        assert {f"create-{key}", f"upload-{key}"} <= {case.id for case in cases.FAULT_CASES}
    assert len(cases.BAD_INPUTS) >= 30
