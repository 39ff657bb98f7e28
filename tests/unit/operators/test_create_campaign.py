from __future__ import annotations

import datetime
from unittest.mock import MagicMock

import pytest
from failing import airflow_fails_at_once, fails_at_once
from task_store import FakeStore

from airflow_provider_wolkvox._compat import AirflowException
from airflow_provider_wolkvox.client import WolkvoxServerError
from airflow_provider_wolkvox.client.errors import WolkvoxResumableError
from airflow_provider_wolkvox.operators.campaign import CreateCampaignOperator

CREATE_URL = "https://wv0042.wolkvox.com/api/v2/campaign.php?api=create_campaign"
CAMPAIGNS_URL = "https://wv0042.wolkvox.com/api/v2/information.php?api=campaigns"
CREATED = {
    "code": 201,
    "error": None,
    "msg": "The 1234 campaign_id has been created successfully",
    "data": [{"id_campaign": "1234", "name_campaign": "Outbound 2026-11-28"}],
}
GOOD = {"type_campaign": "predictive", "campaign_name": "Outbound", "skill_id": 12}


@pytest.fixture
def connection(set_connection):
    # No waiting between HTTP retries in unit tests.
    return set_connection(extra={"retry_min_delay": 0, "retry_max_delay": 0, "retry_attempts": 3})


@pytest.fixture(autouse=True)
def campaign_list(requests_mock):
    """The campaign list the operator reads before creating; tests append rows to it."""
    rows: list[dict[str, str]] = []
    requests_mock.get(CAMPAIGNS_URL, json=lambda request, context: {"code": 200, "error": None, "data": rows})
    return rows


def creates(requests_mock):
    return [r for r in requests_mock.request_history if r.method == "POST"]


def make(**overrides):
    return CreateCampaignOperator(task_id="create", **{**GOOD, **overrides})


def test_create_sends_the_documented_request_and_returns_the_id(connection, requests_mock):
    requests_mock.post(CREATE_URL, status_code=201, json=CREATED)
    op = make(
        campaign_description="Daily rollout",
        start_time="08:00",
        end_time=datetime.time(18, 30),
        opts=["Plan", "Debt"],
        amd="col",
        enable_edition=True,
    )
    ti = MagicMock()

    assert op.execute({"ti": ti}) == "1234"

    request = requests_mock.last_request
    assert request.method == "POST"
    assert request.url == CREATE_URL + "&type_campaign=predictive"
    assert request.headers["wolkvox-token"] == "tok-SECRET-0123456789"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "campaign_name": "Outbound",
        "campaign_description": "Daily rollout",
        "skill_id": "12",
        "start_time": "080000",
        "end_time": "183000",
        "opt1": "Plan",
        "opt2": "Debt",
        "amd": "COL",
        "enable_edition": "yes",
    }
    ti.xcom_push.assert_called_once_with(key="campaign_name", value="Outbound 2026-11-28")


def test_preview_campaign_sends_no_dialing_window(connection, requests_mock):
    requests_mock.post(CREATE_URL, status_code=201, json=CREATED)
    make(type_campaign="Preview").execute({"ti": MagicMock()})
    assert "type_campaign=preview" in requests_mock.last_request.url
    assert set(requests_mock.last_request.json()) == {
        "campaign_name",
        "campaign_description",
        "skill_id",
        "enable_edition",
    }


def test_every_argument_is_templated_and_rendered_before_validation(connection, requests_mock):
    requests_mock.post(CREATE_URL, status_code=201, json=CREATED)
    op = make(
        type_campaign="{{ params.kind }}",
        campaign_name="Outbound {{ ds }}",
        skill_id="{{ params.skill }}",
        campaign_description="run {{ run_id }}",
        start_time="{{ params.start }}",
        end_time="18:00",
        opts=["Plan {{ ds }}"],
        amd="{{ params.amd }}",
        enable_edition="{{ params.edit }}",
        wolkvox_conn_id="{{ params.conn }}",
    )
    op.render_template_fields(
        {
            "ds": "2026-11-28",
            "run_id": "manual_1",
            "params": {
                "kind": "predictive",
                "skill": "7",
                "start": "0800",
                "amd": "mex",
                "edit": "no",
                "conn": "wolkvox_default",
            },
        }
    )
    assert op.campaign_name == "Outbound 2026-11-28"
    assert op.opts == ["Plan 2026-11-28"]
    with fails_at_once(match="start_time"):  # "0800" is not HHMMSS
        op.execute({"ti": MagicMock()})
    assert requests_mock.call_count == 0

    op.start_time = "08:00"
    assert op.execute({"ti": MagicMock()}) == "1234"
    body = requests_mock.last_request.json()
    assert body["campaign_name"] == "Outbound 2026-11-28"
    assert body["skill_id"] == "7"
    assert body["amd"] == "MEX"


@pytest.mark.parametrize(("edit", "sent"), [(True, "yes"), (False, "no")])
def test_a_boolean_param_rendered_into_enable_edition_is_accepted(connection, requests_mock, edit, sent):
    # "{{ params.edit }}" renders a Python bool to the text 'True' / 'False'.
    requests_mock.post(CREATE_URL, status_code=201, json=CREATED)
    op = make(enable_edition="{{ params.edit }}")
    op.render_template_fields({"params": {"edit": edit}})
    assert op.enable_edition == str(edit)

    assert op.execute({"ti": MagicMock()}) == "1234"
    assert requests_mock.last_request.json()["enable_edition"] == sent


def test_template_fields_cover_every_argument():
    assert set(CreateCampaignOperator.template_fields) == {
        "type_campaign",
        "campaign_name",
        "campaign_description",
        "skill_id",
        "start_time",
        "end_time",
        "opts",
        "amd",
        "enable_edition",
        "if_exists",
        "wolkvox_conn_id",
    }


def test_arguments_are_keyword_only():
    # Airflow 3 refuses positional arguments with TypeError, Airflow 2 with AirflowException.
    with pytest.raises((TypeError, AirflowException)):
        CreateCampaignOperator("create", "predictive", "x", 1)  # type: ignore[misc]


BAD_INPUTS = [
    ({"type_campaign": "progressive"}, "type_campaign"),
    ({"type_campaign": ""}, "type_campaign"),
    ({"type_campaign": None}, "type_campaign"),
    ({"campaign_name": ""}, "campaign_name"),
    ({"campaign_name": "   "}, "campaign_name"),
    ({"campaign_name": "two\nlines"}, "campaign_name"),
    ({"campaign_name": None}, "campaign_name"),
    ({"skill_id": "abc"}, "skill_id"),
    ({"skill_id": "-3"}, "skill_id"),
    ({"skill_id": True}, "skill_id"),
    ({"skill_id": 1.5}, "skill_id"),
    ({"start_time": "08:00"}, "end_time"),
    ({"end_time": "18:00"}, "start_time"),
    ({"start_time": "25:00", "end_time": "18:00"}, "start_time"),
    ({"start_time": "08:00", "end_time": "8pm"}, "end_time"),
    ({"type_campaign": "preview", "start_time": "08:00", "end_time": "18:00"}, "start_time"),
    ({"amd": "USA"}, "amd"),
    ({"type_campaign": "preview", "amd": "COL"}, "amd"),
    ({"opts": [f"c{i}" for i in range(13)]}, "opts"),
    ({"opts": {"opt13": "x"}}, "opts"),
    ({"opts": "Plan,Debt"}, "opts"),
    ({"opts": [""]}, "opts[opt1]"),
    ({"enable_edition": "maybe"}, "enable_edition"),
    ({"campaign_description": "a\x00b"}, "campaign_description"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUTS)
def test_bad_input_fails_the_task_naming_the_field_before_any_request(
    connection, requests_mock, overrides, field
):
    with fails_at_once() as info:
        make(**overrides).execute({"ti": MagicMock()})
    assert f"Invalid {field}:" in str(info.value)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("status", "msg"),
    [
        (400, "SOME PARAMETERS ARE REQUIRED"),
        (401, "PLEASE ENTER THE WOLKVOX-TOKEN"),
        (403, "PLEASE VALIDATE TOKEN"),
        (403, "TOKEN LIMIT EXCEEDED"),
    ],
)
def test_errors_a_retry_cannot_fix_fail_without_retries(connection, requests_mock, status, msg):
    requests_mock.post(CREATE_URL, status_code=status, json={"code": status, "error": "X", "msg": msg})
    with fails_at_once(match=msg) as info:
        make().execute({"ti": MagicMock()})
    assert "tok-SECRET" not in str(info.value)
    assert len(creates(requests_mock)) == 1


def test_transient_errors_raise_ordinary_errors_so_task_retries_apply(connection, requests_mock):
    requests_mock.post(CREATE_URL, status_code=503, json={"code": 503, "error": "X", "msg": "busy"})
    with pytest.raises(WolkvoxServerError):
        make().execute({"ti": MagicMock()})
    assert len(creates(requests_mock)) == 3  # retry_attempts from the connection extra


def test_a_lost_answer_is_checked_in_the_campaign_list_and_then_left_to_a_task_retry(
    connection, requests_mock
):
    requests_mock.post(CREATE_URL, status_code=504, text="<html>Gateway Timeout</html>")
    with pytest.raises(WolkvoxResumableError, match="next try looks for it in the campaign list") as info:
        make().execute({"ti": MagicMock()})
    assert not airflow_fails_at_once(info.value)  # Airflow's retries apply (the 3.3+ retry policy too)
    # Sent, checked the list (nothing), sent once more, checked again: never blindly repeated.
    methods = [r.method for r in requests_mock.request_history]
    assert methods == ["GET", "POST", "GET", "POST", "GET"]


def test_success_is_logged_in_one_line(connection, requests_mock, capsys, caplog):
    requests_mock.post(CREATE_URL, status_code=201, json=CREATED)
    make().execute({"ti": MagicMock()})
    # Airflow 3 task loggers write through structlog to stdout; Airflow 2 through logging.
    logged = capsys.readouterr().out + caplog.text
    assert "Created predictive campaign 1234 'Outbound 2026-11-28'" in logged
    assert "tok-SECRET" not in logged


# ------------------------------------------------------------------ retry safety (issue: duplicates)


def row(campaign_id, name="Outbound", type_campaign="predictive"):
    return {
        "campaign_id": campaign_id,
        "campaign_name": name,
        "type_campaign": type_campaign,
        "status": "Stopped",
    }


def created_then_listed(campaign_list, campaign_id="1234"):
    """A create answer that also makes the campaign appear in the list, like the real server."""

    def answer(request, context):
        context.status_code = 201
        campaign_list.append(row(campaign_id, request.json()["campaign_name"]))
        return {"code": 201, "error": None, "msg": "ok", "data": [{"id_campaign": campaign_id}]}

    return answer


def test_a_task_retry_reuses_the_campaign_an_earlier_try_created(connection, requests_mock, campaign_list):
    store = FakeStore()
    requests_mock.post(CREATE_URL, json=created_then_listed(campaign_list))
    assert make().execute({"ti": MagicMock(), "task_state_store": store}) == "1234"

    requests_mock.reset_mock()
    assert make().execute({"ti": MagicMock(), "task_state_store": store}) == "1234"
    assert creates(requests_mock) == []
    assert len(campaign_list) == 1


def test_a_remembered_campaign_that_was_deleted_is_created_again(connection, requests_mock, campaign_list):
    store = FakeStore()
    store.set("wolkvox_create_campaign", {"campaign_id": "999", "campaign_name": "Outbound"})
    requests_mock.post(CREATE_URL, json=created_then_listed(campaign_list))
    assert make().execute({"ti": MagicMock(), "task_state_store": store}) == "1234"
    assert len(creates(requests_mock)) == 1
    assert store.data["wolkvox_create_campaign"]["campaign_id"] == "1234"


def test_a_retry_after_a_lost_answer_adopts_the_campaign_that_appeared(
    connection, requests_mock, campaign_list
):
    store = FakeStore()
    campaign_list.append(row("1000"))  # existed before, with if_exists="create"
    requests_mock.post(CREATE_URL, status_code=502, text="Bad Gateway")
    with pytest.raises(WolkvoxResumableError) as info:
        make(if_exists="create").execute({"ti": MagicMock(), "task_state_store": store})
    assert not airflow_fails_at_once(info.value)  # the next try settles it from the store
    assert store.data["wolkvox_create_campaign"] == {"pending": True, "existing": ["1000"]}

    # Meanwhile the server turns out to have created it after all.
    campaign_list.append(row("1001"))
    requests_mock.reset_mock()
    assert make(if_exists="create").execute({"ti": MagicMock(), "task_state_store": store}) == "1001"
    assert creates(requests_mock) == []


def test_a_lost_answer_whose_campaign_is_in_the_list_is_adopted_in_the_same_try(
    connection, requests_mock, campaign_list
):
    def applied_but_lost(request, context):
        campaign_list.append(row("1234"))
        context.status_code = 504
        return "Gateway Timeout"

    requests_mock.post(CREATE_URL, text=applied_but_lost)
    assert make().execute({"ti": MagicMock(), "task_state_store": FakeStore()}) == "1234"
    assert len(creates(requests_mock)) == 1
    assert len(campaign_list) == 1


def test_a_lost_answer_with_nothing_created_is_sent_once_more(connection, requests_mock, campaign_list):
    requests_mock.post(
        CREATE_URL,
        [{"status_code": 504, "text": "Gateway Timeout"}, {"json": created_then_listed(campaign_list)}],
    )
    assert make().execute({"ti": MagicMock(), "task_state_store": FakeStore()}) == "1234"
    assert len(creates(requests_mock)) == 2
    assert len(campaign_list) == 1


def test_if_exists_fail_is_the_default_and_creates_nothing(connection, requests_mock, campaign_list):
    campaign_list.append(row("1000"))
    campaign_list.append(row("1001", type_campaign="preview"))  # another type does not count
    with fails_at_once(match=r"already exists \(id 1000\).*if_exists='reuse'"):
        make().execute({"ti": MagicMock()})
    assert creates(requests_mock) == []


def test_if_exists_reuse_returns_the_existing_campaign(connection, requests_mock, campaign_list):
    campaign_list.append(row("1000"))
    assert make(if_exists="reuse").execute({"ti": MagicMock()}) == "1000"
    assert creates(requests_mock) == []


def test_if_exists_reuse_refuses_to_choose_between_several(connection, requests_mock, campaign_list):
    campaign_list.extend([row("1000"), row("1001")])
    with fails_at_once(match=r"2 campaigns named 'Outbound'.*1000, 1001"):
        make(if_exists="REUSE").execute({"ti": MagicMock()})
    assert creates(requests_mock) == []


def test_if_exists_create_makes_another_campaign(connection, requests_mock, campaign_list):
    campaign_list.append(row("1000"))
    requests_mock.post(CREATE_URL, json=created_then_listed(campaign_list))
    assert make(if_exists="create").execute({"ti": MagicMock()}) == "1234"
    assert len(campaign_list) == 2


# ------------------------------------- Airflow before 3.3: no task state store (issue #11 item 3)


def test_without_a_state_store_a_retry_never_adopts_an_older_campaign_after_a_failed_list_read(
    connection, requests_mock, campaign_list
):
    campaign_list.append(row("1000"))  # an older campaign of the same name and type
    requests_mock.get(CAMPAIGNS_URL, status_code=500, json={"code": 500, "error": "X", "msg": "down"})
    with pytest.raises(WolkvoxServerError):  # try 1 fails on the list read, before creating anything
        make().execute({"ti": MagicMock(try_number=1)})

    requests_mock.get(CAMPAIGNS_URL, json={"code": 200, "error": None, "data": campaign_list})
    with fails_at_once() as info:  # try 2, if_exists="fail" (the default)
        make().execute({"ti": MagicMock(try_number=2)})

    message = str(info.value)
    assert "id 1000" in message
    assert "cannot tell whether an earlier try created it" in message
    assert "if_exists='reuse'" in message and "delete" in message and "rename" in message
    assert creates(requests_mock) == []


def test_without_a_state_store_a_retry_with_if_exists_create_neither_adopts_nor_duplicates(
    connection, requests_mock, campaign_list
):
    campaign_list.extend([row("1000"), row("1001")])  # one older, one maybe from try 1: unknowable
    with fails_at_once(match=r"ids 1000, 1001.*cannot tell"):
        make(if_exists="create").execute({"ti": MagicMock(try_number=2)})
    assert creates(requests_mock) == []


def test_without_a_state_store_a_retry_with_if_exists_reuse_takes_the_single_campaign(
    connection, requests_mock, campaign_list, capsys, caplog
):
    campaign_list.append(row("1000"))
    assert make(if_exists="reuse").execute({"ti": MagicMock(try_number=2)}) == "1000"
    assert creates(requests_mock) == []
    logged = capsys.readouterr().out + caplog.text
    assert "Reusing existing predictive campaign 'Outbound' 1000 (if_exists='reuse')" in logged


def test_without_a_state_store_a_retry_creates_when_no_campaign_of_that_name_exists(
    connection, requests_mock, campaign_list
):
    requests_mock.post(CREATE_URL, json=created_then_listed(campaign_list))
    assert make().execute({"ti": MagicMock(try_number=2)}) == "1234"
    assert len(creates(requests_mock)) == 1


def test_a_bad_if_exists_is_refused_before_any_request(connection, requests_mock):
    with fails_at_once(match="Invalid if_exists: 'skip' is not accepted"):
        make(if_exists="skip").execute({"ti": MagicMock()})
    assert requests_mock.call_count == 0
