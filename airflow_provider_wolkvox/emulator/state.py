"""The emulator's data: campaigns and their records, per operation (server id).

Everything lives in memory as plain dicts so that a million uploaded records cost only the
parsed JSON. With a ``state_file`` every change is also written through to SQLite (one
transaction per request, ``executemany`` for uploads) so that a restarted emulator comes
back with the same campaigns, which is what a DAG author developing offline expects.

One lock guards both; it is held only for the list/dict update and the SQL write, never
while parsing or validating a request.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FIRST_CAMPAIGN_ID = 1001
PHONE_KEYS = tuple(f"tel{i}" for i in range(1, 11))
#: Results the dialing simulation gives to the records it calls, in turn.
DIAL_RESULTS = ("answer", "no-answer", "busy", "answer-machine")
#: The result of a record the dialer skips because every phone of it is on the do-not-call list
#: for outbound calls (report campaign_1's spelling). It is not a call.
DNC_RESULT = "do-not-call_clean"
#: Do-not-call types that block the dialer (outbound calls).
OUTBOUND_DNC_TYPES = frozenset({"outbound", "all", "inbound/outbound"})

#: A server's do-not-call list: phone -> {"type", "date"}.
DncBook = dict[str, dict[str, str]]


@dataclass
class Campaign:
    """One campaign; ``fields`` holds every field of the create_campaign body."""

    campaign_id: str
    server: str
    type_campaign: str
    fields: dict[str, Any]
    status: str = "Stopped"
    speed: str = "100"
    records: list[dict[str, Any]] = field(default_factory=list)
    #: While Started with dialing simulated: when the records up to now were dialed.
    dialed_until: float | None = None

    def pending(self) -> int:
        """Records not yet called (no ``result``): what the campaign list reports as ``records``."""
        return sum(1 for r in self.records if not r.get("result"))

    def dial(self, now: float, rate: float, dnc: DncBook | None = None) -> None:
        """Simulate the dialer: while Started, give ``rate`` records a second a result, in order.

        A record whose every phone is on the outbound do-not-call list ``dnc`` is skipped as the
        dialer reaches it: it gets :data:`DNC_RESULT` and does not count against the rate.
        """
        if self.status != "Started" or rate <= 0:
            return
        if self.dialed_until is None:  # started before dialing was switched on, or reloaded
            self.dialed_until = now
            return
        due = int((now - self.dialed_until) * rate)
        if due <= 0:
            return
        self.dialed_until += due / rate
        for record in self.records:
            if due == 0:
                break
            if record.get("result"):
                continue
            if dnc and blocked_outbound(record, dnc):
                record["result"] = DNC_RESULT
            else:
                record["result"] = DIAL_RESULTS[due % len(DIAL_RESULTS)]
                due -= 1
        if due:  # nothing left to call: do not bank the idle time
            self.dialed_until = now

    def info_row(self) -> dict[str, Any]:
        """The row information.php?api=campaigns returns for this campaign."""
        f = self.fields
        return {
            "campaign_id": self.campaign_id,
            "campaign_name": _s(f.get("campaign_name")),
            "campaign_description": _s(f.get("campaign_description")),
            "type_campaign": self.type_campaign,
            "status": self.status,
            "records": str(self.pending()),
            "speed": self.speed,
            "dial_mode": "autopilot",
            "skill_id": _s(f.get("skill_id")),
            "start_time": _s(f.get("start_time")),
            "end_time": _s(f.get("end_time")),
        }

    def real_time_row(self) -> dict[str, str]:
        """The row real_time.php?api=campaigns returns: live counts, lower-case status."""
        total = len(self.records)
        results = Counter(_s(r.get("result")) for r in self.records)
        clean = self.pending()
        dialed = total - clean - results[DNC_RESULT]  # a record skipped for do-not-call was not called
        percent = str(dialed * 100 // total) if total else "0"
        f = self.fields
        return {
            "campaign": f"{self.campaign_id} - {_s(f.get('campaign_name'))} - tel1: {percent}%",
            "speed": self.speed,
            "status": self.status.lower(),
            "skill_id": _s(f.get("skill_id")),
            "records": str(total),
            "clean": str(clean),
            "dial": str(dialed),
            "answer": str(results["answer"]),
            "no_answer": str(results["no-answer"]),
            "busy/congestion/failed": str(results["busy"] + results["congestion"] + results["failed"]),
            "answer_machine": str(results["answer-machine"]),
            "penetration_day": percent,
            "penetration_now": percent,
            "hits": str(results["answer"]),
            "calls_x_min": "0",
            "recycled": "0",
        }

    def snapshot(self, include_records: bool) -> dict[str, Any]:
        """Everything about the campaign, for /_emulator/state."""
        out: dict[str, Any] = dict(self.fields)
        out.update(
            campaign_id=self.campaign_id,
            server=self.server,
            type_campaign=self.type_campaign,
            status=self.status,
            speed=self.speed,
            record_count=len(self.records),
            pending_count=self.pending(),
        )
        out["records"] = list(self.records) if include_records else None
        return out


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def blocked_outbound(record: dict[str, Any], dnc: DncBook) -> bool:
    """Whether every non-blank phone of ``record`` (tel1..tel10) is on the outbound do-not-call list."""
    phones = [str(record[key]).strip() for key in PHONE_KEYS if record.get(key) is not None]
    phones = [phone for phone in phones if phone]
    return bool(phones) and all(phone in dnc and dnc[phone]["type"] in OUTBOUND_DNC_TYPES for phone in phones)


def has_phone(record: dict[str, Any]) -> bool:
    """A record is dialable only if at least one of tel1..tel10 is non-blank."""
    for key in PHONE_KEYS:
        value = record.get(key)
        if value is not None and str(value).strip():
            return True
    return False


class Store:
    """Campaigns per server id, with optional SQLite write-through."""

    def __init__(self, state_file: str | None = None) -> None:
        self.lock = threading.Lock()
        self._servers: dict[str, dict[str, Campaign]] = {}
        #: Do-not-call numbers per server: phone -> {"type", "date"} (memory only).
        self._dnc: dict[str, DncBook] = {}
        self._next_id = FIRST_CAMPAIGN_ID
        #: Records a second that a Started campaign "dials" (0: records are never called).
        self.dial_rate = 0.0
        self._state_file = state_file
        self._db: sqlite3.Connection | None = None
        if state_file:
            self._open()
            self._load()

    # --- persistence -------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        assert self._state_file
        db = self._db = sqlite3.connect(self._state_file, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        self._create_tables()
        return db

    def reopen(self) -> None:
        """Reconnect after close() (an emulator started again); memory stays the truth."""
        with self.lock:
            if self._state_file and self._db is None:
                db = self._open()
                with db:
                    db.execute("DELETE FROM records")
                    db.execute("DELETE FROM campaigns")
                for campaigns in self._servers.values():
                    for campaign in campaigns.values():
                        self._save_campaign(campaign)
                        self._save_records(campaign, campaign.records)

    def _create_tables(self) -> None:
        assert self._db is not None
        with self._db:
            self._db.executescript(
                """
                CREATE TABLE IF NOT EXISTS campaigns (
                    campaign_id TEXT PRIMARY KEY, server TEXT NOT NULL, type_campaign TEXT NOT NULL,
                    status TEXT NOT NULL, speed TEXT NOT NULL, fields TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS records (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id TEXT NOT NULL,
                    customer_id TEXT NOT NULL, result TEXT NOT NULL, data TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS records_campaign ON records (campaign_id);
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """
            )

    def _load(self) -> None:
        assert self._db is not None
        by_id: dict[str, Campaign] = {}
        rows = self._db.execute(
            "SELECT campaign_id, server, type_campaign, status, speed, fields FROM campaigns"
        )
        for cid, server, type_campaign, status, speed, fields in rows:
            campaign = Campaign(cid, server, type_campaign, json.loads(fields), status, speed)
            by_id[cid] = campaign
            self._servers.setdefault(server, {})[cid] = campaign
        for cid, data in self._db.execute("SELECT campaign_id, data FROM records ORDER BY id"):
            if cid in by_id:
                by_id[cid].records.append(json.loads(data))
        row = self._db.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()
        highest = max((int(c) for c in by_id), default=FIRST_CAMPAIGN_ID - 1)
        self._next_id = max(int(row[0]) if row else FIRST_CAMPAIGN_ID, highest + 1)

    def _save_campaign(self, c: Campaign) -> None:
        assert self._db is not None
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO campaigns VALUES (?, ?, ?, ?, ?, ?)",
                (c.campaign_id, c.server, c.type_campaign, c.status, c.speed, json.dumps(c.fields)),
            )
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('next_id', ?)", (str(self._next_id),))

    def _save_records(self, campaign: Campaign, records: list[dict[str, Any]]) -> None:
        assert self._db is not None
        rows = [
            (campaign.campaign_id, _s(r.get("customer_id")), _s(r.get("result")), json.dumps(r))
            for r in records
        ]
        with self._db:
            self._db.executemany(
                "INSERT INTO records (campaign_id, customer_id, result, data) VALUES (?, ?, ?, ?)", rows
            )

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # --- queries and changes (callers do not hold the lock) -----------------------------

    def get(self, server: str, campaign_id: str, type_campaign: str | None) -> Campaign | None:
        """The campaign, or None if unknown in this server or of another type."""
        campaign = self._servers.get(server, {}).get(campaign_id)
        if campaign is None or (type_campaign is not None and campaign.type_campaign != type_campaign):
            return None
        return campaign

    def create(self, server: str, type_campaign: str, fields: dict[str, Any]) -> Campaign:
        with self.lock:
            cid = str(self._next_id)
            self._next_id += 1
            campaign = Campaign(cid, server, type_campaign, fields)
            self._servers.setdefault(server, {})[cid] = campaign
            if self._db is not None:
                self._save_campaign(campaign)
        return campaign

    def _alive(self, campaign: Campaign) -> bool:
        return self._servers.get(campaign.server, {}).get(campaign.campaign_id) is campaign

    def add_records(self, campaign: Campaign, records: list[dict[str, Any]]) -> bool:
        """Append records; False if the campaign was deleted meanwhile."""
        rows = None
        if self._db is not None:  # serialise outside the lock
            rows = [
                (campaign.campaign_id, _s(r.get("customer_id")), _s(r.get("result")), json.dumps(r))
                for r in records
            ]
        with self.lock:
            if not self._alive(campaign):
                return False
            campaign.records.extend(records)
            if self._db is not None and rows:
                with self._db:
                    self._db.executemany(
                        "INSERT INTO records (campaign_id, customer_id, result, data) VALUES (?, ?, ?, ?)",
                        rows,
                    )
        return True

    def update(self, campaign: Campaign, *, status: str | None = None, speed: str | None = None) -> bool:
        with self.lock:
            if not self._alive(campaign):
                return False
            if status is not None:
                now = time.monotonic()
                # what was called before a stop still counts
                campaign.dial(now, self.dial_rate, self._dnc.get(campaign.server))
                if status == "Started" and campaign.status != "Started":
                    campaign.dialed_until = now
                elif status != "Started":
                    campaign.dialed_until = None
                campaign.status = status
            if speed is not None:
                campaign.speed = speed
            if self._db is not None:
                self._save_campaign(campaign)
        return True

    def clear(self, campaign: Campaign, result: str | None = None) -> int | None:
        """Delete all records (or those whose ``result`` equals the filter); None if gone."""
        with self.lock:
            if not self._alive(campaign):
                return None
            before = len(campaign.records)
            if result is None:
                campaign.records = []
            else:
                campaign.records = [r for r in campaign.records if _s(r.get("result")) != result]
            if self._db is not None:
                with self._db:
                    if result is None:
                        self._db.execute("DELETE FROM records WHERE campaign_id = ?", (campaign.campaign_id,))
                    else:
                        self._db.execute(
                            "DELETE FROM records WHERE campaign_id = ? AND result = ?",
                            (campaign.campaign_id, result),
                        )
            return before - len(campaign.records)

    def remove_customers(self, campaign: Campaign, customer_ids: list[str], result: str | None) -> int | None:
        """Delete the records of these customers (only those with ``result`` if given); None if gone."""
        wanted = set(customer_ids)

        def doomed(record: dict[str, Any]) -> bool:
            return _s(record.get("customer_id")) in wanted and (
                result is None or _s(record.get("result")) == result
            )

        with self.lock:
            if not self._alive(campaign):
                return None
            before = len(campaign.records)
            campaign.records = [r for r in campaign.records if not doomed(r)]
            if self._db is not None:
                marks = ",".join("?" * len(wanted))
                sql = f"DELETE FROM records WHERE campaign_id = ? AND customer_id IN ({marks})"
                args: list[str] = [campaign.campaign_id, *wanted]
                if result is not None:
                    sql += " AND result = ?"
                    args.append(result)
                with self._db:
                    self._db.execute(sql, args)
            return before - len(campaign.records)

    def recall(self, campaign: Campaign, matches: Callable[[dict[str, Any]], bool]) -> int | None:
        """Give the matching records no result again (Wolkvox: CLEAN), so they are dialed again."""
        with self.lock:
            if not self._alive(campaign):
                return None
            self._dial()
            hit = [r for r in campaign.records if matches(r)]
            for record in hit:
                record["result"] = ""
            if self._db is not None and hit:
                self._rewrite_records(campaign)
            return len(hit)

    def update_customer(self, campaign: Campaign, customer_id: str, changes: dict[str, Any]) -> int | None:
        """Apply changes to every record of this customer (codify, recall); how many, None if gone."""
        with self.lock:
            if not self._alive(campaign):
                return None
            self._dial()
            hit = [r for r in campaign.records if _s(r.get("customer_id")).strip() == customer_id]
            for record in hit:
                record.update(changes)
            if self._db is not None and hit:
                self._rewrite_records(campaign)
            return len(hit)

    def _rewrite_records(self, campaign: Campaign) -> None:
        assert self._db is not None
        with self._db:
            self._db.execute("DELETE FROM records WHERE campaign_id = ?", (campaign.campaign_id,))
        self._save_records(campaign, campaign.records)

    def update_fields(self, campaign: Campaign, changes: dict[str, Any]) -> bool:
        """Merge changes into the campaign's stored fields (edit_campaign, campaign_filter)."""
        with self.lock:
            if not self._alive(campaign):
                return False
            campaign.fields.update(changes)
            if self._db is not None:
                self._save_campaign(campaign)
        return True

    def delete(self, campaign: Campaign) -> bool:
        with self.lock:
            if not self._alive(campaign):
                return False
            del self._servers[campaign.server][campaign.campaign_id]
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM records WHERE campaign_id = ?", (campaign.campaign_id,))
                    self._db.execute("DELETE FROM campaigns WHERE campaign_id = ?", (campaign.campaign_id,))
        return True

    def records_of(self, campaign: Campaign) -> list[dict[str, Any]]:
        with self.lock:
            self._dial()
            return list(campaign.records)

    def result_counts(self, campaigns: list[Campaign]) -> Counter[str]:
        """How many records of these campaigns have each result (records not called yet left out)."""
        with self.lock:
            self._dial()
            return Counter(_s(r.get("result")) for c in campaigns for r in c.records if _s(r.get("result")))

    def campaigns(self, server: str) -> list[Campaign]:
        with self.lock:
            return list(self._servers.get(server, {}).values())

    def info_rows(self, server: str) -> list[dict[str, Any]]:
        with self.lock:
            self._dial()
            return [c.info_row() for c in self._servers.get(server, {}).values()]

    def real_time_rows(self, server: str, campaign_id: str | None = None) -> list[dict[str, str]]:
        with self.lock:
            self._dial()
            return [
                c.real_time_row()
                for c in self._servers.get(server, {}).values()
                if campaign_id is None or c.campaign_id == campaign_id
            ]

    # --- do-not-call list (memory only) --------------------------------------------------

    def add_dnc(self, server: str, phones: list[str], type_call: str) -> int:
        """Add (or re-type) numbers; returns how many were given."""
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self.lock:
            self._dial()  # records due before the change were dialed under the old list
            book = self._dnc.setdefault(server, {})
            for phone in phones:
                book[phone] = {"type": type_call, "date": now}
        return len(phones)

    def remove_dnc(self, server: str, phones: list[str] | None, kind: str) -> int:
        """Remove these numbers (None: every number) whose type is ``kind`` (any with "all")."""
        with self.lock:
            self._dial()
            book = self._dnc.get(server, {})
            doomed = [
                phone
                for phone, entry in book.items()
                if (phones is None or phone in phones) and (kind == "all" or entry["type"] == kind)
            ]
            for phone in doomed:
                del book[phone]
        return len(doomed)

    def dnc_rows(self, server: str, kind: str) -> list[dict[str, str]]:
        """get_dnc rows: ``inbound``/``outbound`` also list numbers blocked both ways."""
        with self.lock:
            book = dict(self._dnc.get(server, {}))
        return [
            {"phone_number": phone, "type": entry["type"], "date_delete": entry["date"]}
            for phone, entry in book.items()
            if kind == "all" or entry["type"] in (kind, "all", "inbound/outbound")
        ]

    def set_dial_rate(self, rate: float) -> None:
        """Change the simulated dialing speed from now on (what was due so far uses the old one)."""
        with self.lock:
            self._dial()
            self.dial_rate = rate
            now = time.monotonic()
            for campaigns in self._servers.values():
                for campaign in campaigns.values():
                    if campaign.status == "Started":
                        campaign.dialed_until = now

    def _dial(self) -> None:
        """Bring the dialing simulation up to now (called, under the lock, before every read)."""
        if self.dial_rate > 0:
            now = time.monotonic()
            for server, campaigns in self._servers.items():
                dnc = self._dnc.get(server)
                for campaign in campaigns.values():
                    campaign.dial(now, self.dial_rate, dnc)

    def snapshot(self, include_records: bool = True) -> list[dict[str, Any]]:
        with self.lock:
            self._dial()
            return [
                c.snapshot(include_records)
                for server in sorted(self._servers)
                for c in self._servers[server].values()
            ]

    def reset(self) -> None:
        with self.lock:
            self._servers.clear()
            self._dnc.clear()
            self._next_id = FIRST_CAMPAIGN_ID
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM records")
                    self._db.execute("DELETE FROM campaigns")
                    self._db.execute("DELETE FROM meta")
