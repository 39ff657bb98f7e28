"""Wolkvox values: validation of what a user gives, and the wire format Wolkvox documents.

Field names follow the vendor's pages (``type_campaign``, ``campaign_name``, ``skill_id`` ...) so
this module can be read side by side with them. Every check raises WolkvoxValidationError naming
the field and what is accepted, before anything is sent.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError

#: Countries for Answering Machine Detection, as listed on the campaign-creation page.
AMD_COUNTRIES = ("ARG", "CHL", "COL", "CRI", "ECU", "ESP", "GTM", "HND", "ITA", "MEX", "NIC", "PAN", "PER")
#: Extra column titles a campaign may have (opt1 ... opt12).
MAX_OPTS = 12

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")
_OPT_KEY = re.compile(r"opt([1-9]|1[0-2])")
_TIME_FORMATS = (
    (re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})"), "HHMMSS"),
    (re.compile(r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})"), "HH:MM:SS"),
    (re.compile(r"([0-9]{1,2}):([0-9]{2})()"), "HH:MM"),
)


class CampaignType(str, enum.Enum):
    """The two kinds of campaign Wolkvox creates."""

    PREVIEW = "preview"
    PREDICTIVE = "predictive"

    @classmethod
    def parse(cls, value: Any, field_name: str = "type_campaign") -> CampaignType:
        """Accept a CampaignType or its name in any case."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; use 'preview' or 'predictive'")


def parse_text(value: Any, field_name: str, *, required: bool) -> str:
    """A single-line string; blank is refused when required."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise WolkvoxValidationError(field_name, f"expected text, got {type(value).__name__}")
    if _CONTROL.search(value) or len(value.splitlines()) > 1:
        raise WolkvoxValidationError(field_name, "must be a single line with no control characters")
    if required and not value.strip():
        raise WolkvoxValidationError(field_name, "is required and must not be blank")
    return value


def parse_id(value: Any, field_name: str) -> str:
    """A numeric Wolkvox id given as int or digit string, returned as the string Wolkvox expects."""
    if isinstance(value, bool) or value is None:
        raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; give a number such as 12")
    if isinstance(value, int):
        if value < 0:
            raise WolkvoxValidationError(field_name, f"{value} is not accepted; it must not be negative")
        return str(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return value
    raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; use digits only, e.g. 12 or '12'")


def parse_time(value: Any, field_name: str) -> str:
    """A dialing-window time as HHMMSS, from HHMMSS, HH:MM:SS, HH:MM or a datetime.time."""
    accepted = "use HHMMSS, HH:MM:SS, HH:MM or a datetime.time, e.g. '08:00'"
    if isinstance(value, datetime.time):
        return value.strftime("%H%M%S")
    if isinstance(value, str):
        for pattern, _ in _TIME_FORMATS:
            match = pattern.fullmatch(value)
            if match:
                hours, minutes, seconds = (int(part or 0) for part in match.groups())
                if hours > 23 or minutes > 59 or seconds > 59:
                    raise WolkvoxValidationError(field_name, f"{value!r} is not a time of day; {accepted}")
                return f"{hours:02d}{minutes:02d}{seconds:02d}"
    raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {accepted}")


def parse_yes_no(value: Any, field_name: str) -> str:
    """True/False or 'yes'/'no' (any case), sent as 'yes'/'no'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.lower() in ("yes", "no"):
        return value.lower()
    raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; use True/False or 'yes'/'no'")


def parse_amd(value: Any, field_name: str = "amd") -> str:
    """An AMD country code, any case, returned upper-case."""
    if isinstance(value, str) and value.upper() in AMD_COUNTRIES:
        return value.upper()
    raise WolkvoxValidationError(
        field_name, f"{value!r} is not accepted; use one of {', '.join(AMD_COUNTRIES)}"
    )


def parse_opts(value: Any, field_name: str = "opts") -> dict[str, str]:
    """Extra column titles: a list (becomes opt1..optN) or a dict keyed opt1..opt12."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        items = list(value.items())
        for key, _ in items:
            if not isinstance(key, str) or not _OPT_KEY.fullmatch(key):
                raise WolkvoxValidationError(
                    field_name, f"key {key!r} is not accepted; use opt1 ... opt{MAX_OPTS}"
                )
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) > MAX_OPTS:
            raise WolkvoxValidationError(
                field_name, f"{len(value)} titles given; at most {MAX_OPTS} are accepted"
            )
        items = [(f"opt{index}", title) for index, title in enumerate(value, start=1)]
    else:
        raise WolkvoxValidationError(
            field_name, f"expected a list of up to {MAX_OPTS} titles or a dict keyed opt1 ... opt{MAX_OPTS}"
        )
    return {key: parse_text(title, f"{field_name}[{key}]", required=True) for key, title in items}


@dataclass(frozen=True)
class CampaignSpec:
    """A validated campaign-creation request. Build it with :meth:`build`."""

    type_campaign: CampaignType
    campaign_name: str
    skill_id: str
    campaign_description: str = ""
    start_time: str | None = None
    end_time: str | None = None
    opts: dict[str, str] = field(default_factory=dict)
    amd: str | None = None
    enable_edition: str = "no"

    @classmethod
    def build(
        cls,
        *,
        type_campaign: Any,
        campaign_name: Any,
        skill_id: Any,
        campaign_description: Any = None,
        start_time: Any = None,
        end_time: Any = None,
        opts: Any = None,
        amd: Any = None,
        enable_edition: Any = False,
    ) -> CampaignSpec:
        """Validate raw (e.g. rendered template) values; raise WolkvoxValidationError on the first bad one."""
        kind = CampaignType.parse(type_campaign)
        predictive_only = "applies to predictive campaigns only; leave it unset for preview"
        times_given = [name for name, val in (("start_time", start_time), ("end_time", end_time)) if val]
        if times_given and kind is not CampaignType.PREDICTIVE:
            raise WolkvoxValidationError(times_given[0], predictive_only)
        if len(times_given) == 1:
            missing = "end_time" if times_given[0] == "start_time" else "start_time"
            raise WolkvoxValidationError(
                missing, "start_time and end_time must be given together, or neither"
            )
        if amd and kind is not CampaignType.PREDICTIVE:
            raise WolkvoxValidationError("amd", predictive_only)
        return cls(
            type_campaign=kind,
            campaign_name=parse_text(campaign_name, "campaign_name", required=True),
            skill_id=parse_id(skill_id, "skill_id"),
            campaign_description=parse_text(campaign_description, "campaign_description", required=False),
            start_time=parse_time(start_time, "start_time") if start_time else None,
            end_time=parse_time(end_time, "end_time") if end_time else None,
            opts=parse_opts(opts),
            amd=parse_amd(amd) if amd else None,
            enable_edition=parse_yes_no(enable_edition, "enable_edition"),
        )

    def to_body(self) -> dict[str, str]:
        """The JSON body of create_campaign, keys as the vendor's sample sends them."""
        body = {
            "campaign_name": self.campaign_name,
            "campaign_description": self.campaign_description,
            "skill_id": self.skill_id,
        }
        if self.start_time and self.end_time:
            body["start_time"] = self.start_time
            body["end_time"] = self.end_time
        body.update(self.opts)
        if self.amd:
            body["amd"] = self.amd
        body["enable_edition"] = self.enable_edition
        return body


@dataclass(frozen=True)
class Campaign:
    """A campaign as Wolkvox reports it (create answer or a row of the campaign list)."""

    campaign_id: str
    campaign_name: str
    type_campaign: str | None = None
    status: str | None = None
    records: int | None = None
    speed: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Campaign:
        """Read a row of information.php?api=campaigns."""
        records = row.get("records")
        return cls(
            campaign_id=str(row.get("campaign_id", "")),
            campaign_name=str(row.get("campaign_name", "")),
            type_campaign=row.get("type_campaign"),
            status=row.get("status"),
            records=int(str(records)) if str(records or "").isdigit() else None,
            speed=None if row.get("speed") is None else str(row.get("speed")),
            raw=dict(row),
        )

    @property
    def is_started(self) -> bool:
        return (self.status or "").lower() == "started"


@dataclass(frozen=True)
class TokenInfo:
    """Usage of the connection's token today (information.php?api=token_info)."""

    description: str | None
    token_limit: int | None
    token_use_today: int | None
    available: int | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TokenInfo:
        def number(*keys: str) -> int | None:
            for key in keys:
                value = row.get(key)
                if value is not None and str(value).strip().lstrip("-").isdigit():
                    return int(value)
            return None

        return cls(
            description=row.get("description"),
            token_limit=number("token_limit"),
            token_use_today=number("token_use_today"),
            # The sibling CRM product spells it "consumition"; accept both.
            available=number("available_consumption_options", "available_consumition_options"),
            raw=dict(row),
        )
