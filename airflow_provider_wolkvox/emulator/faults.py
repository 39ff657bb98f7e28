"""Fault injection for the emulator.

A fault is a one-shot (or n-shot) instruction attached to an api name: "the next call to
create_campaign answers 503", "drop the connection after storing the records", "sleep 2 s
after applying so the client times out". Clients are tested against these because the real
service (and the networks in front of it) produce exactly such failures, and the interesting
bugs live in how a client recovers from them, especially after an ambiguous failure where the
server may or may not have applied the change.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

#: answer ``status``/``body`` without applying the request
RESPOND = "respond"
#: close the socket without answering and without applying
DROP_BEFORE = "drop_before"
#: apply the request, then close the socket without answering
DROP_AFTER = "drop_after"
#: apply the request, sleep ``latency`` seconds, then answer normally (client read timeouts
#: that happen after the server stored the change)
APPLY_THEN_SLEEP = "apply_then_sleep"
#: sleep ``latency`` seconds, then handle the request normally
DELAY = "delay"

ACTIONS = frozenset({RESPOND, DROP_BEFORE, DROP_AFTER, APPLY_THEN_SLEEP, DELAY})


@dataclass
class Fault:
    """One injected fault; ``times`` counts down on every matching call (-1 = forever)."""

    api: str = "*"
    times: int = 1
    status: int = 503
    body: dict[str, Any] | list[Any] | str | None = None
    latency: float = 0.0
    action: str = RESPOND
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.api, str) or not self.api:
            raise ValueError("api must be a non-empty string ('*' matches every api)")
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {sorted(ACTIONS)}, not {self.action!r}")
        if isinstance(self.times, bool) or not isinstance(self.times, int):
            raise ValueError("times must be an integer")
        if self.times == 0 or self.times < -1:
            raise ValueError("times must be >= 1, or -1 for 'every call'")
        if isinstance(self.status, bool) or not isinstance(self.status, int) or not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        if isinstance(self.latency, bool) or not isinstance(self.latency, int | float) or self.latency < 0:
            raise ValueError("latency must be a number of seconds >= 0")
        self.latency = float(self.latency)
        if self.body is not None and not isinstance(self.body, dict | list | str):
            raise ValueError("body must be null, a JSON object/array, or a string sent as it is")
        if not isinstance(self.headers, dict):
            raise ValueError("headers must be an object of header name -> value")
        self.headers = {str(k): str(v) for k, v in self.headers.items()}

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> Fault:
        """Build a fault from the admin-endpoint JSON (same keys as ``inject_fault``).

        ``retry_after`` is a shortcut for ``headers["Retry-After"]``.
        """
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        spec = dict(spec)
        retry_after = spec.pop("retry_after", None)
        known = {"api", "times", "status", "body", "latency", "action", "headers"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        headers = spec.get("headers") or {}
        if retry_after is not None:
            if not isinstance(headers, dict):
                raise ValueError("headers must be an object of header name -> value")
            headers = {**headers, "Retry-After": str(retry_after)}
        spec["headers"] = headers
        return cls(**spec)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Thread-safe list of pending faults; the oldest matching fault wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, api: str) -> Fault | None:
        """Return the fault to apply to this call (if any) and count it down."""
        if not self._faults:  # fast path, no lock: the common case in benchmarks
            return None
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.api == "*" or fault.api == api:
                    if fault.times > 0:
                        fault.times -= 1
                        if fault.times == 0:
                            del self._faults[i]
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._faults]
