"""A local, faithful stand-in for the Wolkvox v2 API (campaign, information, real-time, DNC, campaign_1).

An HTTP server (standard library only) for demos, integration tests and offline DAG
development. It is written from the vendor documentation independently of the provider's
client, so that a misreading on one side shows up as a failing test. Start it with
``python -m airflow_provider_wolkvox.emulator --port 8765 --token demo-token`` or from Python::

    from airflow_provider_wolkvox.emulator import run_emulator

    with run_emulator(tokens={"demo-token": 100000}) as emu:
        print(emu.url)  # http://127.0.0.1:<port>

It answers what real clients send: the vendor's Postman collection (where it and the older pages
disagree, the collection wins) and the public client code surveyed for issue #11 item 9.

Behaviours chosen where the vendor documentation is silent or ambiguous:

- Envelope: every answer is ``{"code", "error", "msg", "data"}`` with ``code`` an int equal
  to the HTTP status; ``error`` is null on success, else the HTTP reason in capitals
  ("BAD REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT FOUND").
- Checks run in this order: maintenance (403 "API CONSUMPTION DISABLED DUE TO MAINTENANCE"),
  missing ``wolkvox-token`` (401), unknown token (403 "PLEASE VALIDATE TOKEN"), daily quota
  used up (403 "TOKEN LIMIT EXCEEDED"), a 3rd concurrent call on one token (403 "EXCEEDS THE
  LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"); only then is the api name resolved, so an
  unknown api, a wrong HTTP method or a missing parameter is a 400 that has cost quota.
- Quota: a call that passes the token checks costs 1 unit of that token's daily quota,
  whatever its outcome (400/404 included, and calls answered by an injected fault);
  rejected calls (401/403) cost nothing. Counters reset at local midnight. ``token_info``
  counts itself in ``token_use_today``; ``all_token_today`` sums every token of the emulator.
- State is per operation. The real server knows the operation from its host name; here the
  ``wolkvox_server`` header stands in for it (``wolkvox-server``, with a hyphen, as one public
  client sends it, works too). A call without either (the collection's items 14-17 and the
  public start/stop scripts send the token only) reaches the operation its token belongs to:
  ``token_servers`` if given, else the operation of the token's first call ("default" if that
  call named none). A header naming another operation wins (one token may serve several test
  operations). /_emulator/state lists each token's operation under ``token_operations``.
  Campaign ids are digit strings allocated from 1001, unique per emulator.
- Query keys are stripped of spaces: Postman turns the collection's raw URL
  ``...api=edit_campaign& campaign_id=N`` into the key " campaign_id". ``Content-Type`` is never
  checked: bodies are read as JSON whatever it says (public PHP loaders send none, so curl says
  form-urlencoded; one C# client sends a misspelt ``ContentType``).
- create_campaign: 201, ``data [{"id_campaign", "name_campaign"}]``; ``campaign_name``
  (non-blank) and ``skill_id`` are required; duplicate names are allowed; every body field is
  stored as sent; a new campaign is "Stopped" with speed "100". ``type_campaign`` must be
  ``preview`` or ``predictive`` (else 400 "THE TYPE_CAMPAIGN MUST BE PREVIEW OR PREDICTIVE").
- Campaign-scoped apis require ``campaign_id``, and ``type_campaign`` where the collection
  sends it (add_record, clear_campaign, remove_record, detail, campaign_filter). start, stop,
  speed, campaign_15, recall_records and edit_campaign take ``campaign_id`` alone, as the
  collection sends them; a ``type_campaign`` sent anyway must still be valid (400) and match
  (404). An unknown id, or a campaign of the other type, is 404 "CAMPAIGN NOT FOUND".
- add_record: body a JSON array (a single object is taken as a list of one); an empty array
  is 400; more than 10,000 records is 400 "MAXIMUM 10000 RECORDS PER REQUEST" and nothing is
  stored. A record without any non-blank ``tel1``..``tel10`` (or that is not an object) is
  rejected on its own, the others are stored. Answer: 201 "<added> records were inserted",
  ``data [{"total_sent", "total_added", "total_rejected", "total_registers"}]`` as strings
  (``total_registers``, the collection's only field, equals ``total_added``). Re-sending the same
  ``customer_id`` stores a duplicate. ``campaign_status`` is accepted and ignored. Records
  without a ``result`` get ``"result": ""``.
- start/stop: 202 and idempotent (starting a started campaign is 202 again); status values
  are "Started"/"Stopped".
- speed: body ``{"speed": "0".."100"}`` (string or int); anything else is 400. Answer 202 "The
  speed of <id> campaign_id has been updated successfully" (the collection's text).
- clear_campaign: 202 with the documented msg and ``data [{"total_deleted"}]``; an optional
  ``result`` must be one of the ten documented values (else 400) and deletes only records
  whose ``result`` equals it.
- remove_record: body ``{"customer_id": "A,B"}``: one or more ids, comma-separated (collection
  1.8); deletes every record of those customers, or with the URL ``result`` filter only their
  records with that result; 202 "customer_id A,B has been deleted successfully" with
  ``data [{"customer_id", "total_deleted"}]``, also when nothing matched.
- delete_campaign: the URL ``campaign_id`` (old form) and/or a body ``{"campaign_ids": [...]}``
  (the collection's request carries both; they are joined). ``type_campaign`` is optional and,
  when sent, a campaign of the other type counts as failed. 200 "<n> campaigns deleted
  successfully. <m> operations failed."; when nothing was deleted, 404 "CAMPAIGN NOT FOUND"
  (so a repeated delete is a 404, which ``DeleteCampaignOperator(missing_ok=True)`` relies on).
- find_record: ``campaign_id``, ``customer_phone``, ``customer_id``, any of them empty (Postman
  sends all three); at least one must be given. Phone and id must both match when both are
  given; a missing or ``all`` campaign_id searches every campaign of the operation; a
  campaign_id alone returns all its records (collection 1.12, "search by campaign"); at most
  60,000 rows, each the stored record plus its ``campaign_id``.
- detail: GET; ``date_ini``/``date_end`` are YYYYmmddHHiiss, end >= start, span <= 31 days
  (else 400); returns the campaign's records (at most 60,000).
- information campaigns: one row per campaign of the operation, every value a string,
  ``dial_mode`` "autopilot"; ``records`` counts the records left to call (no ``result`` yet).
  ``&campaign=<id>`` (collection §2) keeps that campaign's row only (an unknown id: no rows).
- real_time.php?api=campaigns: a bare JSON array without the envelope (collection §5), one
  object per campaign: ``campaign`` "<id> - <name> - tel1: <p>%", ``speed``, ``status``
  "started"/"stopped" (lower case), ``skill_id``, ``records`` (all records), ``clean`` (not
  called yet), ``dial`` (called), ``answer``, ``no_answer``, ``busy/congestion/failed``,
  ``answer_machine`` and ``hits`` (answers) counted from the records' results,
  ``penetration_day``/``penetration_now`` = <p> = dial * 100 // records, ``calls_x_min`` and
  ``recycled`` "0"; every value a string. The undocumented ``&campaign_id=`` filter public
  scripts pass keeps that campaign only. Errors keep the envelope.
- campaign_filter (PUT, collection 1.14): ``filter_active`` yes/no, ``connector`` and/or
  (default and), ``filters`` ``[{"field", "operator", "value"}]`` over the record fields up to
  ``email`` plus ``result``, operators ``< > >= <= != = is like`` (numbers compared as numbers,
  ``like`` with % and _, ``is`` as ``=``); anything else 400. Answer 200 "Campaign filter
  successfully updated", ``data`` an object ``{"total_records", "pending_records" (not called
  yet and selected), "applied_filter"}``. The filter is stored with the campaign; it does not
  change the simulated dialing or the campaign lists.
- campaign_15 (GET, collection 1.15): its own envelope ``{"code": 200, "total_records",
  "campaign_id", "records"}``, every record under the Spanish column names, ``resultado`` in
  capitals with spaces ("ANSWER MACHINE"), columns the emulator does not track empty.
- recall_records (PUT, collection 1.16): predictive only (else 400); ``field`` ``Cod_Machine``
  (any case) with one of the collection's 16 values, matched against the records' result
  (NOT-AVAILABLE = chanunavail), or ``cod_rslt1``/``cod_rslt2`` matched against the records'
  ``cod_act``/``cod_act_2``. Matching records lose their result (Wolkvox: CLEAN) and count as
  left to call again. 200 "<n> record(s) have been marked for recall successfully".
- edit_campaign (PUT, collection 1.17): only the fields sent change; each value is checked as the
  collection lists (yes/no flags, ``HH:MM:SS`` times with start before end, skill digits or
  VAGENT, ``amd_conf``, ``camp_dial_order``, ``optional_labels`` keys opt0-opt12 stored as
  ``optN``); ``type_camp`` must equal the campaign's type; an unknown field or an empty body is
  400. 200 "Campaign has been updated successfully", ``data`` echoing the fields sent plus
  ``campaign_id`` (minus ``camp_dial_order``).
- Do-not-call list, per operation, in memory only: configuration.php add_dnc (POST
  ``{"type_call", "telephones"}``, 201 "<n> telephones were added"; numbers that are not 1-20
  digits are skipped), remove_dnc (DELETE ``{"telephones": [...] | "all", "type"}``, ``outbound``
  and the collection's ``outboud`` both read as outbound; removes the numbers of that type, any
  type with "all"; 202 "<n> telephones were deleted"), campaign.php add_dnc (POST ``[{"telephone",
  "days_block"}]``, stored as outbound, 201 with ``total_added``/``total_rejected``/``total_sent``)
  and information.php get_dnc (``type`` inbound/outbound/all; inbound and outbound also list
  numbers blocked both ways; rows ``{"phone_number", "type", "date_delete"}``, the date added).
  The simulated dialer honours it (below): numbers typed ``outbound``, ``all`` or
  ``inbound/outbound`` block outbound calls, matched to a record's ``tel1``..``tel10`` as exact
  digit strings (no country code is added or removed).
- codify (PUT, type and id, collection 1.5): body ``cod_act`` and ``customer_id`` required,
  ``cod_act_2`` and ``comment`` optional; every record of that customer stores them and gets the
  result "codified" (not a documented value), so it is no longer left to call. 202 "customer_id
  <id> has been coded"; a customer without records is 404 "CUSTOMER_ID NOT FOUND IN THE CAMPAIGN".
- recall (PUT, ``campaign_id`` only as in collection 1.7): predictive only (else 400); body
  ``recall_date`` (YYYYmmddHHiiss), ``recall_telephone`` (digits) and ``customer_id``, all
  required; that customer's records store them and lose their result, so they are left to call
  again (the simulated dialer does not wait for the date). 202 with the collection's text.
- reports_manager.php campaign_1 (GET, collection §4), the final machine result: ``campaign_id``
  (an id, or ``all`` for every campaign of the operation; an unknown id is 404) and
  ``date_ini``/``date_end`` checked as for detail but selecting nothing (the emulator keeps no call
  dates); rows ``{"result", "records", "percent"}`` (strings, percent with two decimals, of the
  records with a result), most frequent first; records not called yet are left out.
- Not emulated (400 "THE API YOU WANT TO CONSULT DOES NOT EXIST"): the other reports, agent and
  other modules' apis, and the endpoints public scripts guess (``campaigns.php?api=delete_records``,
  ``/api/v1/``).
- Dialing is simulated only when asked (``dial_rate``, ``--dial-rate``, POST
  /_emulator/dialing): a Started campaign then gives that many records a second a result
  (answer, no-answer, busy, answer-machine), in upload order, so ``records`` falls towards 0.
  The real dialer skips blocked numbers; here a record whose every non-blank phone is on the
  outbound do-not-call list when the dialer reaches it is not called: it gets the result
  ``do-not-call_clean`` (as report campaign_1 names it), costs none of the rate, and counts in
  real_time's ``dial`` and campaign_15's ``llamadas`` as not called. A record with one phone left
  unblocked is dialed (the emulator does not track which phone a call used). The
  list in force is the one at the moment each record is due (changing the list first brings the
  simulation up to date). ``clear_campaign``'s ``result=do-not-call`` and recall_records'
  ``DO-NOT-CALL`` match the result ``do-not-call`` only, not these. Results given by
  the simulation live in memory only (not in the SQLite state file, until a recall_records on
  the campaign, a codify or a recall writes its records anew).
- Paths outside ``/api/v2/`` and ``/_emulator/`` answer 404.
- Concurrency: ``peak_in_flight`` in /_emulator/state counts every concurrent call on a token,
  including the rejected 3rd one, so a peak above 2 proves a client overran the limit;
  ``rejections`` counts, per token, the calls refused for concurrency and for quota.

Test controls (no token needed): ``GET /_emulator/health``, ``GET /_emulator/state[?records=false]``,
``GET|POST|DELETE /_emulator/faults`` (``{"api", "times", "status", "body", "latency", "action",
"headers", "retry_after"}``; actions ``respond``, ``drop_before``, ``drop_after``,
``apply_then_sleep``, ``delay``), ``POST /_emulator/latency {"seconds"}``,
``POST /_emulator/maintenance {"enabled"}``, ``POST /_emulator/reset [{"dialing": true}]``; the
same from Python with ``inject_fault()``, ``clear_faults()``, ``set_latency()``,
``set_maintenance()``, ``reset(dialing=False)``, ``state()``. A reset forgets campaigns, records,
faults, maintenance and counters, keeps the dial rate and latency (so a waiting sensor still sees
dialing) unless ``dialing`` is true, and answers with what it reset and what it kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .faults import Fault
from .server import WolkvoxEmulator, token_label

__all__ = ["Fault", "WolkvoxEmulator", "run_emulator", "token_label"]


@contextmanager
def run_emulator(**kwargs: Any) -> Iterator[WolkvoxEmulator]:
    """Start a ``WolkvoxEmulator(**kwargs)``, yield it, and always stop it."""
    emulator = WolkvoxEmulator(**kwargs)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
