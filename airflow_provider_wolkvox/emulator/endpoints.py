"""The Wolkvox v2 endpoints, written from the server's side of the vendor documentation.

Each endpoint takes a parsed ``Call`` and returns a ``Result`` or raises ``ApiError``; the
HTTP layer (server.py) turns those into the vendor's JSON envelope. Nothing here knows about
sockets, tokens or faults, so the behaviour of an endpoint can be read in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .state import Campaign, Store, has_phone

MSG_NO_API = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
MSG_PARAMS = "SOME PARAMETERS ARE REQUIRED"
MSG_TYPE = "THE TYPE_CAMPAIGN MUST BE PREVIEW OR PREDICTIVE"
MSG_NOT_FOUND = "CAMPAIGN NOT FOUND"
MSG_SPEED = "THE SPEED MUST BE A NUMBER BETWEEN 0 AND 100"
MSG_RESULT = "THE RESULT MUST BE ONE OF: "
MSG_DATES = "THE DATES MUST HAVE THE FORMAT YYYYMMDDHHIISS AND DATE_INI <= DATE_END"
MSG_SPAN = "THE MAXIMUM RANGE OF DATES IS 31 DAYS"

CAMPAIGN_TYPES = ("preview", "predictive")
#: documented values of a record's result column (clear_campaign filter)
RESULTS = (
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
MAX_DOWNLOAD_ROWS = 60_000
MAX_SPAN_SECONDS = 31 * 24 * 3600

_UNSET: Any = object()


class ApiError(Exception):
    """An error answer: HTTP status == body code, ``msg`` the documented text."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg


@dataclass
class Result:
    status: int
    msg: str
    data: list[Any] | None = None


@dataclass
class Call:
    """One authenticated API call, as the endpoints see it."""

    api: str
    query: dict[str, str]
    body: bytes
    server: str
    token: str
    _parsed: Any = field(default=_UNSET, repr=False)

    def json(self) -> Any:
        """The JSON body, parsed once; a missing or malformed body is a parameter error."""
        if self._parsed is _UNSET:
            if not self.body.strip():
                raise ApiError(400, MSG_PARAMS)
            try:
                self._parsed = json.loads(self.body)
            except ValueError:
                raise ApiError(400, MSG_PARAMS) from None
        return self._parsed

    def json_object(self) -> dict[str, Any]:
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(400, MSG_PARAMS)
        return body

    def opt(self, name: str) -> str | None:
        value = self.query.get(name, "").strip()
        return value or None

    def param(self, name: str) -> str:
        value = self.opt(name)
        if value is None:
            raise ApiError(400, MSG_PARAMS)
        return value

    def type_campaign(self) -> str:
        value = self.param("type_campaign")
        if value not in CAMPAIGN_TYPES:
            raise ApiError(400, MSG_TYPE)
        return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


class Endpoints:
    """All implemented endpoints, keyed by (module, api) -> (HTTP method, handler)."""

    def __init__(self, store: Store, max_records: int, token_info: Callable[[str], dict[str, str]]) -> None:
        self.store = store
        self.max_records = max_records
        self._token_info = token_info
        self.routes: dict[tuple[str, str], tuple[str, Callable[[Call], Result]]] = {
            ("campaign.php", "create_campaign"): ("POST", self.create_campaign),
            ("campaign.php", "add_record"): ("POST", self.add_record),
            ("campaign.php", "start"): ("PUT", self.start),
            ("campaign.php", "stop"): ("PUT", self.stop),
            ("campaign.php", "speed"): ("PUT", self.speed),
            ("campaign.php", "clear_campaign"): ("DELETE", self.clear_campaign),
            ("campaign.php", "remove_record"): ("DELETE", self.remove_record),
            ("campaign.php", "delete_campaign"): ("DELETE", self.delete_campaign),
            ("campaign.php", "find_record"): ("GET", self.find_record),
            ("campaign.php", "detail"): ("GET", self.detail),
            ("information.php", "campaigns"): ("GET", self.campaigns),
            ("information.php", "token_info"): ("GET", self.token_info),
        }

    def resolve(self, module: str, api: str, method: str) -> Callable[[Call], Result]:
        route = self.routes.get((module, api))
        if route is None or route[0] != method:
            raise ApiError(400, MSG_NO_API)
        return route[1]

    # --- helpers -----------------------------------------------------------------------

    def _campaign(self, call: Call, type_required: bool = True) -> Campaign:
        """The campaign named by the query; unknown id or other type -> 404."""
        type_campaign = call.type_campaign() if type_required else None
        campaign_id = call.param("campaign_id")
        campaign = self.store.get(call.server, campaign_id, type_campaign)
        if campaign is None:
            raise ApiError(404, MSG_NOT_FOUND)
        return campaign

    # --- campaign.php --------------------------------------------------------------------

    def create_campaign(self, call: Call) -> Result:
        type_campaign = call.type_campaign()
        body = call.json_object()
        name = body.get("campaign_name")
        if not isinstance(name, str) or not name.strip() or _blank(body.get("skill_id")):
            raise ApiError(400, MSG_PARAMS)
        fields = dict(body)
        fields.pop("type_campaign", None)
        fields["skill_id"] = str(body["skill_id"])
        campaign = self.store.create(call.server, type_campaign, fields)
        cid = campaign.campaign_id
        return Result(
            201,
            f"The {cid} campaign_id has been created successfully",
            [{"id_campaign": cid, "name_campaign": name}],
        )

    def add_record(self, call: Call) -> Result:
        campaign = self._campaign(call)
        body = call.json()
        records = [body] if isinstance(body, dict) else body
        if not isinstance(records, list) or not records:
            raise ApiError(400, MSG_PARAMS)
        if len(records) > self.max_records:
            raise ApiError(400, f"MAXIMUM {self.max_records} RECORDS PER REQUEST")
        accepted = []
        for record in records:
            if isinstance(record, dict) and has_phone(record):
                record.setdefault("result", "")
                accepted.append(record)
        if not self.store.add_records(campaign, accepted):
            raise ApiError(404, MSG_NOT_FOUND)
        sent, added = len(records), len(accepted)
        return Result(
            201,
            f"{added} records were inserted",
            [{"total_sent": str(sent), "total_added": str(added), "total_rejected": str(sent - added)}],
        )

    def _set_status(self, call: Call, status: str, verb: str) -> Result:
        campaign = self._campaign(call)
        if not self.store.update(campaign, status=status):
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(202, f"The {campaign.campaign_id} campaign_id has been {verb} successfully")

    def start(self, call: Call) -> Result:
        return self._set_status(call, "Started", "started")

    def stop(self, call: Call) -> Result:
        return self._set_status(call, "Stopped", "stopped")

    def speed(self, call: Call) -> Result:
        campaign = self._campaign(call)
        value = call.json_object().get("speed")
        if _blank(value):
            raise ApiError(400, MSG_PARAMS)
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= 100:
            raise ApiError(400, MSG_SPEED)
        if not self.store.update(campaign, speed=str(int(text))):
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(202, f"The speed of campaign_id {campaign.campaign_id} has been updated to {int(text)}")

    def clear_campaign(self, call: Call) -> Result:
        campaign = self._campaign(call)
        result = call.opt("result")
        if result is not None and result not in RESULTS:
            raise ApiError(400, MSG_RESULT + ", ".join(RESULTS).upper())
        deleted = self.store.clear(campaign, result)
        if deleted is None:
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(
            202,
            f"All records has been deleted of campaign_id {campaign.campaign_id} successfully",
            [{"total_deleted": str(deleted)}],
        )

    def remove_record(self, call: Call) -> Result:
        campaign = self._campaign(call)
        customer_id = call.json_object().get("customer_id")
        if _blank(customer_id):
            raise ApiError(400, MSG_PARAMS)
        deleted = self.store.remove_customer(campaign, str(customer_id).strip())
        if deleted is None:
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(
            202,
            f"{deleted} records were deleted",
            [{"customer_id": str(customer_id).strip(), "total_deleted": str(deleted)}],
        )

    def delete_campaign(self, call: Call) -> Result:
        campaign = self._campaign(call)
        if not self.store.delete(campaign):
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(202, f"The {campaign.campaign_id} campaign_id has been deleted successfully")

    def find_record(self, call: Call) -> Result:
        phone, customer_id = call.opt("customer_phone"), call.opt("customer_id")
        if phone is None and customer_id is None:
            raise ApiError(400, MSG_PARAMS)
        campaign_id = call.opt("campaign_id")
        if campaign_id is None or campaign_id.lower() == "all":
            campaigns = self.store.campaigns(call.server)
        else:
            type_campaign = call.opt("type_campaign")
            if type_campaign is not None and type_campaign not in CAMPAIGN_TYPES:
                raise ApiError(400, MSG_TYPE)
            found = self.store.get(call.server, campaign_id, type_campaign)
            if found is None:
                raise ApiError(404, MSG_NOT_FOUND)
            campaigns = [found]
        matches = []
        for campaign in campaigns:
            for record in self.store.records_of(campaign):
                if customer_id is not None and str(record.get("customer_id", "")).strip() != customer_id:
                    continue
                if phone is not None and not any(
                    str(record.get(f"tel{i}", "")).strip() == phone for i in range(1, 11)
                ):
                    continue
                matches.append({**record, "campaign_id": campaign.campaign_id})
        return Result(200, f"{len(matches)} records were found", matches)

    def detail(self, call: Call) -> Result:
        campaign = self._campaign(call)
        start, end = _timestamp(call.param("date_ini")), _timestamp(call.param("date_end"))
        if end < start:
            raise ApiError(400, MSG_DATES)
        if (end - start).total_seconds() > MAX_SPAN_SECONDS:
            raise ApiError(400, MSG_SPAN)
        rows = self.store.records_of(campaign)[:MAX_DOWNLOAD_ROWS]
        return Result(200, f"{len(rows)} records were found", rows)

    # --- information.php -------------------------------------------------------------------

    def campaigns(self, call: Call) -> Result:
        rows = self.store.info_rows(call.server)
        return Result(200, f"{len(rows)} records were found", rows)

    def token_info(self, call: Call) -> Result:
        return Result(200, "1 records were found", [self._token_info(call.token)])


def _timestamp(value: str) -> datetime:
    if len(value) != 14 or not value.isdigit():
        raise ApiError(400, MSG_DATES)
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise ApiError(400, MSG_DATES) from None
