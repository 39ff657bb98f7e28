"""Value rules of the endpoints the vendor's Postman collection adds (items 1.14-1.17, DNC).

Pure functions over plain dicts, so that endpoints.py keeps only the request/answer flow:
what ``edit_campaign`` accepts, how a ``campaign_filter`` selects records, how ``recall_records``
matches them, and how ``campaign_15`` names a record's columns. Each raises ``ValueError`` with
the message the emulator answers in a 400.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from .state import DNC_RESULT

#: create_campaign's ``amd`` countries; edit_campaign's ``amd_conf`` adds "default" and "none".
AMD_COUNTRIES = ("ARG", "CHL", "COL", "CRI", "ECU", "ESP", "GTM", "HND", "ITA", "MEX", "NIC", "PAN", "PER")
YES_NO = ("yes", "no")
DIAL_ORDERS = ("linear", "zigzag", "random")
EDIT_FIELDS = (
    "campaign_name",
    "campaign_description",
    "type_camp",
    "enable_edition",
    "turbo_dial",
    "start_time",
    "end_time",
    "skill_id",
    "amd_conf",
    "routing_recall",
    "camp_dial_order",
    "optional_labels",
)
#: Record fields a campaign filter may test (add_record's fields up to ``email``, plus ``result``).
FILTER_FIELDS = (
    "customer_name",
    "customer_last_name",
    "id_type",
    "customer_id",
    "age",
    "gender",
    "country",
    "state",
    "city",
    "zone",
    "address",
    *(f"opt{i}" for i in range(1, 13)),
    *(f"tel{i}" for i in range(1, 11)),
    "tel_extra",
    "email",
    "result",
)
FILTER_OPERATORS = ("<", ">", ">=", "<=", "!=", "=", "is", "like")
RECALL_FIELDS = {"cod_machine": "Cod_Machine", "cod_rslt1": "cod_rslt1", "cod_rslt2": "cod_rslt2"}
MACHINE_CODES = (
    "NO-ANSWER",
    "ANSWER-MACHINE",
    "ABANDON",
    "BUSY",
    "CONGESTION",
    "UNKNOWN",
    "FAILED",
    "DO-NOT-CALL",
    "NOT-AVAILABLE",
    "RPC",
    "WRONG PERSON CONTACT (RPC)",
    "MAILBOX",
    "FAX",
    "WRONG NUMBER",
    "NA",
    "ANSWER",
)
#: machine code -> the record ``result`` it matches, where the spelling differs
_MACHINE_ALIASES = {"NOT-AVAILABLE": "chanunavail"}
DNC_TYPES = ("inbound", "outbound", "all", "inbound/outbound")
#: campaign_15's Spanish column names for the stored (English) record fields
EXPORT_COLUMNS = {
    "nombre_cliente": "customer_name",
    "apellido_cliente": "customer_last_name",
    "tipo_doc": "id_type",
    "id_cliente": "customer_id",
    "edad": "age",
    "sexo": "gender",
    "pais": "country",
    "departamento": "state",
    "ciudad": "city",
    "zona": "zone",
    "direccion": "address",
    **{f"opt{i}": f"opt{i}" for i in range(1, 13)},
    **{f"tel{i}": f"tel{i}" for i in range(1, 11)},
    "tel_extra": "tel_extra",
    "id_agent": "agent_id",
    "resultado": "result",
    "fecha": "",
    "llamadas": "",
    "id_call": "",
    "cod_rslt1": "cod_act",
    "description_cod1": "",
    "cod_rslt2": "cod_act_2",
    "description_cod2": "",
    "comentarios": "comment",
    "rellamada": "recall_date",
    "rellamada_count": "",
    "email": "email",
    "rellamada_tel": "recall_telephone",
    "last_dial_tele": "",
    "history_dial_tel": "",
    "rellamada_info": "",
}

_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _seconds(value: str) -> int | None:
    """``HH:MM:SS`` (edit_campaign) or ``HHMMSS`` (create_campaign) as seconds; None otherwise."""
    if re.fullmatch(r"[0-9]{6}", value):
        value = f"{value[:2]}:{value[2:4]}:{value[4:]}"
    match = _TIME.fullmatch(value)
    return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def edit_changes(body: dict[str, Any], type_campaign: str, current: dict[str, Any]) -> dict[str, Any]:
    """Check an edit_campaign body; return the changes to store (labels spread to ``optN`` keys)."""
    unknown = [key for key in body if key not in EDIT_FIELDS]
    if unknown:
        raise ValueError(f"THE FIELD {unknown[0].upper()} CANNOT BE EDITED")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "optional_labels":
            if not isinstance(value, dict) or not value:
                raise ValueError("INVALID OPTIONAL_LABELS")
            for label, title in value.items():
                if not re.fullmatch(r"opt([0-9]|1[0-2])", str(label)) or not isinstance(title, str):
                    raise ValueError("INVALID OPTIONAL_LABELS: KEYS OPT0 TO OPT12, TEXT VALUES")
                changes[str(label)] = title
            continue
        if not isinstance(value, str):
            raise ValueError(f"INVALID VALUE FOR {key.upper()}")
        if key == "campaign_name" and not value.strip():
            raise ValueError("INVALID VALUE FOR CAMPAIGN_NAME")
        if key == "type_camp" and value.lower() != type_campaign:
            raise ValueError(f"THE CAMPAIGN IS {type_campaign.upper()}, NOT {value.upper()}")
        if key in ("enable_edition", "turbo_dial", "routing_recall") and value not in YES_NO:
            raise ValueError(f"{key.upper()} MUST BE YES OR NO")
        if key in ("start_time", "end_time") and not _TIME.fullmatch(value):
            raise ValueError(f"{key.upper()} MUST HAVE THE FORMAT HH:MM:SS")
        if key == "skill_id" and not (value.isdigit() or value == "VAGENT"):
            raise ValueError("INVALID SKILL_ID")
        if key == "amd_conf" and value not in ("default", "none", *AMD_COUNTRIES):
            raise ValueError("INVALID AMD_CONF")
        if key == "camp_dial_order" and value not in DIAL_ORDERS:
            raise ValueError("CAMP_DIAL_ORDER MUST BE LINEAR, ZIGZAG OR RANDOM")
        if key != "type_camp":
            changes[key] = value
    start = _seconds(_text(changes.get("start_time", current.get("start_time"))))
    end = _seconds(_text(changes.get("end_time", current.get("end_time"))))
    if start is not None and end is not None and start >= end:
        raise ValueError("START_TIME MUST BE BEFORE END_TIME")
    return changes


def parse_filter(body: dict[str, Any]) -> dict[str, Any]:
    """Check a campaign_filter body; return ``{"active", "connector", "filters"}``."""
    active = body.get("filter_active")
    if active not in YES_NO:
        raise ValueError("FILTER_ACTIVE MUST BE YES OR NO")
    connector = _text(body.get("connector")).lower() or "and"
    if connector not in ("and", "or"):
        raise ValueError("CONNECTOR MUST BE AND OR OR")
    filters = body.get("filters", [])
    if not isinstance(filters, list) or (active == "yes" and not filters):
        raise ValueError("FILTERS MUST BE A LIST OF {FIELD, OPERATOR, VALUE}")
    checked = []
    for item in filters:
        if not isinstance(item, dict):
            raise ValueError("FILTERS MUST BE A LIST OF {FIELD, OPERATOR, VALUE}")
        name, operator = _text(item.get("field")), _text(item.get("operator")).lower()
        if name not in FILTER_FIELDS:
            raise ValueError(f"THE FILTER FIELD {name.upper()!r} DOES NOT EXIST")
        if operator not in FILTER_OPERATORS:
            raise ValueError("THE FILTER OPERATOR MUST BE ONE OF: " + ", ".join(FILTER_OPERATORS).upper())
        checked.append({"field": name, "operator": operator, "value": _text(item.get("value"))})
    return {"active": active == "yes", "connector": connector, "filters": checked}


def describe_filter(spec: dict[str, Any]) -> str:
    if not spec.get("active"):
        return ""
    parts = [f"{f['field']} {f['operator']} '{f['value']}'" for f in spec["filters"]]
    return f" {spec['connector']} ".join(parts)


def _compare(left: str, operator: str, right: str) -> bool:
    if operator in ("=", "is"):
        return left == right
    if operator == "!=":
        return left != right
    if operator == "like":
        pattern = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in right)
        return re.fullmatch(pattern, left, re.IGNORECASE | re.DOTALL) is not None
    a: Any = left
    b: Any = right
    with contextlib.suppress(ValueError):
        a, b = float(left), float(right)
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator]


def filter_selects(spec: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    """Whether an active filter keeps this record for dialing (no filter keeps everything)."""
    if not spec or not spec.get("active"):
        return True
    hits = (_compare(_text(record.get(f["field"])), f["operator"], f["value"]) for f in spec["filters"])
    return all(hits) if spec["connector"] == "and" else any(hits)


def recall_matcher(field: str, value: str) -> tuple[str, str, Any]:
    """Check a recall_records body: (field as named, normalized value, record predicate)."""
    key = RECALL_FIELDS.get(field.lower())
    if key is None:
        raise ValueError("THE FIELD MUST BE ONE OF: COD_MACHINE, COD_RSLT1, COD_RSLT2")
    normalized = value.strip().upper() if key == "Cod_Machine" else value.strip()
    if key == "Cod_Machine":
        if normalized not in MACHINE_CODES:
            raise ValueError("THE VALUE MUST BE ONE OF: " + ", ".join(MACHINE_CODES))
        wanted = _MACHINE_ALIASES.get(normalized, normalized.lower())
        return key, normalized, lambda r: _text(r.get("result")).lower() == wanted
    record_key = "cod_act" if key == "cod_rslt1" else "cod_act_2"
    return key, normalized, lambda r: _text(r.get(record_key)).strip() == normalized


def export_row(record: dict[str, Any]) -> dict[str, str]:
    """One campaign_15 record: the stored record under the collection's Spanish column names."""
    row = {}
    for column, source in EXPORT_COLUMNS.items():
        value = _text(record.get(source)) if source else ""
        if column == "resultado":
            value = value.replace("-", " ").upper()
        row[column] = value
    # A record skipped for do-not-call was not called.
    row["llamadas"] = "1" if _text(record.get("result")) not in ("", DNC_RESULT) else "0"
    return row
