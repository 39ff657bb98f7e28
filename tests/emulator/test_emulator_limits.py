"""Token checks and documented limits: 401/403 texts, daily quota, 2 concurrent calls per token."""

from __future__ import annotations

import threading

import requests
from emulator_helpers import Api, assert_envelope

from airflow_provider_wolkvox.emulator import WolkvoxEmulator, run_emulator, token_label

CONCURRENCY = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"


def test_missing_token_is_401(emu: WolkvoxEmulator) -> None:
    r = Api(emu.url, token=None).info("campaigns")
    assert_envelope(r, 401, "PLEASE ENTER THE WOLKVOX-TOKEN")
    assert r.json()["error"] == "UNAUTHORIZED"


def test_unknown_token_is_403(emu: WolkvoxEmulator) -> None:
    r = Api(emu.url, token="nope").info("campaigns")
    assert_envelope(r, 403, "PLEASE VALIDATE TOKEN")
    assert r.json()["error"] == "FORBIDDEN"


def test_auth_is_checked_before_the_api_name(emu: WolkvoxEmulator) -> None:
    assert_envelope(Api(emu.url, token=None).campaign("GET", "nonsense"), 401)
    assert_envelope(Api(emu.url, token="nope").campaign("GET", "nonsense"), 403, "PLEASE VALIDATE TOKEN")


def test_daily_quota() -> None:
    with run_emulator(tokens={"small": 3, "big": 10}) as emu:
        api = Api(emu.url, token="small")
        assert_envelope(api.info("token_info"), 200)
        assert_envelope(api.campaign("GET", "no_such_api"), 400)  # a 400 costs a unit too
        row = api.info("token_info").json()["data"][0]
        assert row["token_use_today"] == "3" and row["available_consumption_options"] == "0"
        assert_envelope(api.info("token_info"), 403, "TOKEN LIMIT EXCEEDED")
        assert_envelope(api.info("campaigns"), 403, "TOKEN LIMIT EXCEEDED")
        assert_envelope(Api(emu.url, token="big").info("campaigns"), 200)  # per token
        assert emu.state()["token_use_today"][token_label("small")] == 3
        assert emu.state()["rejections"] == {token_label("small"): {"quota": 2}}
        emu.reset()
        assert_envelope(api.info("token_info"), 200)


def _concurrent(emu: WolkvoxEmulator, n: int, token: str = "test-token") -> list[requests.Response]:
    barrier = threading.Barrier(n)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def worker() -> None:
        client = Api(emu.url, token=token)
        barrier.wait()
        r = client.info("campaigns")
        with lock:
            results.append(r)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_third_concurrent_call_is_rejected(emu: WolkvoxEmulator) -> None:
    emu.set_latency(0.4)
    results = _concurrent(emu, 3)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 403]
    rejected = next(r for r in results if r.status_code == 403)
    assert_envelope(rejected, 403, CONCURRENCY)
    assert emu.state()["peak_in_flight"][token_label("test-token")] == 3
    assert emu.state()["rejections"] == {token_label("test-token"): {"concurrency": 1}}
    # the rejected call cost nothing
    emu.set_latency(0)
    assert Api(emu.url).info("token_info").json()["data"][0]["token_use_today"] == "3"


def test_two_concurrent_calls_are_fine(emu: WolkvoxEmulator) -> None:
    emu.set_latency(0.3)
    assert sorted(r.status_code for r in _concurrent(emu, 2)) == [200, 200]
    assert emu.state()["peak_in_flight"][token_label("test-token")] == 2
    assert emu.state()["rejections"] == {}


def test_concurrency_is_per_token() -> None:
    with run_emulator(tokens={"a": 100, "b": 100}) as emu:
        emu.set_latency(0.4)
        barrier = threading.Barrier(4)
        codes: list[int] = []

        def worker(token: str) -> None:
            client = Api(emu.url, token=token)
            barrier.wait()
            codes.append(client.info("campaigns").status_code)

        threads = [threading.Thread(target=worker, args=(t,)) for t in ("a", "a", "b", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert codes == [200, 200, 200, 200]


def test_state_never_shows_raw_tokens(emu: WolkvoxEmulator) -> None:
    Api(emu.url).info("campaigns")
    assert "test-token" not in Api(emu.url).admin("GET", "state").text
