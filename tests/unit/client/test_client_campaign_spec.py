"""CampaignSpec.build: every bad value is refused on the right field; accepted spellings are normalised."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from airflow_provider_wolkvox.client import CampaignSpec, CampaignType, WolkvoxValidationError

VALID: dict[str, Any] = {
    "type_campaign": "predictive",
    "campaign_name": "Spring sale",
    "skill_id": "12",
}

# (id, overrides on VALID, field named by the error, text the message must contain)
BAD_INPUTS = [
    ("type-word", {"type_campaign": "campaign"}, "type_campaign", "'preview' or 'predictive'"),
    ("type-empty", {"type_campaign": ""}, "type_campaign", "'preview' or 'predictive'"),
    ("type-none", {"type_campaign": None}, "type_campaign", "'preview' or 'predictive'"),
    ("type-int", {"type_campaign": 3}, "type_campaign", "'preview' or 'predictive'"),
    ("name-empty", {"campaign_name": ""}, "campaign_name", "required"),
    ("name-none", {"campaign_name": None}, "campaign_name", "required"),
    ("name-blank", {"campaign_name": "   "}, "campaign_name", "required"),
    ("name-newline", {"campaign_name": "Spring\nsale"}, "campaign_name", "single line"),
    ("name-int", {"campaign_name": 5}, "campaign_name", "text"),
    ("skill-empty", {"skill_id": ""}, "skill_id", "digits"),
    ("skill-letters", {"skill_id": "abc"}, "skill_id", "digits"),
    ("skill-mixed", {"skill_id": "12a"}, "skill_id", "digits"),
    ("skill-negative", {"skill_id": -1}, "skill_id", "negative"),
    ("skill-bool", {"skill_id": True}, "skill_id", "number"),
    ("skill-none", {"skill_id": None}, "skill_id", "number"),
    ("skill-float", {"skill_id": 1.5}, "skill_id", "digits"),
    ("start-without-end", {"start_time": "08:00"}, "end_time", "together"),
    ("end-without-start", {"end_time": "18:00"}, "start_time", "together"),
    (
        "times-for-preview",
        {"type_campaign": "preview", "start_time": "08:00", "end_time": "18:00"},
        "start_time",
        "predictive",
    ),
    ("time-4-digits", {"start_time": "2500", "end_time": "180000"}, "start_time", "HHMMSS"),
    ("time-hour-25", {"start_time": "25:00", "end_time": "180000"}, "start_time", "HHMMSS"),
    ("time-minute-60", {"start_time": "08:60", "end_time": "180000"}, "start_time", "HHMMSS"),
    ("time-8am", {"start_time": "8am", "end_time": "180000"}, "start_time", "HHMMSS"),
    ("time-9-digits", {"start_time": "080000000", "end_time": "180000"}, "start_time", "HHMMSS"),
    ("time-int", {"start_time": 800, "end_time": "180000"}, "start_time", "HHMMSS"),
    ("end-time-bad", {"start_time": "080000", "end_time": "18:75"}, "end_time", "HHMMSS"),
    ("amd-for-preview", {"type_campaign": "preview", "amd": "COL"}, "amd", "predictive"),
    ("amd-unknown", {"amd": "USA"}, "amd", "COL"),
    ("opts-13", {"opts": [f"c{i}" for i in range(13)]}, "opts", "at most 12"),
    ("opts-key-opt13", {"opts": {"opt13": "x"}}, "opts", "opt1 ... opt12"),
    ("opts-key-foo", {"opts": {"foo": "x"}}, "opts", "opt1 ... opt12"),
    ("opts-string", {"opts": "Plan"}, "opts", "list"),
    ("opt-title-int", {"opts": [7]}, "opts[opt1]", "text"),
    ("opt-title-blank", {"opts": {"opt2": " "}}, "opts[opt2]", "required"),
    ("edition-maybe", {"enable_edition": "maybe"}, "enable_edition", "use true or false"),
    ("edition-int", {"enable_edition": 2}, "enable_edition", "use true or false"),
    ("edition-padded", {"enable_edition": " yes"}, "enable_edition", "use true or false"),
    ("skill-superscript", {"skill_id": "\u00b2"}, "skill_id", "digits"),
    ("skill-arabic-digits", {"skill_id": "\u0661\u0662"}, "skill_id", "digits"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "accepted"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_campaign_value_is_refused_naming_the_field_and_what_is_accepted(
    overrides: dict[str, Any], field: str, accepted: str
) -> None:
    with pytest.raises(WolkvoxValidationError) as caught:
        CampaignSpec.build(**{**VALID, **overrides})

    assert caught.value.field == field
    assert accepted in str(caught.value)
    assert caught.value.permanent


@pytest.mark.parametrize("value", ["PREDICTIVE", "Predictive", CampaignType.PREDICTIVE])
def test_campaign_type_is_accepted_in_any_case(value: Any) -> None:
    assert CampaignSpec.build(**{**VALID, "type_campaign": value}).type_campaign is CampaignType.PREDICTIVE


@pytest.mark.parametrize(("value", "sent"), [(12, "12"), ("12", "12"), (0, "0"), ("0012", "0012")])
def test_skill_id_is_sent_as_a_digit_string(value: Any, sent: str) -> None:
    assert CampaignSpec.build(**{**VALID, "skill_id": value}).to_body()["skill_id"] == sent


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("08:00", "080000"),
        ("8:05:09", "080509"),
        ("080000", "080000"),
        ("23:59:59", "235959"),
        (datetime.time(18, 30), "183000"),
        (datetime.time(0, 0), "000000"),
    ],
)
def test_times_are_sent_as_hhmmss(value: Any, sent: str) -> None:
    spec = CampaignSpec.build(**{**VALID, "start_time": value, "end_time": value})

    assert (spec.to_body()["start_time"], spec.to_body()["end_time"]) == (sent, sent)


def test_opts_list_becomes_numbered_opt_columns() -> None:
    body = CampaignSpec.build(**VALID, opts=["Plan", "Balance", "City"]).to_body()

    assert {key: body[key] for key in body if key.startswith("opt")} == {
        "opt1": "Plan",
        "opt2": "Balance",
        "opt3": "City",
    }


def test_opts_dict_keeps_its_keys() -> None:
    body = CampaignSpec.build(**VALID, opts={"opt2": "Balance", "opt12": "Notes"}).to_body()

    assert {key: body[key] for key in body if key.startswith("opt")} == {"opt2": "Balance", "opt12": "Notes"}


def test_twelve_opts_are_accepted() -> None:
    body = CampaignSpec.build(**VALID, opts=[f"c{i}" for i in range(1, 13)]).to_body()

    assert body["opt12"] == "c12"


@pytest.mark.parametrize(("value", "sent"), [("col", "COL"), ("Mex", "MEX"), ("PER", "PER")])
def test_amd_country_is_sent_upper_case(value: str, sent: str) -> None:
    assert CampaignSpec.build(**VALID, amd=value).to_body()["amd"] == sent


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        (True, "yes"),
        (False, "no"),
        ("NO", "no"),
        ("Yes", "yes"),
        ("yes", "yes"),
        # what "{{ params.edit }}" renders a bool to, and the other spellings of parse_bool
        ("True", "yes"),
        ("False", "no"),
        ("true", "yes"),
        ("FALSE", "no"),
        ("1", "yes"),
        ("0", "no"),
        (1, "yes"),
        (0, "no"),
    ],
)
def test_enable_edition_is_sent_as_yes_or_no(value: Any, sent: str) -> None:
    assert CampaignSpec.build(**VALID, enable_edition=value).to_body()["enable_edition"] == sent


def test_minimal_spec_sends_edition_off_and_an_empty_description() -> None:
    assert CampaignSpec.build(**VALID).to_body() == {
        "campaign_name": "Spring sale",
        "campaign_description": "",
        "skill_id": "12",
        "enable_edition": "no",
    }
