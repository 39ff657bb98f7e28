"""Every example DAG parses cleanly: no import error and no deprecation warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "example_dags").glob("example_*.py"))


def test_there_are_example_dags():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_dag_imports_without_errors_or_deprecation_warnings(path):
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # Airflow 2

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", PendingDeprecationWarning)
        bag = DagBag(dag_folder=str(path))  # examples are off: AIRFLOW__CORE__LOAD_EXAMPLES
    assert bag.import_errors == {}
    assert path.stem in bag.dag_ids
    dag = bag.dags[path.stem]
    assert dag.tags and "wolkvox" in dag.tags


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_dag_graph_is_a_single_line(path):
    """Each task has at most one upstream and one downstream task, and all are connected: the
    graph reads as a line (a task taking ``create.output`` would add an edge from ``create``)."""
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # Airflow 2

    dag = DagBag(dag_folder=str(path)).dags[path.stem]
    tasks = list(dag.tasks)
    for task in tasks:
        assert len(task.upstream_task_ids) <= 1, (task.task_id, sorted(task.upstream_task_ids))
        assert len(task.downstream_task_ids) <= 1, (task.task_id, sorted(task.downstream_task_ids))
    edges = sum(len(task.downstream_task_ids) for task in tasks)
    assert edges == len(tasks) - 1  # connected: one line through every task
