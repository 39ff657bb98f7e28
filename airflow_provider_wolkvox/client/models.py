"""Wolkvox values: validation of what a user gives, and the wire format Wolkvox documents.

Field names follow the vendor's pages (``type_campaign``, ``campaign_name``, ``skill_id`` ...) so
this module can be read side by side with them. Every check raises WolkvoxValidationError naming
the field and what is accepted, before anything is sent.

One parser per kind of value: booleans (:func:`parse_bool`), whole numbers (:func:`parse_int`),
seconds (:func:`parse_number`), ids (:func:`parse_id`), choices (:func:`parse_choice`), text and
times. The client, the hook and the operators all call these, so a value is accepted or refused
the same way wherever it is given. Numbers are ASCII digits only: ``str.isdigit()``, ``int()`` and
``float()`` also take digits such as ``"²"`` or ``"١٢"``, and then fail (or succeed) in ways
nobody meant.
"""

from __future__ import annotations

import datetime
import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError

#: Countries for Answering Machine Detection, as listed on the campaign-creation page.
AMD_COUNTRIES = ("ARG", "CHL", "COL", "CRI", "ECU", "ESP", "GTM", "HND", "ITA", "MEX", "NIC", "PAN", "PER")
#: Extra column titles a campaign may have (opt1 ... opt12).
MAX_OPTS = 12

#: Campaign states Wolkvox reports (information.php?api=campaigns), in its spelling.
CAMPAIGN_STATUSES = ("Started", "Stopped")
#: Values of ``result`` that clear_campaign accepts (a record's last call result), as documented.
RECORD_RESULTS = (
    "no-answer",
    "answer-machine",
    "abandon",
    "busy",
    "congestion",
    "unknown",
    "failed",
    "do-not-call",
    "chanunavail",
    "answer",
)
#: Dialing speed bounds of campaign.php?api=speed.
MAX_SPEED = 100
#: Call directions of configuration.php add_dnc's ``type_call`` and remove_dnc's ``type``.
DNC_TYPES = ("inbound", "outbound", "inbound/outbound", "all")
#: The directions information.php get_dnc lists (its ``type``).
DNC_LIST_TYPES = ("inbound", "outbound", "all")
#: remove_dnc's outbound as the vendor's collection spells it; sent as given when a caller asks for it.
DNC_OUTBOUND_COLLECTION_SPELLING = "outboud"
#: Digits a do-not-call number may have, after separators are removed. 6: the shortest national
#: numbers in Wolkvox's markets (Italy); 20: room for a dial prefix before a 15-digit E.164 number.
PHONE_MIN_DIGITS = 6
PHONE_MAX_DIGITS = 20
PHONE_ACCEPTED = (
    f"give {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits, as text or int; spaces, dashes, dots, "
    "slashes, parentheses and a leading '+' are removed"
)
#: Numbers per configuration.php add_dnc / remove_dnc call: the collection's limit of 10,000 items
#: uploaded per call, which the DNC items repeat (they document no limit of their own).
MAX_DNC_NUMBERS_PER_REQUEST = 10_000
#: Rows a read answers at most (the collection's "60,000 records downloaded" per call).
MAX_DOWNLOAD_ROWS = 60_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")
# At most 18 digits: every count Wolkvox has fits, and int() never meets Python's 4300-digit limit.
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?")
_PHONE_SEPARATORS = re.compile(r"[ \t\-./()]")
_PHONE_DIGITS = re.compile(f"[0-9]{{{PHONE_MIN_DIGITS},{PHONE_MAX_DIGITS}}}")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
BOOL_ACCEPTED = "use true or false (True/False, 'true'/'false', 'yes'/'no' or 1/0, any case)"
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
        return cls(parse_choice(value, field_name, [kind.value for kind in cls]))


def _quoted_list(choices: Sequence[str]) -> str:
    quoted = [f"'{choice}'" for choice in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def parse_choice(
    value: Any,
    field_name: str,
    choices: Sequence[str],
    *,
    ignore_case: bool = True,
    accepted: str | None = None,
) -> str:
    """One of ``choices``, returned in the spelling ``choices`` gives it (any case by default)."""
    if isinstance(value, str):
        for choice in choices:
            if value == choice or (ignore_case and value.lower() == choice.lower()):
                return choice
    hint = accepted or f"use {_quoted_list(choices)}"
    raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {hint}")


def parse_bool(value: Any, field_name: str) -> bool:
    """A flag: True/False, 'true'/'false', 'yes'/'no', '1'/'0' (any case) or the integers 1/0.

    Jinja renders a Python bool to 'True'/'False', so a templated flag arrives as text.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {BOOL_ACCEPTED}")


def _range_hint(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"give a whole number from {minimum} to {maximum}"
    if minimum is not None:
        return f"give a whole number >= {minimum}"
    if maximum is not None:
        return f"give a whole number <= {maximum}"
    return "give a whole number, e.g. 10"


def parse_int(
    value: Any,
    field_name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    accepted: str | None = None,
) -> int:
    """A whole number given as int or ASCII digit string (``-`` allowed), within the bounds."""
    hint = accepted or _range_hint(minimum, maximum)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INTEGER.fullmatch(value):
        number = int(value)
    else:
        raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {hint}")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {hint}")
    return number


def parse_number(value: Any, field_name: str, *, accepted: str = "give seconds, e.g. 1 or 0.5") -> float:
    """A finite number >= 0 (seconds), given as int, float or ASCII decimal string such as '0.5'."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if is_number or (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        number = float(value)
    else:
        raise WolkvoxValidationError(field_name, f"{value!r} is not a number; {accepted}")
    if not math.isfinite(number) or number < 0:
        raise WolkvoxValidationError(field_name, f"{value!r} is not accepted; {accepted} (not negative)")
    return number


def read_count(value: Any) -> int | None:
    """A count in a Wolkvox answer (int or ASCII digit string, ``-`` allowed), or None if unreadable.

    For what the server sends, not for user input: an odd value means "unknown", not an error.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


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
    """A flag (see :func:`parse_bool`), sent the way Wolkvox wants it: 'yes' or 'no'."""
    return "yes" if parse_bool(value, field_name) else "no"


def parse_speed(value: Any, field_name: str = "speed") -> int:
    """A campaign's dialing speed: a whole number from 0 to 100."""
    return parse_int(value, field_name, minimum=0, maximum=MAX_SPEED)


def parse_record_result(value: Any, field_name: str = "result") -> str | None:
    """A record result for clear_campaign, spelt exactly as Wolkvox documents it; None stays None."""
    if value is None:
        return None
    return parse_choice(
        value,
        field_name,
        RECORD_RESULTS,
        ignore_case=False,
        accepted=f"use one of {', '.join(RECORD_RESULTS)}",
    )


def parse_target_status(value: Any, field_name: str = "target_status") -> str | None:
    """``Started``/``Stopped`` in any case, returned in Wolkvox's spelling; None stays None."""
    if value is None:
        return None
    return parse_choice(value, field_name, CAMPAIGN_STATUSES)


def parse_max_records(value: Any, field_name: str = "max_records") -> int | None:
    """A whole number of records >= 0 (int or digit string); None stays None."""
    if value is None:
        return None
    return parse_int(value, field_name, minimum=0)


def parse_amd(value: Any, field_name: str = "amd") -> str:
    """An AMD country code, any case, returned upper-case."""
    if isinstance(value, str) and value.upper() in AMD_COUNTRIES:
        return value.upper()
    raise WolkvoxValidationError(
        field_name, f"{value!r} is not accepted; use one of {', '.join(AMD_COUNTRIES)}"
    )


def parse_dnc_type(value: Any, field_name: str = "type_call", choices: Sequence[str] = DNC_TYPES) -> str:
    """A call direction of the do-not-call list, any case, returned as Wolkvox spells it."""
    return parse_choice(value, field_name, choices)


def phone_number(value: Any) -> str | None:
    """A do-not-call number as Wolkvox stores it (ASCII digits only), or None if it is not one.

    Spaces, tabs, dashes, dots, slashes and parentheses are removed and one leading ``+`` is
    dropped, so ``"+57 (300) 123-4567"`` gives ``"573001234567"``; what is left must be
    :data:`PHONE_MIN_DIGITS` to :data:`PHONE_MAX_DIGITS` digits. An int is read as its digits.
    Nothing else is changed: no country code is added, since Wolkvox matches numbers as stored.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        text = str(value)
    elif isinstance(value, str):
        text = _PHONE_SEPARATORS.sub("", value.strip())
        if text.startswith("+"):
            text = text[1:]
    else:
        return None
    return text if _PHONE_DIGITS.fullmatch(text) else None


def parse_phone_numbers(
    values: Iterable[Any], field_name: str = "numbers", *, unit: str = "item"
) -> list[str]:
    """Every value as a do-not-call number (see :func:`phone_number`), in order, duplicates kept.

    All values are checked before anything is returned. The error names the field, the position
    of the first bad value (``unit`` and its 1-based number, e.g. "item 3"), how many are bad and
    what is accepted, but never a value: phone numbers are personal data.
    """
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise WolkvoxValidationError(
            field_name, f"expected a list of phone numbers, got {type(values).__name__}"
        )
    numbers: list[str] = []
    first_bad: tuple[int, str] | None = None
    bad = 0
    for position, value in enumerate(values, start=1):
        number = phone_number(value)
        if number is not None:
            numbers.append(number)
            continue
        bad += 1
        if first_bad is None:
            if value is None or (isinstance(value, str) and not value.strip()):
                what = "is empty"
            elif isinstance(value, (str, int)) and not isinstance(value, bool):
                what = "is not a phone number"
            else:
                what = f"is a {type(value).__name__}, not text"
            first_bad = (position, what)
    if first_bad is not None:
        position, what = first_bad
        more = f" ({bad - 1} more bad {unit}{'s' if bad > 2 else ''} after it)" if bad > 1 else ""
        raise WolkvoxValidationError(field_name, f"{unit} {position} {what}{more}; {PHONE_ACCEPTED}")
    return numbers


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
        return cls(
            campaign_id=str(row.get("campaign_id", "")),
            campaign_name=str(row.get("campaign_name", "")),
            type_campaign=row.get("type_campaign"),
            status=row.get("status"),
            records=read_count(row.get("records")),
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
                count = read_count(row.get(key))
                if count is not None:
                    return count
            return None

        return cls(
            description=row.get("description"),
            token_limit=number("token_limit"),
            token_use_today=number("token_use_today"),
            # The sibling CRM product spells it "consumition"; accept both.
            available=number("available_consumption_options", "available_consumition_options"),
            raw=dict(row),
        )
