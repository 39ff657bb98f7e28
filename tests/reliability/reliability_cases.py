"""The reliability case tables: faults (issue #5 part 2), shared-token load (part 3) and
hostile inputs (part 5), as data.

Tests parametrize over these lists (their pytest ids are the case ids) and
``scripts/reliability_doc.py`` renders ``docs/reliability.md`` from them, so the document and
the tests cannot drift apart. Plain Python with no Airflow or pytest import.

Fault cases run the real operators against the local emulator: ``CreateCampaignOperator``
with the fault on its ``create_campaign`` request, ``UploadCampaignRecordsOperator`` (30
records in 3 chunks of 10, one request in flight) with the fault on its 2nd ``add_record``
request. Each is run twice: with a task state store (Airflow 3.3+) and without (Airflow before
3.3), with Airflow's task retry simulated by calling ``execute()`` again (up to 3 tries) when
a try raised anything but ``AirflowFailException``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

CREATE = "create_campaign"
UPLOAD = "upload chunk"
#: Upload set-up: RECORDS records in chunks of CHUNK_SIZE.
RECORDS = 30
CHUNK_SIZE = 10
#: Task tries the harness allows (Airflow's ``retries=2``).
MAX_TRIES = 3
#: Harness-only action: the server applies the request, then answers ``status``/``body``.
#: The emulator has no such action; the fault-matrix test wraps the emulator's dispatcher.
APPLY_THEN_RESPOND = "apply_then_respond"

PHP_NOTICE = (
    "<br />\n<b>Notice</b>:  Undefined index: opt1 in <b>/var/www/api/v2/campaign.php</b> on line "
    '<b>88</b><br />\n{"code": 201, "error": null, "msg": "ok", "data": []}'
)


def envelope(status: int, msg: str) -> dict[str, Any]:
    """An error answer in the documented envelope."""
    return {"code": status, "error": "FORBIDDEN" if status == 403 else "ERROR", "msg": msg, "data": []}


@dataclass(frozen=True)
class Outcome:
    """What a faulted task ends with.

    ``fails`` is None when the task succeeds, else what its final error says, in words;
    ``says`` are fragments the final error message must contain. ``stored`` counts campaigns
    (create) or records (upload) on the server afterwards, each exactly once. ``sends`` counts
    the requests to the faulted api the server received; ``tries`` the task tries used
    (None: not checked).
    """

    stored: int
    sends: int
    tries: int | None = 1
    fails: str | None = None
    says: tuple[str, ...] = ()

    @property
    def result(self) -> str:
        return "succeeds" if self.fails is None else f"fails: {self.fails}"


@dataclass(frozen=True)
class FaultCase:
    id: str
    call: str
    fault: str
    inject: Mapping[str, Any]
    happens: str
    with_store: Outcome
    without_store: Outcome
    refused: bool = False
    min_seconds: float = 0.0
    bug: str | None = None

    def outcome(self, store: bool) -> Outcome:
        return self.with_store if store else self.without_store

    def server_state(self, store: bool) -> str:
        return server_state(self.call, self.outcome(store).stored)


def server_state(call: str, stored: int) -> str:
    if call == CREATE:
        return {0: "no campaign", 1: "exactly one campaign"}.get(stored, f"{stored} campaigns")
    if stored == RECORDS:
        return f"every record exactly once ({RECORDS})"
    if stored == 0:
        return "no record"
    chunks = stored // CHUNK_SIZE
    which = "chunk 1" if chunks == 1 else f"chunks 1-{chunks}"
    return f"{which} only ({stored} records), none twice"


def _ok(call: str, sends: int, tries: int = 1) -> Outcome:
    return Outcome(stored=1 if call == CREATE else RECORDS, sends=sends, tries=tries)


_UNSURE_NO_STORE = (
    "chunk 2 may be stored; not retried, because without a state store a retry would resend everything"
)


def _create_and_upload(
    key: str,
    fault: str,
    inject: Mapping[str, Any],
    *,
    create: tuple[str, Outcome, Outcome],
    upload: tuple[str, Outcome, Outcome],
    **extra: Any,
) -> list[FaultCase]:
    return [
        FaultCase(f"create-{key}", CREATE, fault, inject, create[0], create[1], create[2], **extra),
        FaultCase(f"upload-{key}", UPLOAD, fault, inject, upload[0], upload[1], upload[2], **extra),
    ]


_RETRIED_CREATE = "the client waits and sends it again; the server did nothing the first time"
_RETRIED_UPLOAD = "the client waits and sends the chunk again; the server stored nothing the first time"


def _throttled(key: str, fault: str, inject: Mapping[str, Any], **extra: Any) -> list[FaultCase]:
    return _create_and_upload(
        key,
        fault,
        inject,
        create=(_RETRIED_CREATE, _ok(CREATE, 2), _ok(CREATE, 2)),
        upload=(_RETRIED_UPLOAD, _ok(UPLOAD, 4), _ok(UPLOAD, 4)),
        **extra,
    )


def _lost_not_applied(key: str, fault: str, inject: Mapping[str, Any]) -> list[FaultCase]:
    """The answer is lost or ambiguous and the server did NOT apply the request."""
    return _create_and_upload(
        key,
        fault,
        inject,
        create=(
            "outcome unknown: the operator reads the campaign list, finds no new campaign, sends again",
            _ok(CREATE, 2),
            _ok(CREATE, 2),
        ),
        upload=(
            "outcome unknown: the try fails; the next one finds neither end of chunk 2 with "
            "find_record and sends it",
            _ok(UPLOAD, 4, tries=2),
            Outcome(stored=10, sends=2, fails=_UNSURE_NO_STORE, says=("may have stored it", "not retried")),
        ),
    )


def _lost_applied(key: str, fault: str, inject: Mapping[str, Any], **extra: Any) -> list[FaultCase]:
    """The server applied the request, then the answer was lost."""
    return _create_and_upload(
        key,
        fault,
        inject,
        create=(
            "outcome unknown: the operator reads the campaign list, finds the new campaign, adopts it",
            _ok(CREATE, 1),
            _ok(CREATE, 1),
        ),
        upload=(
            "outcome unknown: the try fails; the next one finds both ends of chunk 2 with find_record "
            "and does not resend it",
            _ok(UPLOAD, 3, tries=2),
            Outcome(stored=20, sends=2, fails=_UNSURE_NO_STORE, says=("may have stored it", "not retried")),
        ),
        **extra,
    )


def _refused_by_server(key: str, fault: str, msg: str, says: str) -> list[FaultCase]:
    inject = {"action": "respond", "status": 403, "body": envelope(403, msg)}
    upload_fail = Outcome(
        stored=10,
        sends=2,
        fails=f"{says}; 1 chunk confirmed stored",
        says=(msg, "1 chunk(s) are confirmed stored"),
    )
    create_fail = Outcome(stored=0, sends=1, fails=says, says=(msg,))
    return _create_and_upload(
        key,
        fault,
        inject,
        create=("permanent: the task fails at once without retrying", create_fail, create_fail),
        upload=("permanent: the task fails at once without retrying", upload_fail, upload_fail),
    )


_REFUSED_CREATE = Outcome(
    stored=0, sends=0, tries=MAX_TRIES, fails="could not connect", says=("could not connect",)
)
_REFUSED_UPLOAD = Outcome(
    stored=0,
    sends=0,
    tries=MAX_TRIES,
    fails="could not connect; 0 chunks confirmed stored",
    says=("could not connect", "0 chunk(s) are confirmed stored"),
)

FAULT_CASES: list[FaultCase] = [
    *_throttled("503", "503 Service Unavailable, then success", {"action": "respond", "status": 503}),
    *_throttled(
        "429-retry-after",
        "429 Too Many Requests with Retry-After: 1",
        {"action": "respond", "status": 429, "headers": {"Retry-After": "1"}},
        min_seconds=1.0,
    ),
    *_throttled(
        "403-concurrency",
        "403 EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)",
        {
            "action": "respond",
            "status": 403,
            "body": envelope(403, "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"),
        },
    ),
    *_throttled(
        "403-maintenance",
        "403 API CONSUMPTION DISABLED DUE TO MAINTENANCE",
        {
            "action": "respond",
            "status": 403,
            "body": envelope(403, "API CONSUMPTION DISABLED DUE TO MAINTENANCE"),
        },
    ),
    *_create_and_upload(
        "connection-refused",
        "connection refused (nothing listens on the port)",
        {},
        create=(
            "the client retries, then the task fails; every try is retried by Airflow",
            _REFUSED_CREATE,
            _REFUSED_CREATE,
        ),
        upload=(
            "the client retries, then the task fails; every try is retried by Airflow",
            _REFUSED_UPLOAD,
            _REFUSED_UPLOAD,
        ),
        refused=True,
    ),
    *_lost_not_applied(
        "drop-before", "connection dropped before the server applied it", {"action": "drop_before"}
    ),
    *_lost_applied("drop-after", "connection dropped after the server applied it", {"action": "drop_after"}),
    *_lost_applied(
        "read-timeout-after-apply",
        "read timeout (1 s) after the server applied it (it answers after 2 s)",
        {"action": "apply_then_sleep", "latency": 2.0},
        min_seconds=1.0,
    ),
    *_lost_not_applied("502", "502 Bad Gateway (JSON envelope)", {"action": "respond", "status": 502}),
    *_lost_not_applied(
        "500-html",
        "500 with an HTML error page",
        {
            "action": "respond",
            "status": 500,
            "body": "<html><body><h1>500 Internal Server Error</h1></body></html>",
        },
    ),
    *_lost_not_applied(
        "502-html",
        "502 with an HTML error page from a proxy",
        {
            "action": "respond",
            "status": 502,
            "body": "<html><head><title>502 Bad Gateway</title></head></html>",
        },
    ),
    *_create_and_upload(
        "malformed-json",
        "200 with truncated JSON '{\"code\": 201,' (request not applied)",
        {"action": "respond", "status": 200, "body": '{"code": 201,'},
        create=(
            "a 200 that cannot be read leaves the outcome unknown: the same try reads the campaign list, "
            "finds nothing new and sends once more",
            _ok(CREATE, 2, tries=1),
            _ok(CREATE, 2, tries=1),
        ),
        upload=(
            "the try fails and chunk 2 is taken as not stored; the next try sends chunks 2 and 3",
            _ok(UPLOAD, 4, tries=2),
            Outcome(
                stored=10,
                sends=2,
                fails="chunk 1 stored; not retried, because without a state store a retry would resend it",
                says=("1 chunk(s) are confirmed stored", "not retried"),
            ),
        ),
    ),
    *_create_and_upload(
        "200-php-notice-after-apply",
        "the server applies the request, then answers 200 with a PHP notice before the JSON",
        {"action": APPLY_THEN_RESPOND, "status": 200, "body": PHP_NOTICE},
        create=(
            "the outcome is unknown (a 200 means the server ran it): the same try finds the new "
            "campaign in the list and adopts it",
            _ok(CREATE, 1, tries=1),
            _ok(CREATE, 1, tries=1),
        ),
        upload=(
            "the chunk's outcome is unknown (a 200 means the server ran it), so it must be checked "
            "with find_record before any resend",
            _ok(UPLOAD, 3, tries=None),
            Outcome(stored=20, sends=2, fails=_UNSURE_NO_STORE, says=("may have stored it", "not retried")),
        ),
    ),
    *_refused_by_server(
        "403-quota", "403 TOKEN LIMIT EXCEEDED (daily quota used up)", "TOKEN LIMIT EXCEEDED", "quota used up"
    ),
    *_refused_by_server(
        "403-invalid-token", "403 PLEASE VALIDATE TOKEN", "PLEASE VALIDATE TOKEN", "token refused"
    ),
    *_create_and_upload(
        "302-redirect",
        "302 Found pointing at another host (Location: http://127.0.0.2:9/...)",
        {
            "action": "respond",
            "status": 302,
            "headers": {"Location": "http://127.0.0.2:9/api/v2/campaign.php"},
            "body": "",
        },
        create=(
            "permanent: the redirect is not followed (the token would travel with it), the create is "
            "not retried, the task fails at once naming the status and the host",
            Outcome(
                stored=0, sends=1, fails="redirect not followed", says=("HTTP 302 redirect", "127.0.0.2")
            ),
            Outcome(
                stored=0, sends=1, fails="redirect not followed", says=("HTTP 302 redirect", "127.0.0.2")
            ),
        ),
        upload=(
            "permanent: the redirect is not followed, the chunk is not retried, the task fails at once",
            Outcome(
                stored=10,
                sends=2,
                fails="redirect not followed; 1 chunk confirmed stored",
                says=("HTTP 302 redirect", "127.0.0.2", "1 chunk(s) are confirmed stored"),
            ),
            Outcome(
                stored=10,
                sends=2,
                fails="redirect not followed; 1 chunk confirmed stored",
                says=("HTTP 302 redirect", "127.0.0.2", "1 chunk(s) are confirmed stored"),
            ),
        ),
    ),
]

#: Known product bugs, by case id: the test is marked xfail(strict=True) with this reason.
FAULT_BUGS: dict[str, str] = {}
FAULT_CASES = [replace(case, bug=FAULT_BUGS.get(case.id)) for case in FAULT_CASES]


# --------------------------------------------------------------------------- shared-token load

#: The load test's set-up: LOAD_LANES lanes, each creating a campaign and uploading LOAD_RECORDS
#: contacts in chunks of LOAD_CHUNK, on one token, with LOAD_LATENCY seconds added to every call.
LOAD_LANES = 8
LOAD_RECORDS = 2000
LOAD_CHUNK = 200
LOAD_LATENCY = 0.05


@dataclass(frozen=True)
class LoadRun:
    """One DAG of ``tests/reliability/load_dags``: how its tasks share the token, what is checked."""

    dag_id: str
    setup: str
    checked: str


LOAD_RUNS = [
    LoadRun(
        "wolkvox_load_pool",
        "every task in the `wolkvox` pool (2 slots); uploads with max_in_flight=1",
        "exactly 2 calls in flight at the peak on the token, never 3; no call refused",
    ),
    LoadRun(
        "wolkvox_load_no_pool",
        f"the default pool, so all {2 * LOAD_LANES} tasks may run at once; uploads with max_in_flight=2",
        "the token is overrun (the emulator refuses calls with the concurrency 403, counted in its "
        "state) and every task still succeeds in its first try (the DAGs have no task retries): "
        "the client backs off and sends again (the test's connection allows 12 tries per call, "
        "waits from 0.1 s doubling to 2 s)",
    ),
]


# --------------------------------------------------------------------------- production-shaped deployment

#: The deployment test's retry DAG (tests/deployment/dags): DEPLOYMENT_RETRY_RECORDS contacts in
#: chunks of DEPLOYMENT_RETRY_CHUNK; the first try stores DEPLOYMENT_RETRY_STORED chunks (the last
#: of them with its answer lost) before it fails.
DEPLOYMENT_RETRY_RECORDS = 600
DEPLOYMENT_RETRY_CHUNK = 100
DEPLOYMENT_RETRY_STORED = 4
#: Celery workers, and task processes per worker.
DEPLOYMENT_WORKERS = ("worker-a", "worker-b")
DEPLOYMENT_CONCURRENCY = 4


@dataclass(frozen=True)
class DeploymentCheck:
    """One test of ``tests/deployment/test_celery_deployment.py``: what it runs, what it asserts,
    and what a reference run measured (``pytest -s`` prints the figures as JSON lines)."""

    test: str
    runs: str
    asserted: str
    measured: str


DEPLOYMENT_CHECKS = [
    DeploymentCheck(
        "test_lifecycle_example_with_the_sensor_deferred_to_the_triggerer",
        "the lifecycle example, triggered through the REST API; the emulator dials 3 contacts a second",
        "the run succeeds; the sensor's task instance was seen 'deferred' and a Wolkvox trigger was "
        "taken on by the triggerer; the campaign ends Stopped with every contact called",
        "30-46 s; its 5 tasks spread over both workers (4/1, 2/3, 3/2)",
    ),
    DeploymentCheck(
        "test_lifecycle_twice_the_same_day_and_once_without_a_logical_date",
        "the lifecycle example again with a logical date the same day as the first run, and with "
        '`"logical_date": null`, both at once',
        "all three runs succeed, each with a campaign of its own name",
        "20-24 s",
    ),
    DeploymentCheck(
        "test_load_with_the_wolkvox_pool_peaks_at_2_in_flight_across_both_workers",
        f"`wolkvox_load_pool`: {LOAD_LANES} lanes on one token, every task in the `wolkvox` pool",
        "exactly 2 calls in flight at the peak on the token across both workers, never 3; no call "
        "refused; every contact exactly once",
        "peak in flight 2; tasks per worker 8 and 8; 16-29 s",
    ),
    DeploymentCheck(
        "test_load_without_a_pool_backoff_gets_every_lane_through_exactly_once",
        f"`wolkvox_load_no_pool`: {LOAD_LANES} lanes on one token, no pool",
        "the token is overrun (concurrency 403s) and every task succeeds in its first try; every "
        "contact exactly once",
        "peak in flight 3, 5-41 calls refused and sent again; tasks per worker 7/9, 10/6, 8/8, 6/10; 10-14 s",
    ),
    DeploymentCheck(
        "test_both_workers_ran_load_tasks",
        "`task_instance.hostname` of the load runs (each worker names itself through "
        "`[core] hostname_callable`)",
        "both workers ran tasks",
        "15/17, 18/14, 16/16, 14/18 of the 32 tasks",
    ),
    DeploymentCheck(
        "test_a_retry_on_the_other_worker_reuses_the_campaign_and_resumes_the_upload",
        "`wolkvox_deployment_retry` (create, then upload "
        f"{DEPLOYMENT_RETRY_RECORDS} contacts in chunks of {DEPLOYMENT_RETRY_CHUNK}; retries=1, "
        "one HTTP attempt per call). Faults: the create is applied but its answer lost and the "
        f"campaign list then unreadable; chunk {DEPLOYMENT_RETRY_STORED} is stored but its answer "
        "lost. After each first try fails, the test stops the worker that ran it",
        "each retry runs on the other worker (`task_instance_history` and `task_instance` "
        "hostnames differ) and succeeds: the create adopts the campaign its first try created, the "
        f"upload keeps the {DEPLOYMENT_RETRY_STORED} stored chunks and sends the other "
        f"{DEPLOYMENT_RETRY_RECORDS // DEPLOYMENT_RETRY_CHUNK - DEPLOYMENT_RETRY_STORED}; one "
        "campaign, every contact exactly once",
        "retries resumed on another worker: 2 of 2 (worker stopped in 2-9 s, retry_delay 15 s); 36-39 s",
    ),
    DeploymentCheck(
        "test_the_token_is_in_no_dump_key_or_log",
        "a `pg_dump` of the metadata database, every Redis key and value (read by type and "
        "DUMPed), every file of the Airflow home (component and task logs) and the PostgreSQL and "
        "Redis logs; the token is searched as it is, hex- and base64-encoded",
        "0 occurrences everywhere",
        "0 in a 255-259 kB dump, 0 in 2-4 Redis keys, 0 in 68-70 files",
    ),
]
#: Wall-clock times of the reference run on the 2-core development machine.
DEPLOYMENT_TIMES = (
    "set-up 41-69 s (PostgreSQL and Redis 1-4 s, `airflow db migrate` and the connections "
    "18-32 s), the whole module 3-4 min with the teardown (four runs)"
)


# --------------------------------------------------------------------------- hostile input


@dataclass(frozen=True)
class BadInput:
    """One value that must be refused before any request, with an error naming ``field``.

    ``target`` is an operator class name or ``connection``; ``argument`` is the operator
    argument (or connection field / extra key) given ``value``; ``field`` is what the error names
    (defaults to ``argument``); ``says`` is a fragment the error message must contain.
    """

    id: str
    target: str
    argument: str
    value: Any
    says: str
    field: str = ""
    bug: str | None = None

    @property
    def named(self) -> str:
        return self.field or self.argument


CREATE_OP = "CreateCampaignOperator"
UPLOAD_OP = "UploadCampaignRecordsOperator"
SENSOR = "WolkvoxCampaignSensor"
CONNECTION = "connection"

#: Operator arguments that are valid; each case replaces one of them.
GOOD_ARGUMENTS: dict[str, dict[str, Any]] = {
    CREATE_OP: {
        "type_campaign": "predictive",
        "campaign_name": "Outbound",
        "skill_id": 12,
        "start_time": "08:00",
        "end_time": "18:00",
    },
    "StartCampaignOperator": {"campaign_id": "1001", "type_campaign": "predictive"},
    "StopCampaignOperator": {"campaign_id": "1001", "type_campaign": "predictive"},
    "DeleteCampaignOperator": {"campaign_id": "1001", "type_campaign": "predictive"},
    "SetCampaignSpeedOperator": {"campaign_id": "1001", "type_campaign": "predictive", "speed": 50},
    "ClearCampaignRecordsOperator": {"campaign_id": "1001", "type_campaign": "predictive"},
    SENSOR: {"campaign_id": "1001", "target_status": "Stopped", "deferrable": True},
    UPLOAD_OP: {
        "campaign_id": "1001",
        "type_campaign": "predictive",
        "records": [{"customer_id": "C1", "tel1": "3001234567"}],
        "chunk_size": 10,
        "max_in_flight": 1,
    },
    # A connection case runs StartCampaignOperator with the connection field or extra replaced.
    CONNECTION: {"host": "0042", "password": "tok-SECRET-0123456789", "extra": {}},
}
CONNECTION_FIELDS = ("host", "password", "login")


def _record(**fields: Any) -> list[dict[str, Any]]:
    return [{"customer_id": "C1", **fields}]


_B = BadInput
BAD_INPUTS: list[BadInput] = [
    # CreateCampaignOperator
    _B("create-start-time-25h", CREATE_OP, "start_time", "25:00", "is not a time of day"),
    _B("create-end-time-words", CREATE_OP, "end_time", "6pm", "use HHMMSS, HH:MM:SS, HH:MM"),
    _B("create-start-time-extra-part", CREATE_OP, "start_time", "08:00:00:00", "use HHMMSS"),
    _B("create-skill-id-sql", CREATE_OP, "skill_id", "12; DROP TABLE campaigns", "use digits only"),
    _B("create-skill-id-negative", CREATE_OP, "skill_id", -1, "must not be negative"),
    _B("create-skill-id-bool", CREATE_OP, "skill_id", True, "give a number such as 12"),
    _B("create-skill-id-fullwidth", CREATE_OP, "skill_id", "\uff11\uff12", "use digits only"),
    _B("create-name-newline", CREATE_OP, "campaign_name", "Outbound\nX-Injected: 1", "single line"),
    _B("create-name-blank", CREATE_OP, "campaign_name", "   ", "must not be blank"),
    _B(
        "create-name-line-separator",
        CREATE_OP,
        "campaign_name",
        "Outbound\u2028Second line",
        "single line",
    ),
    _B("create-description-nul", CREATE_OP, "campaign_description", "a\x00b", "single line"),
    _B("create-opts-13", CREATE_OP, "opts", [f"t{n}" for n in range(13)], "at most 12 are accepted"),
    _B("create-opts-bad-key", CREATE_OP, "opts", {"opt13": "x"}, "'opt13' is not accepted"),
    _B("create-opts-crlf", CREATE_OP, "opts", ["Plan", "a\r\nb"], "single line", field="opts[opt2]"),
    _B("create-opts-string", CREATE_OP, "opts", "Plan", "expected a list of up to 12 titles"),
    _B("create-amd-unknown", CREATE_OP, "amd", "USA", "use one of ARG"),
    _B("create-enable-edition", CREATE_OP, "enable_edition", "maybe", "use true or false"),
    _B("create-enable-edition-2", CREATE_OP, "enable_edition", 2, "use true or false"),
    _B("create-type-progressive", CREATE_OP, "type_campaign", "progressive", "use 'preview' or 'predictive'"),
    _B("create-if-exists-typo", CREATE_OP, "if_exists", "resue", "use 'fail', 'reuse' or 'create'"),
    # campaign actions
    _B("start-id-traversal", "StartCampaignOperator", "campaign_id", "12/../13", "use digits only"),
    _B("start-type-trailing-space", "StartCampaignOperator", "type_campaign", "preview ", "use 'preview'"),
    _B("stop-id-empty", "StopCampaignOperator", "campaign_id", "", "use digits only"),
    _B("delete-id-all", "DeleteCampaignOperator", "campaign_id", "all", "use digits only"),
    _B("delete-id-none", "DeleteCampaignOperator", "campaign_id", None, "give a number such as 12"),
    _B("speed-101", "SetCampaignSpeedOperator", "speed", 101, "whole number from 0 to 100"),
    _B("speed-negative-text", "SetCampaignSpeedOperator", "speed", "-5", "whole number from 0 to 100"),
    _B("speed-fraction", "SetCampaignSpeedOperator", "speed", 50.5, "whole number from 0 to 100"),
    _B("speed-superscript", "SetCampaignSpeedOperator", "speed", "\u00b2", "whole number from 0 to 100"),
    _B("speed-arabic", "SetCampaignSpeedOperator", "speed", "\u0665\u0660", "whole number from 0 to 100"),
    _B("delete-missing-ok-words", "DeleteCampaignOperator", "missing_ok", "maybe", "use true or false"),
    _B("clear-result-case", "ClearCampaignRecordsOperator", "result", "Busy", "use one of no-answer"),
    # sensor
    _B("sensor-status-running", SENSOR, "target_status", "Running", "use 'Started' or 'Stopped'"),
    _B("sensor-nothing-to-wait-for", SENSOR, "target_status", None, "give target_status, max_records"),
    _B("sensor-max-records-negative", SENSOR, "max_records", -1, "whole number >= 0"),
    _B("sensor-max-records-words", SENSOR, "max_records", "ten", "whole number >= 0"),
    _B("sensor-max-records-superscript", SENSOR, "max_records", "\u00b2", "whole number >= 0"),
    _B("sensor-id-sql", SENSOR, "campaign_id", "1 OR 1=1", "use digits only"),
    # upload
    _B("upload-chunk-size-10001", UPLOAD_OP, "chunk_size", 10_001, "give 1 to 10,000"),
    _B("upload-chunk-size-0", UPLOAD_OP, "chunk_size", 0, "give 1 to 10,000"),
    _B("upload-chunk-size-text", UPLOAD_OP, "chunk_size", "100", "give 1 to 10,000"),
    _B("upload-max-in-flight-3", UPLOAD_OP, "max_in_flight", 3, "1 or 2 per token"),
    _B("upload-max-in-flight-bool", UPLOAD_OP, "max_in_flight", True, "1 or 2 per token"),
    _B("upload-on-invalid-ignore", UPLOAD_OP, "on_invalid", "ignore", "use 'fail' or 'skip'"),
    _B(
        "upload-record-no-phone",
        UPLOAD_OP,
        "records",
        _record(customer_name="Ana"),
        "no phone number",
        "tel1",
    ),
    _B(
        "upload-record-unknown-field",
        UPLOAD_OP,
        "records",
        _record(tel1="300", password="x"),
        "unknown field 'password'",
        "password",
    ),
    _B(
        "upload-record-agent-id-predictive",
        UPLOAD_OP,
        "records",
        _record(tel1="300", agent_id="7"),
        "for preview campaigns only",
        "agent_id",
    ),
    _B("upload-record-nested", UPLOAD_OP, "records", _record(tel1="300", age={"n": 1}), "dict value", "age"),
    _B("upload-record-nan", UPLOAD_OP, "records", _record(tel1=math.nan), "float value", "tel1"),
    _B("upload-records-string", UPLOAD_OP, "records", "C1,3001234567", "expected a list of record dicts"),
    _B("upload-id-trailing-space", UPLOAD_OP, "campaign_id", "1001 ", "use digits only"),
    _B("upload-mapping-unknown", UPLOAD_OP, "column_mapping", {"phone": "telephone"}, "not a Wolkvox record"),
    _B("upload-campaign-status-crlf", UPLOAD_OP, "campaign_status", "start\r\nX: 1", "single line"),
    _B(
        "upload-path-unknown-scheme",
        UPLOAD_OP,
        "path",
        "nosuch://bucket/contacts.csv",
        "cannot open nosuch://",
    ),
    _B("upload-path-missing-file-url", UPLOAD_OP, "path", "file:///nonexistent/c.csv", "does not exist"),
    _B(
        "upload-path-no-format",
        UPLOAD_OP,
        "path",
        "file:///etc/passwd",
        "cannot tell the format",
        "file_format",
    ),
    _B(
        "upload-mapping-drops-every-field",
        UPLOAD_OP,
        "column_mapping",
        {"customer_id": None, "tel1": None},
        "drops every field of the record",
    ),
    _B("upload-records-jinja", UPLOAD_OP, "records", "{{ ti.xcom_pull('contacts') }}", "is not templated"),
    _B("upload-resume-text", UPLOAD_OP, "resume", "maybe", "use true or false"),
    # the connection
    _B("host-code-then-domain", CONNECTION, "host", "0042.evil.com", "is not a Wolkvox server"),
    _B("host-fragment", CONNECTION, "host", "evil.com#", "is not a Wolkvox server"),
    _B("host-at", CONNECTION, "host", "0042@evil", "is not a Wolkvox server"),
    _B("host-dot-dot", CONNECTION, "host", "0042/../x", "is not a Wolkvox server"),
    _B("host-trailing-newline", CONNECTION, "host", "0042\n", "whitespace or control characters"),
    _B("host-inner-space", CONNECTION, "host", "wv0042 .wolkvox.com", "whitespace or control characters"),
    _B("host-tab", CONNECTION, "host", "https://wv0042.wolkvox.com\t", "whitespace or control characters"),
    _B("host-arabic-digits", CONNECTION, "host", "\u0660\u0660\u0664\u0662", "is not a Wolkvox server"),
    _B("host-ftp", CONNECTION, "host", "ftp://wv0042.wolkvox.com", "scheme 'ftp' is not accepted"),
    _B("host-file", CONNECTION, "host", "file:///etc/passwd", "scheme 'file' is not accepted"),
    _B("host-http-remote", CONNECTION, "host", "http://wv0042.wolkvox.com", "token unencrypted"),
    _B("host-http-fake-loopback", CONNECTION, "host", "http://127.0.0.1.evil.com:8765", "token unencrypted"),
    _B(
        "host-credentials",
        CONNECTION,
        "host",
        "https://user:pw@wv0042.wolkvox.com",
        "must not contain credentials",
    ),
    _B("host-query", CONNECTION, "host", "https://wv0042.wolkvox.com?x=1", "must not contain credentials"),
    _B("host-bad-port", CONNECTION, "host", "https://wv0042.wolkvox.com:99999", "invalid port"),
    _B(
        "host-encoded-dots",
        CONNECTION,
        "host",
        "https://wv0042.wolkvox.com/%2e%2e/x",
        "path that is not accepted",
    ),
    _B("host-empty", CONNECTION, "host", "", "the Wolkvox server is required"),
    _B("token-newline", CONNECTION, "password", "tok\nX-Injected: 1", "must not contain whitespace"),
    _B("token-empty", CONNECTION, "password", "", "has no API token"),
    _B("extra-timeout-zero", CONNECTION, "timeout", 0, "between 0 and 3600"),
    _B("extra-timeout-words", CONNECTION, "timeout", "soon", "is not a number"),
    _B("extra-retry-attempts-0", CONNECTION, "retry_attempts", 0, "whole number 1-20"),
    _B("extra-retry-attempts-superscript", CONNECTION, "retry_attempts", "\u00b2", "whole number 1-20"),
    _B("extra-timeout-arabic-digits", CONNECTION, "timeout", "\u0661\u0662", "is not a number"),
    _B("extra-server-id-crlf", CONNECTION, "server_id", "0042\r\nX-Injected: 1", "use the server code"),
    _B("server-id-field-crlf", CONNECTION, "login", "0042\r\nX-Injected: 1", "use the server code"),
    _B("server-id-field-too-long", CONNECTION, "login", "0" * 17, "use the server code"),
    _B("extra-allow-insecure-http", CONNECTION, "allow_insecure_http", "sure", "use true or false"),
]


@dataclass(frozen=True)
class Guarantee:
    title: str
    text: str


GUARANTEES: list[Guarantee] = [
    Guarantee(
        "No idempotency key",
        "The Wolkvox API has no idempotency key and allows duplicate campaign names, and add_record "
        "stores a re-sent record again. So the client never re-sends a create_campaign or add_record "
        "whose outcome is unknown (read timeout, dropped connection, 500/502/504); it re-sends only "
        "when the server provably did nothing (connection refused, 429, 503, the concurrency and "
        "maintenance 403s).",
    ),
    Guarantee(
        "Campaigns: reconciliation by name and type",
        "Before sending create_campaign the operator notes the ids of campaigns with the same name "
        "and type (one read of the campaign list); after an unknown outcome it reads the list again "
        "and adopts a campaign that was not there before. On Airflow 3.3+ the pending creation and "
        "the created id live in the task state store, so a task retry reuses the id or reconciles "
        "before sending. Limit: a campaign of the same name and type created by someone else between "
        "the two reads would be adopted.",
    ),
    Guarantee(
        "Records: acknowledged chunks and the find_record check",
        "The upload keeps in the task state store which chunks Wolkvox acknowledged and which were "
        "sent without a clear answer. A retry skips acknowledged chunks and checks an unsure chunk "
        "by looking up its first and last record with find_record (by customer_id, else by first "
        "phone): both found, it is counted as stored; neither, it is sent; one of the two, the task "
        "fails for a person to decide. Limit: the check assumes those records were not already in "
        "the campaign from elsewhere (a re-used customer_id makes a lost chunk look stored), and it "
        "probes two records, not all of them.",
    ),
    Guarantee(
        "Airflow before 3.3 (no task state store)",
        "Creation still reconciles within a try. A retry (try_number > 1) that finds a campaign of that "
        "name and type cannot tell whether an earlier try created it or it existed before (nothing "
        "durable keeps that between tries), so it never adopts it: with if_exists 'fail' or 'create' "
        "the task fails (AirflowFailException) naming the ids and what to do; with 'reuse' it takes "
        "the single match, as the first try would. The upload cannot remember chunks, "
        "so once a chunk was stored, or one may have been, any failure fails the task without "
        "retrying (AirflowFailException) and says how much is confirmed stored; nothing is sent twice, "
        "but finishing the upload is left to a person.",
    ),
    Guarantee(
        "Validation before any request",
        "Every operator argument and connection field is validated after templates are rendered and "
        "before the first request; a bad value fails the task at once (AirflowFailException) with an "
        "error naming the field. The token can only be sent to a Wolkvox host, a loopback address, or "
        "an https URL written out in the connection.",
    ),
]
