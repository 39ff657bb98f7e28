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

from . import rules
from .state import Campaign, Store, has_phone

MSG_NO_API = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
MSG_PARAMS = "SOME PARAMETERS ARE REQUIRED"
MSG_TYPE = "THE TYPE_CAMPAIGN MUST BE PREVIEW OR PREDICTIVE"
MSG_NOT_FOUND = "CAMPAIGN NOT FOUND"
MSG_SPEED = "THE SPEED MUST BE A NUMBER BETWEEN 0 AND 100"
MSG_RESULT = "THE RESULT MUST BE ONE OF: "
MSG_DATES = "THE DATES MUST HAVE THE FORMAT YYYYMMDDHHIISS AND DATE_INI <= DATE_END"
MSG_SPAN = "THE MAXIMUM RANGE OF DATES IS 31 DAYS"
MSG_NO_CUSTOMER = "CUSTOMER_ID NOT FOUND IN THE CAMPAIGN"
#: The result a codified record gets, so that the dialer leaves it (not a documented value).
CODIFIED = "codified"

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
    """A success answer; ``raw`` replaces the whole envelope for the apis that have none."""

    status: int
    msg: str
    data: list[Any] | dict[str, Any] | None = None
    raw: Any = None


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

    def optional_type_campaign(self) -> str | None:
        """``type_campaign`` where the collection leaves it out: checked only when sent."""
        return None if self.opt("type_campaign") is None else self.type_campaign()

    def has_body(self) -> bool:
        return bool(self.body.strip())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


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
            ("campaign.php", "codify"): ("PUT", self.codify),
            ("campaign.php", "recall"): ("PUT", self.recall),
            ("campaign.php", "campaign_filter"): ("PUT", self.campaign_filter),
            ("campaign.php", "campaign_15"): ("GET", self.campaign_15),
            ("campaign.php", "recall_records"): ("PUT", self.recall_records),
            ("campaign.php", "edit_campaign"): ("PUT", self.edit_campaign),
            ("campaign.php", "add_dnc"): ("POST", self.campaign_add_dnc),
            ("information.php", "campaigns"): ("GET", self.campaigns),
            ("information.php", "token_info"): ("GET", self.token_info),
            ("information.php", "get_dnc"): ("GET", self.get_dnc),
            ("configuration.php", "add_dnc"): ("POST", self.add_dnc),
            ("configuration.php", "remove_dnc"): ("DELETE", self.remove_dnc),
            ("real_time.php", "campaigns"): ("GET", self.real_time_campaigns),
            ("reports_manager.php", "campaign_1"): ("GET", self.report_campaign_1),
        }

    def resolve(self, module: str, api: str, method: str) -> Callable[[Call], Result]:
        route = self.routes.get((module, api))
        if route is None or route[0] != method:
            raise ApiError(400, MSG_NO_API)
        return route[1]

    # --- helpers -----------------------------------------------------------------------

    def _campaign(self, call: Call, type_required: bool = True) -> Campaign:
        """The campaign named by the query; unknown id or other type -> 404.

        Where the collection sends no ``type_campaign`` (``type_required=False``) a type that is
        sent anyway is still checked.
        """
        type_campaign = call.type_campaign() if type_required else call.optional_type_campaign()
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
            [
                {
                    "total_sent": str(sent),
                    "total_added": str(added),
                    "total_rejected": str(sent - added),
                    "total_registers": str(added),
                }
            ],
        )

    def _set_status(self, call: Call, status: str, verb: str) -> Result:
        campaign = self._campaign(call, type_required=False)
        if not self.store.update(campaign, status=status):
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(202, f"The {campaign.campaign_id} campaign_id has been {verb} successfully")

    def start(self, call: Call) -> Result:
        return self._set_status(call, "Started", "started")

    def stop(self, call: Call) -> Result:
        return self._set_status(call, "Stopped", "stopped")

    def speed(self, call: Call) -> Result:
        campaign = self._campaign(call, type_required=False)
        value = call.json_object().get("speed")
        if _blank(value):
            raise ApiError(400, MSG_PARAMS)
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or not 0 <= int(text) <= 100:
            raise ApiError(400, MSG_SPEED)
        if not self.store.update(campaign, speed=str(int(text))):
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(202, f"The speed of {campaign.campaign_id} campaign_id has been updated successfully")

    def _result_filter(self, call: Call) -> str | None:
        result = call.opt("result")
        if result is not None and result not in RESULTS:
            raise ApiError(400, MSG_RESULT + ", ".join(RESULTS).upper())
        return result

    def clear_campaign(self, call: Call) -> Result:
        campaign = self._campaign(call)
        deleted = self.store.clear(campaign, self._result_filter(call))
        if deleted is None:
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(
            202,
            f"All records has been deleted of campaign_id {campaign.campaign_id} successfully",
            [{"total_deleted": str(deleted)}],
        )

    def remove_record(self, call: Call) -> Result:
        campaign = self._campaign(call)
        result = self._result_filter(call)
        value = call.json_object().get("customer_id")
        ids = [part.strip() for part in ("" if value is None else str(value)).split(",") if part.strip()]
        if not ids:
            raise ApiError(400, MSG_PARAMS)
        deleted = self.store.remove_customers(campaign, ids, result)
        if deleted is None:
            raise ApiError(404, MSG_NOT_FOUND)
        joined = ",".join(ids)
        return Result(
            202,
            f"customer_id {joined} has been deleted successfully",
            [{"customer_id": joined, "total_deleted": str(deleted)}],
        )

    def delete_campaign(self, call: Call) -> Result:
        """One campaign in the URL (old form), several in ``{"campaign_ids": [...]}``, or both."""
        type_campaign = call.optional_type_campaign()
        in_url = call.opt("campaign_id")
        ids = [in_url] if in_url else []
        if call.has_body():
            listed = call.json_object().get("campaign_ids")
            if not isinstance(listed, list) or not all(isinstance(i, str | int) for i in listed):
                raise ApiError(400, MSG_PARAMS)
            ids.extend(str(i).strip() for i in listed)
        ids = [i for i in dict.fromkeys(ids) if i]
        if not ids:
            raise ApiError(400, MSG_PARAMS)
        deleted = 0
        for campaign_id in ids:
            campaign = self.store.get(call.server, campaign_id, type_campaign)
            if campaign is not None and self.store.delete(campaign):
                deleted += 1
        if not deleted:
            raise ApiError(404, MSG_NOT_FOUND)
        failed = len(ids) - deleted
        return Result(200, f"{deleted} campaigns deleted successfully. {failed} operations failed.")

    def find_record(self, call: Call) -> Result:
        phone, customer_id = call.opt("customer_phone"), call.opt("customer_id")
        campaign_id = call.opt("campaign_id")
        every = campaign_id is None or campaign_id.lower() == "all"
        if phone is None and customer_id is None and every:
            raise ApiError(400, MSG_PARAMS)
        if every:
            campaigns = self.store.campaigns(call.server)
        else:
            assert campaign_id is not None
            found = self.store.get(call.server, campaign_id, call.optional_type_campaign())
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
                if len(matches) >= MAX_DOWNLOAD_ROWS:
                    break
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

    def codify(self, call: Call) -> Result:
        """Code a customer's records from outside (collection 1.5); they are not dialed again."""
        campaign = self._campaign(call)
        body = call.json_object()
        customer_id, cod_act = body.get("customer_id"), body.get("cod_act")
        if _blank(customer_id) or _blank(cod_act):
            raise ApiError(400, MSG_PARAMS)
        customer = str(customer_id).strip()
        changes = {"cod_act": str(cod_act).strip(), "cod_act_2": _text(body.get("cod_act_2"))}
        changes["comment"] = _text(body.get("comment"))
        updated = self.store.update_customer(campaign, customer, {**changes, "result": CODIFIED})
        if updated is None:
            raise ApiError(404, MSG_NOT_FOUND)
        if not updated:
            raise ApiError(404, MSG_NO_CUSTOMER)
        return Result(202, f"customer_id {customer} has been coded")

    def recall(self, call: Call) -> Result:
        """Call a predictive record back on a date and phone (collection 1.7: no type_campaign)."""
        campaign = self._campaign(call, type_required=False)
        if campaign.type_campaign != "predictive":
            raise ApiError(400, "RECALL ONLY APPLIES TO PREDICTIVE CAMPAIGNS")
        body = call.json_object()
        customer_id, date, phone = (
            body.get("customer_id"),
            body.get("recall_date"),
            body.get("recall_telephone"),
        )
        if _blank(customer_id) or _blank(date) or _blank(phone):
            raise ApiError(400, MSG_PARAMS)
        when, customer, number = str(date).strip(), str(customer_id).strip(), str(phone).strip()
        _timestamp(when)
        if not number.isdigit():
            raise ApiError(400, "THE RECALL_TELEPHONE MUST HAVE DIGITS ONLY")
        changes = {"recall_date": when, "recall_telephone": number, "result": ""}
        updated = self.store.update_customer(campaign, customer, changes)
        if updated is None:
            raise ApiError(404, MSG_NOT_FOUND)
        if not updated:
            raise ApiError(404, MSG_NO_CUSTOMER)
        return Result(
            202,
            f"customer_id {customer} has been updated and will be call back on {when} to phone {number}",
        )

    def campaign_filter(self, call: Call) -> Result:
        campaign = self._campaign(call)
        try:
            spec = rules.parse_filter(call.json_object())
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        if not self.store.update_fields(campaign, {"campaign_filter": spec}):
            raise ApiError(404, MSG_NOT_FOUND)
        records = self.store.records_of(campaign)
        pending = sum(1 for r in records if not r.get("result") and rules.filter_selects(spec, r))
        return Result(
            200,
            "Campaign filter successfully updated",
            {
                "total_records": str(len(records)),
                "pending_records": str(pending),
                "applied_filter": rules.describe_filter(spec),
            },
        )

    def campaign_15(self, call: Call) -> Result:
        campaign = self._campaign(call, type_required=False)
        rows = [rules.export_row(r) for r in self.store.records_of(campaign)[:MAX_DOWNLOAD_ROWS]]
        envelope = {
            "code": 200,
            "total_records": str(len(rows)),
            "campaign_id": campaign.campaign_id,
            "records": rows,
        }
        return Result(200, "", raw=envelope)

    def recall_records(self, call: Call) -> Result:
        campaign = self._campaign(call, type_required=False)
        if campaign.type_campaign != "predictive":
            raise ApiError(400, "RECALL_RECORDS ONLY APPLIES TO PREDICTIVE CAMPAIGNS")
        body = call.json_object()
        field_name, value = body.get("field"), body.get("value")
        if _blank(field_name) or _blank(value):
            raise ApiError(400, MSG_PARAMS)
        try:
            _, normalized, matches = rules.recall_matcher(str(field_name), str(value))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        affected = self.store.recall(campaign, matches)
        if affected is None:
            raise ApiError(404, MSG_NOT_FOUND)
        return Result(
            200,
            f"{affected} record(s) have been marked for recall successfully",
            [
                {
                    "campaign_id": campaign.campaign_id,
                    "field": str(field_name),
                    "value": str(value),
                    "normalized_value": normalized,
                    "affected_records": str(affected),
                }
            ],
        )

    def edit_campaign(self, call: Call) -> Result:
        campaign = self._campaign(call, type_required=False)
        body = call.json_object()
        if not body:
            raise ApiError(400, MSG_PARAMS)
        try:
            changes = rules.edit_changes(body, campaign.type_campaign, campaign.fields)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        if not self.store.update_fields(campaign, changes):
            raise ApiError(404, MSG_NOT_FOUND)
        echoed = {k: v for k, v in body.items() if k != "camp_dial_order"}
        return Result(
            200, "Campaign has been updated successfully", [{**echoed, "campaign_id": campaign.campaign_id}]
        )

    def campaign_add_dnc(self, call: Call) -> Result:
        """The legacy, campaign-family DNC: ``[{"telephone", "days_block"}]``; blocks outbound calls."""
        body = call.json()
        items = [body] if isinstance(body, dict) else body
        if not isinstance(items, list) or not items:
            raise ApiError(400, MSG_PARAMS)
        phones = [
            str(item["telephone"]).strip()
            for item in items
            if isinstance(item, dict)
            and _is_phone(item.get("telephone"))
            and str(item.get("days_block", "")).strip().isdigit()
        ]
        added = self.store.add_dnc(call.server, phones, "outbound")
        sent = len(items)
        return Result(
            201,
            f"{added} telephones were added",
            [{"total_added": str(added), "total_rejected": str(sent - added), "total_sent": str(sent)}],
        )

    # --- information.php -------------------------------------------------------------------

    def campaigns(self, call: Call) -> Result:
        rows = self.store.info_rows(call.server)
        wanted = call.opt("campaign")
        if wanted is not None:
            rows = [row for row in rows if row["campaign_id"] == wanted]
        return Result(200, f"{len(rows)} records were found", rows)

    def token_info(self, call: Call) -> Result:
        return Result(200, "1 records were found", [self._token_info(call.token)])

    def get_dnc(self, call: Call) -> Result:
        kind = call.param("type")
        if kind not in ("inbound", "outbound", "all"):
            raise ApiError(400, "THE TYPE MUST BE INBOUND, OUTBOUND OR ALL")
        rows = self.store.dnc_rows(call.server, kind)
        return Result(200, f"{len(rows)} records were found", rows)

    # --- configuration.php -----------------------------------------------------------------

    def add_dnc(self, call: Call) -> Result:
        body = call.json_object()
        type_call, phones = body.get("type_call"), body.get("telephones")
        if _blank(type_call) or not isinstance(phones, list) or not phones:
            raise ApiError(400, MSG_PARAMS)
        if type_call not in rules.DNC_TYPES:
            raise ApiError(400, "THE TYPE_CALL MUST BE ONE OF: " + ", ".join(rules.DNC_TYPES).upper())
        valid = [str(phone).strip() for phone in phones if _is_phone(phone)]
        added = self.store.add_dnc(call.server, valid, str(type_call))
        return Result(201, f"{added} telephones were added")

    def remove_dnc(self, call: Call) -> Result:
        body = call.json_object()
        kind, phones = body.get("type"), body.get("telephones")
        kind = "outbound" if kind == "outboud" else kind  # the collection's own spelling
        if kind not in rules.DNC_TYPES:
            raise ApiError(400, "THE TYPE MUST BE ONE OF: " + ", ".join(rules.DNC_TYPES).upper())
        if isinstance(phones, str) and phones.lower() == "all":
            wanted = None
        elif isinstance(phones, list) and phones:
            wanted = [str(phone).strip() for phone in phones]
        else:
            raise ApiError(400, MSG_PARAMS)
        removed = self.store.remove_dnc(call.server, wanted, str(kind))
        return Result(202, f"{removed} telephones were deleted")

    # --- reports_manager.php -----------------------------------------------------------------

    def report_campaign_1(self, call: Call) -> Result:
        """Final machine result per record (collection §4): ``{"result", "records", "percent"}`` rows.

        ``campaign_id`` is an id or ``all``; the dates are checked as for detail but select
        nothing, since the emulator keeps no call dates. Records not called yet are left out.
        """
        wanted = call.param("campaign_id")
        start, end = _timestamp(call.param("date_ini")), _timestamp(call.param("date_end"))
        if end < start:
            raise ApiError(400, MSG_DATES)
        if (end - start).total_seconds() > MAX_SPAN_SECONDS:
            raise ApiError(400, MSG_SPAN)
        if wanted.lower() == "all":
            campaigns = self.store.campaigns(call.server)
        else:
            found = self.store.get(call.server, wanted, None)
            if found is None:
                raise ApiError(404, MSG_NOT_FOUND)
            campaigns = [found]
        counts = self.store.result_counts(campaigns)
        total = sum(counts.values())
        rows = [
            {"result": result, "records": str(count), "percent": f"{count * 100 / total:.2f}"}
            for result, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        return Result(200, f"{len(rows)} records were found", rows)

    # --- real_time.php ---------------------------------------------------------------------

    def real_time_campaigns(self, call: Call) -> Result:
        """A bare JSON array, no envelope (collection §5); ``campaign_id`` filters as clients expect."""
        wanted = call.opt("campaign_id")
        rows = self.store.real_time_rows(call.server, wanted)
        return Result(200, "", raw=rows)


def _is_phone(value: Any) -> bool:
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return 0 < len(text) <= 20 and text.isdigit()


def _timestamp(value: str) -> datetime:
    if len(value) != 14 or not value.isdigit():
        raise ApiError(400, MSG_DATES)
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S")
    except ValueError:
        raise ApiError(400, MSG_DATES) from None
