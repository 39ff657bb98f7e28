"""Load contacts into a Wolkvox campaign: the Airflow side of client/upload.py's RecordUpload."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import AirflowException, task_state_store
from airflow_provider_wolkvox.operators.base import (
    DEFAULT_CONN_ID,
    WolkvoxBaseOperator,
    fail_fast_on_permanent_errors,
    pulled,
)

if TYPE_CHECKING:
    from airflow_provider_wolkvox._compat import Context
    from airflow_provider_wolkvox.client.records import RecordValidator
    from airflow_provider_wolkvox.client.upload import RecordUpload, Row


class UploadCampaignRecordsOperator(WolkvoxBaseOperator):
    """Upload contact records into a Wolkvox campaign (add_record): cleaned, checked, verified.

    Give exactly one source: ``records`` (a list of dicts or an upstream task's output; not
    templated, so contact data is never rendered, and a Jinja string is refused), ``path`` (a CSV
    or JSON Lines file: local, a URL such as ``s3://bucket/c.csv``, ``gs://...``, ``file://...``,
    or an ``ObjectStoragePath``; streamed) or ``sql`` (a query, read in batches). Each row is
    checked against the documented fields; row numbers are file line numbers (the CSV header is
    line 1), 1-based positions, or SQL row numbers. The upload (read once, chunks, two requests
    in flight, resume by content hash from the task state store on Airflow 3.3+, ``find_record``
    for a chunk whose answer was lost, verification) is ``client.upload.RecordUpload``.

    Returns (XCom): ``sent``, ``accepted``, ``rejected`` (whole upload, earlier tries included);
    ``sent_this_try``, ``accepted_this_try``, ``rejected_this_try``, ``requests``,
    ``chunks_sent_this_try``, ``api_calls`` (this try); ``chunks``, ``chunks_already_stored``,
    ``valid_records``, ``skipped_invalid``, ``invalid_rows`` (the first 100), ``rejected_by_reason``
    ({code: rows}), ``hygiene`` (its counts), ``reject_file`` (or None), ``verified``
    (True/False/None), ``records_before``, ``records_after`` and ``dry_run``.

    :param campaign_id: the campaign's id, e.g. ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param records: a list of record dicts, or an upstream task's output (not templated).
    :param path: a ``.csv`` (UTF-8, header row), ``.jsonl`` or ``.ndjson`` file (templated).
    :param file_format: ``csv`` or ``jsonl`` when the suffix does not tell (templated).
    :param storage_conn_id: connection for object-storage URLs in ``path``, ``reject_path`` and
        ``dnc_lists``; default: the storage's own default credentials (templated).
    :param sql: a query whose columns are record fields after ``column_mapping`` (templated).
    :param sql_conn_id: connection of any ``common.sql`` database hook; required with ``sql``
        (templated).
    :param sql_parameters: the query's parameters, a dict or a list (templated).
    :param column_mapping: ``{source column: wolkvox field}``; ``None`` drops a column (templated).
    :param on_invalid: ``fail`` (default): send nothing if a row is invalid, naming the first
        rows; ``skip``: leave invalid rows out, counted and logged.
    :param default_region: normalise ``tel1``-``tel10`` and ``tel_extra`` to digits with country
        code and no ``+``, reading national numbers as this ISO region (e.g. ``CO``); needs
        ``phonenumbers``. An invalid number makes the row invalid. Default: no normalising (templated).
    :param dial_prefix: digits put before every normalised phone; default none (templated).
    :param dedupe: ``customer_id`` or ``phone``: later rows with the same key are dropped;
        default: none (templated).
    :param wolkvox_dnc: leave out numbers on Wolkvox's outbound do-not-call list (one get_dnc
        call a try); default False (templated).
    :param dnc_lists: a path or URL, or a list of them, of do-not-call numbers: one per line, or a
        CSV whose first column holds them (header skipped) (templated).
    :param dnc_action: ``drop_record`` (default) drops a record with a blocked phone;
        ``drop_phone`` removes the phone, and the record when none is left (templated).
    :param reject_path: where to write the reject file, a CSV of ``row,field,reason`` (no contact
        data), local or object storage. Default: next to a ``path`` source as
        ``<name>.rejects.csv`` (``c.csv`` -> ``c.rejects.csv``); none for ``records``/``sql``.
        Written only when a row is rejected (templated).
    :param verify: ``warn`` (default), ``fail`` or ``off``: check that the campaign's record count
        grew by what Wolkvox accepted; a mismatch is logged, or fails the task. Counts change if
        the campaign dials or is filled meanwhile (templated).
    :param dry_run: read, clean and chunk everything and write the reject file, but send no
        record and store no progress; default False (templated, as ``upload_dry_run``: the
        name ``dry_run`` is BaseOperator's own method).
    :param chunk_size: records per add_record request, 1-10,000 (default 10,000).
    :param max_in_flight: requests at once, 1 or 2 (default 2); also the default ``pool_slots``.
    :param resume: skip chunks an earlier try stored (default True); ``False`` sends all again.
    :param campaign_status: optional ``campaign_status`` query value of add_record (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    # ``records`` is deliberately absent: contact data must never be rendered or stored as a
    # rendered field.
    template_fields: Sequence[str] = (
        *("campaign_id", "type_campaign", "path", "file_format", "storage_conn_id", "sql"),
        *("sql_conn_id", "sql_parameters", "column_mapping", "default_region", "dial_prefix"),
        *("dedupe", "wolkvox_dnc", "dnc_lists", "dnc_action", "reject_path", "verify"),
        *("upload_dry_run", "campaign_status", "wolkvox_conn_id"),
    )
    template_fields_renderers = {"column_mapping": "json", "sql": "sql", "sql_parameters": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        campaign_id: str | int,
        type_campaign: str,
        records: Any = None,
        path: Any = None,
        file_format: str | None = None,
        storage_conn_id: str | None = None,
        sql: str | None = None,
        sql_conn_id: str | None = None,
        sql_parameters: Mapping[str, Any] | Sequence[Any] | None = None,
        column_mapping: Mapping[str, str | None] | None = None,
        on_invalid: str = "fail",
        default_region: str | None = None,
        dial_prefix: str = "",
        dedupe: str | None = None,
        wolkvox_dnc: bool = False,
        dnc_lists: Any = None,
        dnc_action: str = "drop_record",
        reject_path: Any = None,
        verify: str = "warn",
        dry_run: bool = False,
        chunk_size: int = 10_000,
        max_in_flight: int = 2,
        resume: bool = True,
        campaign_status: str | None = None,
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        # As many pool slots as requests in flight, so a `wolkvox` pool of 2 caps the token; an
        # explicit pool_slots wins, and a bad max_in_flight is refused in execute().
        defaults = kwargs.get("default_args") or {}
        if "pool_slots" not in kwargs and "pool_slots" not in defaults and max_in_flight in (1, 2):
            kwargs["pool_slots"] = int(max_in_flight)
        super().__init__(wolkvox_conn_id=wolkvox_conn_id, **kwargs)
        self.campaign_id, self.type_campaign, self.records = campaign_id, type_campaign, records
        self.path, self.file_format, self.storage_conn_id = path, file_format, storage_conn_id
        self.sql, self.sql_conn_id, self.sql_parameters = sql, sql_conn_id, sql_parameters
        self.column_mapping, self.on_invalid = column_mapping, on_invalid
        self.default_region, self.dial_prefix, self.dedupe = default_region, dial_prefix, dedupe
        self.wolkvox_dnc, self.dnc_lists, self.dnc_action = wolkvox_dnc, dnc_lists, dnc_action
        # Not self.dry_run: BaseOperator.dry_run() is Airflow's own (`airflow tasks test --dry-run`).
        self.reject_path, self.verify, self.upload_dry_run = reject_path, verify, dry_run
        self.chunk_size, self.max_in_flight, self.resume = chunk_size, max_in_flight, resume
        self.campaign_status = campaign_status
        self._upload: RecordUpload | None = None
        self.depend_on_output(records)  # records is not templated: pulled in execute()

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_wolkvox.client.errors import UploadError

        with fail_fast_on_permanent_errors(self), ExitStack() as stack:
            self._upload = self._prepare(context, stack)
            try:
                return self._upload.run()
            except UploadError as exc:
                if exc.permanent:
                    raise  # fails without retries: by the retry policy, or fail_fast_on_permanent_errors
                raise AirflowException(str(exc)) from exc

    def on_kill(self) -> None:
        """Stop sending: requests in flight finish and are remembered, no further chunk is sent."""
        if self._upload is not None:
            self._upload.stop()

    def _prepare(self, context: Context, stack: ExitStack) -> RecordUpload:
        """Check every argument, then open the source: nothing is requested before all are valid."""
        from airflow_provider_wolkvox.client.models import (
            CampaignType,
            parse_bool,
            parse_choice,
            parse_id,
            parse_text,
        )
        from airflow_provider_wolkvox.client.records import RecordValidator
        from airflow_provider_wolkvox.client.upload import ON_INVALID, VERIFY, RecordUpload, check_settings
        from airflow_provider_wolkvox.operators.sources import check_source_arguments

        kind = CampaignType.parse(self.type_campaign)
        campaign_id = parse_id(self.campaign_id, "campaign_id")
        if self.campaign_status is not None:
            parse_text(self.campaign_status, "campaign_status", required=True)
        on_invalid = parse_choice(self.on_invalid, "on_invalid", ON_INVALID)
        verify = parse_choice(self.verify, "verify", VERIFY)
        check_settings(self.chunk_size, self.max_in_flight, on_invalid, verify)
        flags = {name: parse_bool(getattr(self, name), name) for name in ("resume", "wolkvox_dnc")}
        dry_run = parse_bool(self.upload_dry_run, "dry_run")
        records = pulled(self.records, context)
        dnc_lists = check_source_arguments(
            records=records,
            path=self.path,
            file_format=self.file_format,
            sql=self.sql,
            sql_conn_id=self.sql_conn_id,
            sql_parameters=self.sql_parameters,
            storage_conn_id=self.storage_conn_id,
            reject_path=self.reject_path,
            dnc_lists=self.dnc_lists,
        )
        validator = RecordValidator(kind, self.column_mapping)
        from airflow_provider_wolkvox.client.hygiene import Hygiene

        hygiene = Hygiene(  # checks its arguments; phonenumbers is imported only with a region
            default_region=self.default_region,
            dial_prefix=self.dial_prefix or "",
            dedupe=self.dedupe,
            dnc_action=self.dnc_action,
        )
        pool_slots = getattr(self, "pool_slots", None)
        if isinstance(pool_slots, int) and pool_slots < self.max_in_flight:
            self.log.warning(
                "max_in_flight=%d but pool_slots=%d: the pool counts fewer requests than this task sends "
                "at once",
                self.max_in_flight,
                pool_slots,
            )
        # The storage first (the source file exists, the reject folder does, the do-not-call lists
        # are read), the SQL query last: nothing is run on the database if a location is wrong.
        from airflow_provider_wolkvox.client.rejects import RejectReport
        from airflow_provider_wolkvox.operators.sources import (
            open_for_write,
            path_source,
            read_numbers,
            rejects_next_to,
        )

        source = path_source(self.path, self.storage_conn_id) if self.path is not None else None
        target = self.reject_path
        if target is None and self.path is not None:
            target = rejects_next_to(self.path)
        rejects = RejectReport(open_for_write(target, self.storage_conn_id)) if target is not None else None
        for location in dnc_lists:
            added = hygiene.block(read_numbers(location, self.storage_conn_id))
            self.log.info("Do-not-call list %s: %d new number(s) blocked", location, added)
        rows = self._rows(validator, records, source, stack)
        return RecordUpload(
            client_factory=self.hook.get_conn,
            campaign_id=campaign_id,
            type_campaign=kind.value,
            rows=rows,
            chunk_size=self.chunk_size,
            max_in_flight=self.max_in_flight,
            campaign_status=self.campaign_status,
            on_invalid=on_invalid,
            store=task_state_store(context),
            resume=flags["resume"],
            hygiene=hygiene if hygiene.enabled or flags["wolkvox_dnc"] else None,
            wolkvox_dnc=flags["wolkvox_dnc"],
            rejects=rejects,
            reject_file=None if target is None else str(target),
            verify=verify,
            dry_run=dry_run,
            log=self.log,
        )

    def _rows(self, validator: RecordValidator, records: Any, source: Any, stack: ExitStack) -> Iterator[Row]:
        """The row stream of the one source given: a list, an opened file, or the query, run now."""
        from airflow_provider_wolkvox.client.sources import file_rows, list_rows, sql_rows

        if records is not None:
            return list_rows(validator, records)
        if source is not None:
            open_binary, name = source
            return file_rows(validator, open_binary, name, self.file_format)
        from airflow_provider_wolkvox.operators.sources import sql_cursor

        cursor = stack.enter_context(sql_cursor(str(self.sql), str(self.sql_conn_id), self.sql_parameters))
        return sql_rows(validator, cursor)
