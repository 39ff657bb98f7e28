"""Which tasks get WolkvoxRetryPolicy, what it answers Airflow, and how errors reach it.

Airflow 3.3+ (AIP-105): every Wolkvox operator and the sensor carry the policy unless given a
retry_policy (None included, directly or in default_args); a permanent error then reaches the
policy unwrapped. Before 3.3 there is no policy and the error becomes AirflowFailException.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from airflow_provider_wolkvox._compat import AirflowFailException
from airflow_provider_wolkvox.client import (
    WolkvoxAmbiguousResultError,
    WolkvoxConcurrencyLimitError,
    WolkvoxQuotaExceededError,
)
from airflow_provider_wolkvox.client.errors import classify
from airflow_provider_wolkvox.operators.base import fail_fast_on_permanent_errors
from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator, StartCampaignOperator
from airflow_provider_wolkvox.operators.dnc import AddDoNotCallOperator
from airflow_provider_wolkvox.operators.records import UploadCampaignRecordsOperator
from airflow_provider_wolkvox.retry_policy import SUPPORTED, WolkvoxRetryPolicy
from airflow_provider_wolkvox.sensors.campaign import WolkvoxCampaignSensor

BASE = "https://wv0042.wolkvox.com/api/v2/campaign.php"
QUOTA = {"code": 403, "error": "FORBIDDEN", "msg": "TOKEN LIMIT EXCEEDED"}
CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"

needs_policies = pytest.mark.skipif(not SUPPORTED, reason="retry policies exist from Airflow 3.3")
before_policies = pytest.mark.skipif(SUPPORTED, reason="Airflow 3.3+ has retry policies")

TASKS = {
    "create": lambda **kw: CreateCampaignOperator(
        task_id="t", type_campaign="preview", campaign_name="A", skill_id=1, **kw
    ),
    "start": lambda **kw: StartCampaignOperator(task_id="t", campaign_id=1, type_campaign="preview", **kw),
    "upload": lambda **kw: UploadCampaignRecordsOperator(
        task_id="t", campaign_id=1, type_campaign="preview", records=[], **kw
    ),
    "dnc": lambda **kw: AddDoNotCallOperator(task_id="t", numbers=["3001234567"], **kw),
    "sensor": lambda **kw: WolkvoxCampaignSensor(task_id="t", campaign_id=1, target_status="Started", **kw),
}


@pytest.fixture(autouse=True)
def connection(set_connection):
    set_connection(extra={"retry_attempts": 1, "retry_concurrency_attempts": 1})


@needs_policies
@pytest.mark.parametrize("make", TASKS.values(), ids=TASKS.keys())
def test_every_task_gets_the_wolkvox_policy_by_default(make):
    assert isinstance(make().retry_policy, WolkvoxRetryPolicy)


@needs_policies
@pytest.mark.parametrize("make", TASKS.values(), ids=TASKS.keys())
def test_a_policy_the_user_gives_wins_none_included(make):
    from airflow.sdk import ExceptionRetryPolicy

    mine = ExceptionRetryPolicy(rules=[])
    assert make(retry_policy=mine).retry_policy is mine
    assert make(retry_policy=None).retry_policy is None


@needs_policies
def test_a_policy_in_default_args_wins_none_included():
    from airflow.sdk import DAG, ExceptionRetryPolicy

    mine = ExceptionRetryPolicy(rules=[])
    with DAG("d", schedule=None, start_date=datetime(2026, 1, 1), default_args={"retry_policy": mine}):
        from_dag = StartCampaignOperator(task_id="a", campaign_id=1, type_campaign="preview")
        from_task = StartCampaignOperator(
            task_id="b", campaign_id=1, type_campaign="preview", default_args={"retry_policy": None}
        )
    assert from_dag.retry_policy is mine
    assert from_task.retry_policy is None


@needs_policies
def test_evaluate_answers_airflow_with_retry_decisions():
    from airflow.sdk import RetryAction

    policy = WolkvoxRetryPolicy(concurrency_delay=timedelta(seconds=20))
    fail = policy.evaluate(classify("start", 403, 403, "TOKEN LIMIT EXCEEDED"), 1, 4)
    retry = policy.evaluate(classify("start", 403, 403, CONCURRENCY), 1, 4)
    default = policy.evaluate(classify("start", 503, 503, "busy"), 1, 4)
    assert fail.action is RetryAction.FAIL and "WolkvoxQuotaExceededError" in fail.reason
    assert (retry.action, retry.retry_delay) == (RetryAction.RETRY, timedelta(seconds=20))
    assert default.action is RetryAction.DEFAULT


@needs_policies
def test_the_policy_serializes_its_delays():
    policy = WolkvoxRetryPolicy(concurrency_delay=timedelta(seconds=5), maintenance_delay=timedelta(hours=2))
    again = WolkvoxRetryPolicy.deserialize(policy.serialize())
    assert (again.concurrency_delay, again.maintenance_delay) == (timedelta(seconds=5), timedelta(hours=2))


@needs_policies
@pytest.mark.parametrize("delay", [timedelta(seconds=-1), 30, None])
def test_a_bad_delay_is_refused(delay):
    with pytest.raises(ValueError, match="concurrency_delay"):
        WolkvoxRetryPolicy(concurrency_delay=delay)


@needs_policies
def test_with_the_policy_a_permanent_error_reaches_it_unwrapped(requests_mock):
    requests_mock.put(BASE, status_code=403, json=QUOTA)
    task = StartCampaignOperator(task_id="t", campaign_id=1, type_campaign="preview")
    with pytest.raises(WolkvoxQuotaExceededError) as caught:
        task.execute({})
    assert task.retry_policy.evaluate(caught.value, 1, 4).action.value == "fail"


@needs_policies
def test_without_a_policy_on_3_3_a_permanent_error_is_an_airflow_fail_exception(requests_mock):
    requests_mock.put(BASE, status_code=403, json=QUOTA)
    task = StartCampaignOperator(task_id="t", campaign_id=1, type_campaign="preview", retry_policy=None)
    with pytest.raises(AirflowFailException, match="TOKEN LIMIT EXCEEDED"):
        task.execute({})


@before_policies
@pytest.mark.parametrize("make", TASKS.values(), ids=TASKS.keys())
def test_before_3_3_no_task_has_a_policy(make):
    assert getattr(make(), "retry_policy", None) is None


@before_policies
def test_before_3_3_the_policy_cannot_be_built():
    with pytest.raises(RuntimeError, match=r"Airflow 3\.3"):
        WolkvoxRetryPolicy()


@before_policies
def test_before_3_3_a_permanent_error_is_an_airflow_fail_exception(requests_mock):
    requests_mock.put(BASE, status_code=403, json=QUOTA)
    task = StartCampaignOperator(task_id="t", campaign_id=1, type_campaign="preview")
    with pytest.raises(AirflowFailException, match="TOKEN LIMIT EXCEEDED") as caught:
        task.execute({})
    assert isinstance(caught.value.__cause__, WolkvoxQuotaExceededError)


class _Task:
    def __init__(self, retry_policy):
        self.retry_policy = retry_policy


@pytest.mark.parametrize("policy", [None, "a policy"])
def test_an_unknown_outcome_create_always_fails_through_airflow_fail_exception(policy):
    with (
        pytest.raises(AirflowFailException, match="may have been created"),
        fail_fast_on_permanent_errors(_Task(policy)),
    ):
        raise WolkvoxAmbiguousResultError("the campaign may have been created")


@pytest.mark.parametrize("policy", [None, "a policy"])
def test_a_transient_error_always_passes_unchanged(policy):
    error = classify("start", 403, 403, CONCURRENCY)
    with (
        pytest.raises(WolkvoxConcurrencyLimitError) as caught,
        fail_fast_on_permanent_errors(_Task(policy)),
    ):
        raise error
    assert caught.value is error
