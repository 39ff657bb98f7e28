"""docs/reliability.md's deployment section is rendered from the checks the deployment test runs."""

from __future__ import annotations

import inspect
from pathlib import Path

import reliability_cases as cases
import test_celery_deployment

REPO = Path(__file__).resolve().parents[2]


def test_every_deployment_check_is_a_test_and_a_doc_row() -> None:
    doc = (REPO / "docs" / "reliability.md").read_text(encoding="utf-8")
    tests = [name for name, _ in inspect.getmembers(test_celery_deployment, inspect.isfunction)]
    tests = [name for name in tests if name.startswith("test_")]
    checked = [check.test for check in cases.DEPLOYMENT_CHECKS]
    assert sorted(checked) == sorted(tests), "every test has one row in DEPLOYMENT_CHECKS, and no other"
    # ... in the order they run (the module's order).
    source = inspect.getsource(test_celery_deployment)
    assert checked == sorted(checked, key=lambda name: source.index(f"def {name}("))
    assert "## Production-shaped deployment" in doc
    for check in cases.DEPLOYMENT_CHECKS:
        assert f"| `{check.test}` |" in doc, check.test


def test_the_retry_dag_and_the_doc_use_the_same_sizes() -> None:
    dag = (Path(__file__).parent / "dags" / "wolkvox_deployment_retry.py").read_text()
    harness = (Path(__file__).parent / "deployment_harness.py").read_text()
    # The DAG takes its sizes from the environment the deployment gives it, from reliability_cases.
    assert 'os.environ.get("WOLKVOX_RETRY_RECORDS"' in dag and 'os.environ.get("WOLKVOX_RETRY_CHUNK"' in dag
    assert "WOLKVOX_RETRY_RECORDS=str(cases.DEPLOYMENT_RETRY_RECORDS)" in harness
    assert "WOLKVOX_RETRY_CHUNK=str(cases.DEPLOYMENT_RETRY_CHUNK)" in harness
    assert 0 < cases.DEPLOYMENT_RETRY_STORED < cases.DEPLOYMENT_RETRY_RECORDS // cases.DEPLOYMENT_RETRY_CHUNK
