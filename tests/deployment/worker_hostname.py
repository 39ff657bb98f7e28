"""``[core] hostname_callable`` for the deployment test: both Celery workers run on one machine,
so each gets its own name (WOLKVOX_DEPLOYMENT_WORKER) and tasks record which one ran them in
``task_instance.hostname``."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("WOLKVOX_DEPLOYMENT_WORKER") or socket.getfqdn()
