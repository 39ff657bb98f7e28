"""Child for the DAG parse cost figures; one measurement per fresh interpreter.

``parse_cost.py import MODULE``: import ``airflow.sdk`` first, then time importing MODULE.
``parse_cost.py dagbag FILE``: import ``airflow.sdk`` and DagBag first, then time DagBag(FILE).
"""

from __future__ import annotations

import importlib
import sys
import time

# Nothing else is imported before the measurement (not even the benchmarks' common module, which
# would pre-load json, http.client and friends and hide their cost).


def measure_import(module: str) -> dict[str, object]:
    import airflow.sdk  # noqa: F401 - the floor every DAG file pays anyway

    before = set(sys.modules)
    start = time.perf_counter()
    importlib.import_module(module)
    seconds = time.perf_counter() - start
    added = sorted(set(sys.modules) - before)
    return {
        "seconds": seconds,
        "modules_added": len(added),
        "top_level": sorted({m.split(".")[0] for m in added}),
    }


def measure_dagbag(path: str) -> dict[str, object]:
    import airflow.sdk  # noqa: F401

    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:  # pragma: no cover - Airflow 2
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    start = time.perf_counter()
    bag = DagBag(dag_folder=path)
    seconds = time.perf_counter() - start
    if bag.import_errors or len(bag.dag_ids) != 1:
        raise SystemExit(f"{path} did not parse into one DAG: {bag.import_errors or bag.dag_ids}")
    return {"seconds": seconds, "dag_ids": list(bag.dag_ids)}


if __name__ == "__main__":
    mode, target = sys.argv[1], sys.argv[2]
    result = measure_import(target) if mode == "import" else measure_dagbag(target)
    import json

    print("BENCH_RESULT " + json.dumps(result), flush=True)
