"""resolve_server: which server values become which base URL, and which are refused."""

from __future__ import annotations

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError, resolve_server

WOLKVOX_FORMS = [
    "0042",
    "wv0042",
    "WV0042",
    "wv0042.wolkvox.com",
    "WV0042.WOLKVOX.COM",
    "Wv0042.WolkVox.Com",
    "https://wv0042.wolkvox.com",
    "HTTPS://WV0042.WOLKVOX.COM",
    "0042/",
    "wv0042/",
    "wv0042.wolkvox.com/",
    "https://wv0042.wolkvox.com/",
]


@pytest.mark.parametrize("server", WOLKVOX_FORMS)
def test_every_spelling_of_a_server_code_gives_the_https_wolkvox_host(server: str) -> None:
    endpoint = resolve_server(server)

    assert endpoint.base_url == "https://wv0042.wolkvox.com"
    assert endpoint.server_code == "0042"


@pytest.mark.parametrize(
    ("server", "base_url"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:8765", "http://localhost:8765"),
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("https://proxy.example.com/wolkvox", "https://proxy.example.com/wolkvox"),
    ],
)
def test_explicit_loopback_or_https_url_is_used_as_given(server: str, base_url: str) -> None:
    endpoint = resolve_server(server)

    assert endpoint.base_url == base_url
    assert endpoint.server_code is None


REFUSED = [
    "",
    None,
    " 0042",
    "0042 ",
    "00 42",
    "0042\n",
    "0042/../x",
    "0042@evil",
    "evil.com",
    "0042.evil.com",
    "evil.com#",
    "wv0042.wolkvox.com.evil.com",
    "ftp://127.0.0.1",
    "javascript:alert(1)",
    "http://user:pw@127.0.0.1:1",
    "http://127.0.0.1:8765/?a=1",
    "http://127.0.0.1:8765/#x",
    "http://127.0.0.1:8765/../x",
    "http://10.0.0.5:8765",
    "http://127.0.0.1:99999",
]


@pytest.mark.parametrize("server", REFUSED)
def test_unsafe_or_malformed_server_is_refused_on_the_host_field(server: str | None) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        resolve_server(server)

    assert caught.value.field == "host"


def test_plain_http_to_a_non_loopback_host_is_accepted_when_insecure_http_is_allowed() -> None:
    endpoint = resolve_server("http://10.0.0.5:8765", allow_insecure_http=True)

    assert endpoint.base_url == "http://10.0.0.5:8765"


def test_refusal_of_plain_http_explains_how_to_allow_it() -> None:
    with pytest.raises(WolkvoxValidationError, match="allow_insecure_http"):
        resolve_server("http://10.0.0.5:8765")


def test_refusal_of_a_bad_server_code_lists_the_accepted_forms() -> None:
    with pytest.raises(WolkvoxValidationError, match="0042") as caught:
        resolve_server("evil.com")

    assert "wv0042.wolkvox.com" in str(caught.value)
