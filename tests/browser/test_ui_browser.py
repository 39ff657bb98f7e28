"""Airflow 3.3's UI in a real browser (issue #12 item 2): sign in, add a Wolkvox connection, test
it with the UI's Test button, and read the upload task's log after a real DAG run.

The tests run in file order and share one signed-in Chromium and one api-server (module-scoped
fixtures in conftest.py); every step leaves a screenshot in tests/browser/artifacts/.

The Test button (Airflow 3.3.2): the button on a connection's row posts ``port: Number(port)``,
which is ``0`` for a connection without a port, and the api-server answers 400 "The host or port
to test differs from the stored connection" because 0 is not the stored NULL. The provider's form
metadata cannot avoid it: a standard field offers only hidden/title/placeholder (no default
value), and the Add form always saves an empty port as NULL. A stored port of 0, which the
provider ignores, makes the same button work; the tests below pin both facts, so an Airflow
upgrade that fixes the bug fails the first one on purpose.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote

import airflow
import pytest
import requests

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if int(airflow.__version__.split(".")[0]) < 3:
    pytest.skip("the React UI and `airflow api-server` exist from Airflow 3.0", allow_module_level=True)


INSTALL = ".venv/bin/pip install -c requirements/constraints-airflow-3.3.txt -r requirements/browser.txt"


def _unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where a skipped browser check would hide it."""
    if os.environ.get("CI"):
        pytest.fail(f"browser check cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


try:
    from browser_ui import UI, missing_browser
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
except ImportError as exc:
    _unavailable(f"{exc}: {INSTALL}")
if problem := missing_browser():
    _unavailable(problem)

from browser_deployment import UI_TOKEN, Deployment  # noqa: E402

CONN_ID = "wolkvox_ui"
PORT_0_CONN_ID = "wolkvox_port0"
LIFECYCLE = "example_wolkvox_lifecycle"
#: The start of UploadCampaignRecordsOperator's summary line (operators/records.py) for the
#: example's 50 contacts.
UPLOAD_SUMMARY = re.compile(r"Uploaded 50 records to predictive campaign \d+ in \d+ requests")
PORT_0_ANSWER = "The host or port to test differs from the stored connection"


def test_sign_in_goes_through_the_login_page(ui: UI, deployment: Deployment):
    assert ui.login_url.startswith(f"{deployment.base}/auth/login"), ui.login_url
    assert "/auth/login" not in ui.driver.current_url
    assert "Sign in" not in ui.body_text()
    ui.screenshot("signed-in")
    # The REST API behind the UI refuses a caller that did not sign in.
    anonymous = requests.Session()
    anonymous.trust_env = False
    assert anonymous.get(f"{deployment.base}/api/v2/connections", timeout=30).status_code == 401


@pytest.fixture(scope="module")
def add_form(ui: UI) -> WebElement:
    """Admin → Connections → Add Connection, type Wolkvox: the open dialog."""
    ui.open("/")
    ui.click_text("Admin")
    ui.click_text("Connections")
    ui.wait_for("the connections page", lambda d: d.current_url.endswith("/connections"))
    ui.click_text("Add Connection", "button")
    dialog = ui.dialog()
    ui.choose(ui.visible(By.CSS_SELECTOR, "input[role=combobox]", dialog), "Wolkvox")
    ui.visible(By.NAME, "host", dialog)
    return dialog


def _label_of(ui: UI, dialog: WebElement, name: str) -> tuple[str, str]:
    """(label, placeholder) of the visible input ``name`` in the form."""
    for label, element in ui.form_fields(dialog):
        if element.get_attribute("name") == name:
            return label, element.get_attribute("placeholder") or ""
    raise AssertionError(
        f"no visible field {name!r}; the form shows {[lab for lab, _ in ui.form_fields(dialog)]}"
    )


def test_add_connection_form_shows_server_and_token_and_no_port(ui: UI, add_form: WebElement):
    ui.screenshot("add-connection-wolkvox")
    server_label, server_placeholder = _label_of(ui, add_form, "host")
    token_label, token_placeholder = _label_of(ui, add_form, "password")
    assert server_label.startswith("Server"), server_label
    assert "URL" in server_label or "URL" in server_placeholder, (server_label, server_placeholder)
    assert "0042" in server_placeholder
    assert token_label == "API token"
    assert "Tokens" in token_placeholder  # where to create one in wolkvox Manager
    assert add_form.find_element(By.NAME, "password").get_attribute("type") == "password"
    labels = [label for label, _ in ui.form_fields(add_form)]
    assert "Port" not in labels and "Schema" not in labels, labels
    assert not [e for e in add_form.find_elements(By.NAME, "port") if e.is_displayed()]


def test_add_connection_form_extra_fields(ui: UI, add_form: WebElement):
    ui.click_text("Extra Fields", "button", add_form)
    timeout = ui.visible(By.NAME, "element_timeout", add_form)
    attempts = ui.visible(By.NAME, "element_retry_attempts", add_form)
    ui.screenshot("add-connection-extra-fields")
    text = add_form.text
    assert "Timeout (seconds)" in text and "HTTP attempts" in text
    # Pre-filled with the hook's defaults: what the form saves is what the hook would use anyway.
    assert (timeout.get_attribute("value"), attempts.get_attribute("value")) == ("75", "5")


@pytest.fixture(scope="module")
def saved_connection(ui: UI, add_form: WebElement, deployment: Deployment) -> dict:
    """The Wolkvox connection saved through the Add form, as the REST API returns it."""
    add_form.find_element(By.NAME, "connection_id").send_keys(CONN_ID)
    if not add_form.find_element(By.NAME, "host").is_displayed():  # one section open at a time
        ui.click_text("Standard Fields", "button", add_form)
    add_form.find_element(By.NAME, "host").send_keys(deployment.emulator.url)
    add_form.find_element(By.NAME, "login").send_keys("0042")  # "Server id": Server is a URL
    add_form.find_element(By.NAME, "password").send_keys(UI_TOKEN)
    ui.screenshot("add-connection-filled")
    ui.click_text("Save", "button", add_form)
    ui.wait_for_toast("Create Connection Request Submitted")
    ui.connection_row(CONN_ID)
    ui.screenshot("connection-saved")
    answer = deployment.api().get(f"{deployment.base}/api/v2/connections/{CONN_ID}", timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    return dict(answer.json())


def test_saved_connection_stores_no_null_extras(ui: UI, saved_connection: dict, deployment: Deployment):
    assert saved_connection["conn_type"] == "wolkvox"
    assert saved_connection["host"] == deployment.emulator.url
    assert saved_connection["port"] is None
    extra = json.loads(saved_connection["extra"] or "{}")
    assert {key: value for key, value in extra.items() if value is None} == {}, extra
    assert extra == {"timeout": 75, "retry_attempts": 5}  # the hook's defaults
    # The CLI reads the same row (and prints every value as text).
    shown = deployment.airflow("connections", "get", CONN_ID, "-o", "json")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert json.loads(shown.stdout)[0]["extra_dejson"] == {"timeout": "75", "retry_attempts": "5"}
    assert UI_TOKEN not in ui.driver.page_source


def _press_test(ui: UI, conn_id: str) -> str:
    ui.open("/connections")
    button = ui.connection_row(conn_id).find_element(By.CSS_SELECTOR, "button[aria-label='Test Connection']")
    ui.forget_api_calls()
    button.click()
    ui.wait_for(
        "the connection test's answer",
        lambda _: any(t.text.startswith("Test Connection") for t in ui.toasts()),
    )
    toast = next(t.text for t in ui.toasts() if t.text.startswith("Test Connection"))
    ui.screenshot(f"test-button-{conn_id}")
    return toast


def test_test_button_hits_airflow_3_3_2s_port_0_bug(ui: UI, saved_connection: dict, deployment: Deployment):
    before = deployment.emulator.request_counts.get("token_info", 0)
    toast = _press_test(ui, CONN_ID)
    (call,) = ui.api_calls("/api/v2/connections/test")
    assert call.request_json()["port"] == 0  # the row's button sends Number(null)
    if call.status == 200:
        pytest.fail(
            "The UI's Test button works for a connection without a port now: Airflow fixed the "
            "port-0 bug (apache/airflow PR #73298). Drop the README's note on it and make this test "
            f"assert the success. Toast: {toast!r}"
        )
    assert call.status == 400, (call.status, call.response_body)
    assert PORT_0_ANSWER in call.response_json()["detail"]
    # What the user sees: no reason at all.
    assert toast.splitlines() == ["Test Connection Failed", "Bad Request"], toast
    # The hook's test_connection was never reached.
    assert deployment.emulator.request_counts.get("token_info", 0) == before


def test_test_button_works_for_a_connection_stored_with_port_0(ui: UI, deployment: Deployment):
    """The diagnosis, and the workaround the README gives: the provider ignores the port."""
    created = deployment.api().post(
        f"{deployment.base}/api/v2/connections",
        json={
            "connection_id": PORT_0_CONN_ID,
            "conn_type": "wolkvox",
            "host": deployment.emulator.url,
            "login": "0042",
            "password": UI_TOKEN,
            "port": 0,
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text[:500]
    before = deployment.emulator.request_counts.get("token_info", 0)
    toast = _press_test(ui, PORT_0_CONN_ID)
    (call,) = ui.api_calls("/api/v2/connections/test")
    assert call.status == 200, (call.status, call.response_body)
    assert call.response_json()["status"] is True, call.response_body
    assert toast.startswith("Test Connection Successful\nConnected to "), toast
    assert deployment.emulator.request_counts.get("token_info", 0) == before + 1
    assert UI_TOKEN not in toast and UI_TOKEN not in (call.response_body or "")


@pytest.fixture(scope="module")
def lifecycle_run(deployment: Deployment) -> str:
    """The lifecycle example run through the LocalExecutor (so each task writes its log into the
    home, where the UI reads it), without a logical date; its run id."""
    result = deployment.airflow("dags", "test", "--use-executor", LIFECYCLE, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    answer = deployment.api().get(f"{deployment.base}/api/v2/dags/{LIFECYCLE}/dagRuns", timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    (run,) = answer.json()["dag_runs"]
    assert run["state"] == "success", run
    return str(run["dag_run_id"])


def test_upload_task_log_in_the_ui_shows_the_summary(ui: UI, lifecycle_run: str):
    ui.open(f"/dags/{LIFECYCLE}/runs/{quote(lifecycle_run, safe='')}/tasks/upload")
    summary = ui.wait_for(
        "the upload summary in the task's log", lambda _: UPLOAD_SUMMARY.search(ui.body_text())
    )
    ui.screenshot("upload-task-log")
    assert "accepted 50, rejected 0" in ui.body_text()[summary.start() :]
    assert "Skipping masking" not in ui.body_text()
    assert UI_TOKEN not in ui.driver.page_source
