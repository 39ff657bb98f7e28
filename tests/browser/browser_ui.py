"""Driving Airflow 3.3's UI in Debian's Chromium with Selenium, for the tests of this folder.

The browser and its driver come from Debian's packages (``chromium``, ``chromium-driver``); the
driver's path is given to Selenium, so selenium-manager never looks for (or downloads) one.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: The flags that work on this machine (no sandbox as root, nothing fetched in the background).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1080",
)
WAIT = 30.0


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if shutil.which(path) is None:
            return f"{path} not found: apt-get install chromium chromium-driver (package {package})"
    return None


def start_chromium(profile: Path) -> WebDriver:
    """A headless Chromium with a new empty profile, recording the network for :meth:`UI.api_calls`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


@dataclass
class ApiCall:
    """One request the page made, as Chromium saw it."""

    method: str
    url: str
    request_body: str | None
    status: int | None = None
    response_body: str | None = None

    def request_json(self) -> Any:
        return json.loads(self.request_body or "null")

    def response_json(self) -> Any:
        return json.loads(self.response_body or "null")


@dataclass
class UI:
    """The Airflow UI at ``base`` in ``driver``; screenshots go to ``artifacts/<step>.png``."""

    driver: WebDriver
    base: str
    artifacts: Path
    shots: list[Path] = field(default_factory=list)
    #: The login page the UI sent a signed-out browser to (set by the fixture that signs in).
    login_url: str = ""

    # --- navigation and waiting -------------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def wait_for(self, what: str, condition: Callable[[WebDriver], Any], timeout: float = WAIT) -> Any:
        try:
            return WebDriverWait(self.driver, timeout).until(condition)
        except TimeoutException:
            shot = self.screenshot(f"timeout-{re.sub(r'[^a-z0-9]+', '-', what.lower())}")
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what} on {self.driver.current_url} "
                f"(screenshot {shot})"
            ) from None

    def visible(self, by: str, selector: str, within: WebElement | None = None) -> WebElement:
        root = within if within is not None else self.driver

        def find(_: WebDriver) -> WebElement | bool:
            found = [element for element in root.find_elements(by, selector) if element.is_displayed()]
            return found[0] if found else False

        return self.wait_for(f"{selector!r} to be visible", find)

    def click_text(self, text: str, tag: str = "*", within: WebElement | None = None) -> None:
        """Click the visible ``tag`` element whose text is exactly ``text``."""
        element = self.visible(By.XPATH, f".//{tag}[normalize-space(.)={_xpath_literal(text)}]", within)
        self.wait_for(f"{text!r} to be clickable", ec.element_to_be_clickable(element)).click()

    def body_text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def screenshot(self, step: str) -> Path:
        path = self.artifacts / f"{len(self.shots) + 1:02d}-{step}.png"
        self.driver.save_screenshot(str(path))
        self.shots.append(path)
        return path

    # --- what the page sent ----------------------------------------------------------------

    def forget_api_calls(self) -> None:
        self.driver.get_log("performance")  # type: ignore[attr-defined]

    def api_calls(self, path: str) -> list[ApiCall]:
        """The requests to URLs ending in ``path`` since the last call, with their answers."""
        calls: dict[str, ApiCall] = {}
        for entry in self.driver.get_log("performance"):  # type: ignore[attr-defined]
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                request = params["request"]
                if request["url"].split("?")[0].endswith(path):
                    calls[params["requestId"]] = ApiCall(
                        request["method"], request["url"], request.get("postData")
                    )
            elif message["method"] == "Network.responseReceived" and params["requestId"] in calls:
                call = calls[params["requestId"]]
                call.status = params["response"]["status"]
                body = self.driver.execute_cdp_cmd(
                    "Network.getResponseBody", {"requestId": params["requestId"]}
                )  # type: ignore[attr-defined]
                call.response_body = body.get("body")
        return [call for call in calls.values() if call.method != "OPTIONS"]

    # --- Airflow's pages -------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> str:
        """Open the UI signed out, go through the simple auth manager's login page; the login
        page's URL."""
        self.open("/")
        self.wait_for("the login page", lambda d: "/auth/login" in d.current_url)
        login_url = str(self.driver.current_url)
        self.visible(By.NAME, "username").send_keys(username)
        self.visible(By.NAME, "password").send_keys(password)
        self.screenshot("login-page")
        self.click_text("Sign in", "button")
        self.wait_for("the UI after signing in", lambda d: "/auth/login" not in d.current_url)
        self.visible(By.XPATH, "//*[normalize-space(text())='Admin']")
        return login_url

    def toasts(self) -> list[WebElement]:
        return [
            toast
            for toast in self.driver.find_elements(By.CSS_SELECTOR, "[data-scope=toast][data-part=root]")
            if toast.is_displayed()
        ]

    def wait_for_toast(self, title: str) -> str:
        """The text of the toast titled ``title`` once it shows."""

        def find(_: WebDriver) -> str | bool:
            for toast in self.toasts():
                if toast.text.splitlines()[:1] == [title]:
                    return str(toast.text)
            return False

        return self.wait_for(f"a toast {title!r}", find)

    def dialog(self) -> WebElement:
        return self.visible(By.CSS_SELECTOR, "[role=dialog]")

    def choose(self, combobox: WebElement, option: str) -> None:
        """Pick ``option`` in a react-select combobox by typing it."""
        combobox.send_keys(option)
        self.visible(By.XPATH, f"//*[contains(@id, '-option-')][normalize-space(.)={_xpath_literal(option)}]")
        combobox.send_keys(Keys.ENTER)

    def form_fields(self, within: WebElement) -> Iterator[tuple[str, WebElement]]:
        """(label text, input) for every visible labelled input or textarea in ``within``."""
        for label in within.find_elements(By.CSS_SELECTOR, "label[for]"):
            if not label.is_displayed():
                continue
            for element in self.driver.find_elements(By.ID, label.get_attribute("for") or ""):
                if element.tag_name in ("input", "textarea") and element.is_displayed():
                    text = label.text.replace("*", "").strip()
                    yield text, element

    def connection_row(self, conn_id: str) -> WebElement:
        return self.visible(By.XPATH, f"//tr[td[normalize-space(.)={_xpath_literal(conn_id)}]]")


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ValueError(f"cannot quote {text!r} for XPath")
