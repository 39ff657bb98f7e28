"""A local, faithful stand-in for the Wolkvox v2 API (campaign and information endpoints).

An HTTP server (standard library only) for demos, integration tests and offline DAG
development. It is written from the vendor documentation independently of the provider's
client, so that a misreading on one side shows up as a failing test. Start it with
``python -m airflow_provider_wolkvox.emulator --port 8765 --token demo-token`` or from Python::

    from airflow_provider_wolkvox.emulator import run_emulator

    with run_emulator(tokens={"demo-token": 100000}) as emu:
        print(emu.url)  # http://127.0.0.1:<port>

Behaviours chosen where the vendor documentation is silent or ambiguous:

- Envelope: every answer is ``{"code", "error", "msg", "data"}`` with ``code`` an int equal
  to the HTTP status; ``error`` is null on success, else the HTTP reason in capitals
  ("BAD REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT FOUND").
- Checks run in this order: maintenance (403 "API CONSUMPTION DISABLED DUE TO MAINTENANCE"),
  missing ``wolkvox-token`` (401), unknown token (403 "PLEASE VALIDATE TOKEN"), daily quota
  used up (403 "TOKEN LIMIT EXCEEDED"), a 3rd concurrent call on one token (403 "EXCEEDS THE
  LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"); only then is the api name resolved, so an
  unknown api, a wrong HTTP method or a missing parameter is a 400 that has cost quota.
- Quota: a call that passes the token checks costs 1 unit of that token's daily quota,
  whatever its outcome (400/404 included, and calls answered by an injected fault);
  rejected calls (401/403) cost nothing. Counters reset at local midnight. ``token_info``
  counts itself in ``token_use_today``; ``all_token_today`` sums every token of the emulator.
- State is per operation: the ``wolkvox_server`` header names the namespace ("default"
  without it). Campaign ids are digit strings allocated from 1001, unique per emulator.
- create_campaign: 201, ``data [{"id_campaign", "name_campaign"}]``; ``campaign_name``
  (non-blank) and ``skill_id`` are required; duplicate names are allowed; every body field is
  stored as sent; a new campaign is "Stopped" with speed "100". ``type_campaign`` must be
  ``preview`` or ``predictive`` (else 400 "THE TYPE_CAMPAIGN MUST BE PREVIEW OR PREDICTIVE").
- Campaign-scoped apis require ``type_campaign`` and ``campaign_id``; an unknown id, or a
  campaign of the other type, is 404 "CAMPAIGN NOT FOUND" (so a repeated delete_campaign
  is a 404).
- add_record: body a JSON array (a single object is taken as a list of one); an empty array
  is 400; more than 10,000 records is 400 "MAXIMUM 10000 RECORDS PER REQUEST" and nothing is
  stored. A record without any non-blank ``tel1``..``tel10`` (or that is not an object) is
  rejected on its own, the others are stored. Answer: 201 "<added> records were inserted",
  ``data [{"total_sent", "total_added", "total_rejected"}]`` as strings. Re-sending the same
  ``customer_id`` stores a duplicate. ``campaign_status`` is accepted and ignored. Records
  without a ``result`` get ``"result": ""``.
- start/stop: 202 and idempotent (starting a started campaign is 202 again); status values
  are "Started"/"Stopped".
- speed: body ``{"speed": "0".."100"}`` (string or int); anything else is 400.
- clear_campaign: 202 with the documented msg and ``data [{"total_deleted"}]``; an optional
  ``result`` must be one of the ten documented values (else 400) and deletes only records
  whose ``result`` equals it.
- remove_record: body ``{"customer_id"}``; deletes every record with that id; 202
  "<n> records were deleted" even when n is 0.
- find_record: at least one of ``customer_phone``/``customer_id`` (both = both must match);
  a missing or ``all`` campaign_id searches every campaign of the operation; each row is the
  stored record plus its ``campaign_id``.
- detail: GET; ``date_ini``/``date_end`` are YYYYmmddHHiiss, end >= start, span <= 31 days
  (else 400); returns the campaign's records (at most 60,000).
- information campaigns: one row per campaign of the operation, every value a string,
  ``dial_mode`` "autopilot"; ``records`` counts the records left to call (no ``result`` yet).
- Dialing is simulated only when asked (``dial_rate``, ``--dial-rate``, POST
  /_emulator/dialing): a Started campaign then gives that many records a second a result
  (answer, no-answer, busy, answer-machine), so ``records`` falls towards 0. Results given by
  the simulation live in memory only (not in the SQLite state file).
- Paths outside ``/api/v2/`` and ``/_emulator/`` answer 404.
- Concurrency: ``peak_in_flight`` in /_emulator/state counts every concurrent call on a token,
  including the rejected 3rd one, so a peak above 2 proves a client overran the limit;
  ``rejections`` counts, per token, the calls refused for concurrency and for quota.

Test controls (no token needed): ``GET /_emulator/health``, ``GET /_emulator/state[?records=false]``,
``GET|POST|DELETE /_emulator/faults`` (``{"api", "times", "status", "body", "latency", "action",
"headers", "retry_after"}``; actions ``respond``, ``drop_before``, ``drop_after``,
``apply_then_sleep``, ``delay``), ``POST /_emulator/latency {"seconds"}``,
``POST /_emulator/maintenance {"enabled"}``, ``POST /_emulator/reset``; the same from Python
with ``inject_fault()``, ``clear_faults()``, ``set_latency()``, ``set_maintenance()``,
``reset()``, ``state()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .faults import Fault
from .server import WolkvoxEmulator, token_label

__all__ = ["Fault", "WolkvoxEmulator", "run_emulator", "token_label"]


@contextmanager
def run_emulator(**kwargs: Any) -> Iterator[WolkvoxEmulator]:
    """Start a ``WolkvoxEmulator(**kwargs)``, yield it, and always stop it."""
    emulator = WolkvoxEmulator(**kwargs)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
