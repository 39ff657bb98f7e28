"""The Airflow side of the upload sources: object storage through ObjectStoragePath, SQL through hooks.

``client/sources.py`` turns a binary stream or an executed DB-API cursor into rows; this module
opens them with Airflow's own pieces:

* :func:`path_source`: a local path, or a URL (``s3://``, ``gs://``, ``file://``...) or an
  ``ObjectStoragePath``, read through Airflow's object-storage layer (fsspec) in blocks of
  :data:`READ_BLOCK_SIZE`, never downloaded whole.
* :func:`sql_cursor`: a query run by the ``common.sql`` ``DbApiHook`` of a connection; PostgreSQL
  (psycopg2 and psycopg 3) through a named server-side cursor, so only one ``fetchmany`` batch
  is ever in memory; other databases through a plain cursor (``fetchmany`` still bounds what
  this side holds, though a driver may buffer the whole result itself).
* :func:`open_for_write`: the reject file, local or in object storage.
* :func:`read_numbers`: a do-not-call list, local or in object storage.

A missing file, bucket or key is a :class:`WolkvoxValidationError` naming the argument, raised
before anything is sent; other storage errors (credentials, network) are left as they are, so
that Airflow retries what may pass on a retry.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError

if TYPE_CHECKING:
    from airflow_provider_wolkvox._compat import ObjectStoragePath

#: Bytes read from object storage at a time (s3fs alone would read 50 MiB blocks).
READ_BLOCK_SIZE = 8 * 2**20
#: Bytes buffered before a part is written to object storage (5 MiB is S3's smallest part).
WRITE_BLOCK_SIZE = 5 * 2**20


def path_source(
    path: Any, conn_id: str | None = None, *, field: str = "path"
) -> tuple[Callable[[], BinaryIO], str]:
    """``(open_binary, name)`` for a file to read: a callable opening it as a binary stream, and
    its name for messages (its suffix tells the format).

    ``path``: a local path (``str`` or ``os.PathLike``), a URL with a scheme (``s3://bucket/c.csv``,
    ``file:///data/c.csv``...), or an ``ObjectStoragePath``. ``conn_id`` is the connection for a
    URL, or for an ``ObjectStoragePath`` that has none of its own (default: the storage's default
    credentials). The file must exist; ``field`` is the argument named when it does not.
    """
    if _is_url(path) or _is_object_storage(path):
        store = _storage_path(path, conn_id, field)
        name = _display(store)
        try:
            info = store.fs.info(store.path)
        except FileNotFoundError:
            raise WolkvoxValidationError(
                field, f"{name!r} does not exist (no such bucket, key or file)"
            ) from None
        if info.get("type") == "directory":
            raise WolkvoxValidationError(field, f"{name!r} is a folder; give a file")

        def open_remote() -> BinaryIO:
            stream: BinaryIO = store.open("rb", block_size=READ_BLOCK_SIZE)
            return stream

        return open_remote, name
    local = _local_path(path, field)
    if not os.path.exists(local):
        raise WolkvoxValidationError(field, f"{local!r} does not exist")
    if os.path.isdir(local):
        raise WolkvoxValidationError(field, f"{local!r} is a folder; give a file")

    def open_local() -> BinaryIO:
        return open(local, "rb")

    return open_local, local


def open_for_write(
    target: Any, conn_id: str | None = None, *, field: str = "reject_path"
) -> Callable[[], TextIO]:
    """A callable opening ``target`` for writing UTF-8 text (``newline=""``, for the csv module).

    ``target`` is a local path, a URL or an ``ObjectStoragePath`` (see :func:`path_source`); an
    existing file is replaced. Its folder (or bucket) must exist now: ``field`` is the argument
    named when it does not. Nothing is created until the callable is called.
    """
    if _is_url(target) or _is_object_storage(target):
        store = _storage_path(target, conn_id, field)
        name = _display(store)
        if _protocol(store) not in ("file", "local"):
            # ``bucket`` would do, but on Airflow 2.10 it keeps a URL's ``conn_id@``.
            bucket = str(store.path).lstrip("/").split("/", 1)[0]
            try:
                store.fs.info(bucket)
            except FileNotFoundError:
                raise WolkvoxValidationError(
                    field, f"cannot write {name!r}: the bucket {bucket!r} does not exist"
                ) from None
        else:
            _check_folder(os.path.dirname(store.path) or ".", name, field)

        def open_remote() -> TextIO:
            binary = store.open("wb", block_size=WRITE_BLOCK_SIZE)
            return io.TextIOWrapper(binary, encoding="utf-8", newline="")

        return open_remote
    local = _local_path(target, field)
    if os.path.isdir(local):
        raise WolkvoxValidationError(field, f"{local!r} is a folder; give a file name")
    _check_folder(os.path.dirname(os.path.abspath(local)), local, field)

    def open_local() -> TextIO:
        return open(local, "w", encoding="utf-8", newline="")

    return open_local


def read_numbers(target: Any, conn_id: str | None = None, *, field: str = "dnc_lists") -> Iterator[str]:
    """The phone numbers of a do-not-call list, streamed: one number per line, or a CSV whose first
    column holds them (``,``, ``;`` or tab, told by the first line).

    The first non-blank row is a header, and skipped, when its first cell has a letter
    (``phone``, ``tel1``); blank lines and cells with no digit are left out. The numbers are
    yielded as written, for the hygiene step to normalise. ``target`` as in
    :func:`path_source`; the file must exist (checked now, before the first number is asked for).
    """
    open_binary, name = path_source(target, conn_id, field=field)
    return _numbers(open_binary, name, field)


def _numbers(open_binary: Callable[[], BinaryIO], name: str, field: str) -> Iterator[str]:
    with io.TextIOWrapper(open_binary(), encoding="utf-8-sig", newline="") as handle:
        try:
            leading = [handle.readline()]  # up to the first non-blank line, which tells the delimiter
            while leading[-1] and not leading[-1].strip():
                leading.append(handle.readline())
            delimiter = next((sep for sep in (",", ";", "\t") if sep in leading[-1]), ",")
            header = True
            for cells in csv.reader(_chain(leading, handle), delimiter=delimiter):
                cell = cells[0].strip() if cells else ""
                if not cell:
                    continue
                if header and any(char.isalpha() for char in cell):
                    header = False  # a column name, even one with a digit ("phone1")
                    continue
                header = False
                if any(char.isdigit() for char in cell):
                    yield cell
        except UnicodeDecodeError as exc:
            raise WolkvoxValidationError(
                field, f"{name!r} is not UTF-8 text (byte offset {exc.start}); save it as UTF-8"
            ) from None


def _chain(first: list[str], rest: TextIO) -> Iterator[str]:
    yield from (line for line in first if line)
    yield from rest


@contextlib.contextmanager
def sql_cursor(
    sql: str, conn_id: str, parameters: Any = None, *, field: str = "sql_conn_id"
) -> Iterator[Any]:
    """An executed cursor of ``sql`` on connection ``conn_id``; closes the cursor and the connection.

    The connection's hook (``BaseHook.get_hook``) must be a ``common.sql`` ``DbApiHook``
    (PostgreSQL, SQLite, MySQL, Snowflake, BigQuery...); ``field`` is the argument named when it is
    not. PostgreSQL (psycopg2 and psycopg 3) runs the query in a named server-side cursor, so rows
    travel in ``fetchmany`` batches and memory stays flat for any number of rows; other drivers
    get a plain cursor. ``parameters`` (a dict or a list) are passed to ``execute``.
    """
    hook = _sql_hook(conn_id, field)
    conn = hook.get_conn()
    try:
        cursor = _cursor(conn)
        try:
            if parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, parameters)
            yield cursor
        finally:
            with contextlib.suppress(Exception):  # a cursor of a broken connection may not close
                cursor.close()
    finally:
        conn.close()


def _sql_hook(conn_id: str, field: str) -> Any:
    from airflow_provider_wolkvox._compat import AirflowNotFoundException, BaseHook

    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError:
        raise WolkvoxValidationError(
            field, "reading sql needs apache-airflow-providers-common-sql and the database's provider"
        ) from None
    try:
        hook = BaseHook.get_hook(conn_id)
    except AirflowNotFoundException:
        raise
    except Exception as exc:  # e.g. "Unknown hook type": the provider of that type is not installed
        raise WolkvoxValidationError(
            field, f"connection {conn_id!r} has no usable hook ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(hook, DbApiHook):
        raise WolkvoxValidationError(
            field,
            f"connection {conn_id!r} gives a {type(hook).__name__}, which is not a common.sql DbApiHook; "
            "use a SQL database connection (postgres, sqlite, mysql, ...)",
        )
    return hook


def _cursor(conn: Any) -> Any:
    """A named server-side cursor on a psycopg2 / psycopg 3 connection, else a plain cursor."""
    driver = type(conn).__module__.split(".", 1)[0]
    if driver in ("psycopg2", "psycopg"):
        # A non-holdable server-side cursor lives in a transaction; with autocommit on there is
        # none, so it is declared WITH HOLD instead.
        withhold = bool(getattr(conn, "autocommit", False))
        return conn.cursor(name=f"wolkvox_{uuid.uuid4().hex}", withhold=withhold)
    return conn.cursor()


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and "://" in value


def _is_object_storage(value: Any) -> bool:
    """An ObjectStoragePath (or another UPath-like object), told apart without importing Airflow's class.

    Looked up on the class: reading ``fs`` on the instance would build a filesystem.
    """
    kind = type(value)
    return hasattr(kind, "protocol") and hasattr(kind, "fs") and callable(getattr(kind, "open", None))


def _local_path(value: Any, field: str) -> str:
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text.strip():
            return os.path.abspath(text)
    raise WolkvoxValidationError(field, f"expected a file path, a URL or an ObjectStoragePath, got {value!r}")


def _storage_path(value: Any, conn_id: str | None, field: str) -> ObjectStoragePath:
    """``value`` as an ObjectStoragePath, with ``conn_id`` unless it names a connection of its own
    (an ``ObjectStoragePath(..., conn_id=...)``, or a URL like ``s3://my_aws@bucket/key``)."""
    from airflow_provider_wolkvox._compat import BaseHook, ObjectStoragePath

    scheme = value.split("://", 1)[0] if isinstance(value, str) else str(value.protocol)
    try:
        store = ObjectStoragePath(value) if isinstance(value, str) else value
        own = _conn_id_of(store)
        if own is None and conn_id:
            store = ObjectStoragePath(f"{_protocol(store)}://{store.path}", conn_id=conn_id)
        if own or conn_id:
            # A missing connection fails here, not as access with the default credentials.
            BaseHook.get_connection(str(own or conn_id))
        store.fs  # noqa: B018  (resolves the filesystem: an unknown scheme fails here)
    except (ImportError, ValueError) as exc:
        raise WolkvoxValidationError(
            field,
            f"cannot open {scheme}:// locations ({exc}); install what serves them, e.g. "
            "apache-airflow-providers-amazon[s3fs] for s3://, apache-airflow-providers-google for gs://",
        ) from None
    return store


def _conn_id_of(store: Any) -> str | None:
    conn_id = getattr(store, "conn_id", None)  # Airflow 3
    if conn_id is None:
        conn_id = (getattr(store, "storage_options", None) or {}).get("conn_id")  # Airflow 2
    return conn_id if isinstance(conn_id, str) and conn_id else None


def _protocol(store: Any) -> str:
    protocol = store.protocol
    return str(protocol if isinstance(protocol, str) else protocol[0])


def _display(store: Any) -> str:
    """``s3://bucket/key`` (no connection id): what messages call a location."""
    return f"{_protocol(store)}://{store.path}"


def _check_folder(folder: str, name: str, field: str) -> None:
    if not os.path.isdir(folder):
        raise WolkvoxValidationError(field, f"cannot write {name!r}: the folder {folder!r} does not exist")


__all__ = [
    "READ_BLOCK_SIZE",
    "WRITE_BLOCK_SIZE",
    "open_for_write",
    "path_source",
    "read_numbers",
    "sql_cursor",
]


def check_source_arguments(
    *,
    records: Any,
    path: Any,
    file_format: str | None,
    sql: Any,
    sql_conn_id: Any,
    sql_parameters: Any,
    storage_conn_id: Any,
    reject_path: Any,
    dnc_lists: Any,
) -> list[Any]:
    """Check the upload's source and location arguments before anything is opened or sent:
    exactly one source, each value of a known shape. Returns the do-not-call locations as a list.
    """
    from airflow_provider_wolkvox.client.records import file_format_of

    Invalid = WolkvoxValidationError
    sources = [
        name for name, value in (("records", records), ("path", path), ("sql", sql)) if value is not None
    ]
    if len(sources) != 1:
        got = " and ".join(sources) or "none"
        raise Invalid("records", f"give exactly one of records (a list of dicts), path or sql; got {got}")
    if isinstance(records, str):
        raise Invalid(
            "records",
            "expected a list of record dicts, got str. records is not templated (contact data is never "
            "rendered): pass an upstream task's output (records=task.output) instead of a Jinja string",
        )
    if records is not None and (isinstance(records, (bytes, Mapping)) or not isinstance(records, Sequence)):
        raise Invalid("records", f"expected a list of record dicts, got {type(records).__name__}")
    if path is not None and not is_location(path):
        raise Invalid("path", f"expected a file path, a URL or an ObjectStoragePath, got {path!r}")
    if path is not None:  # before the storage is touched: the suffix alone may tell it is wrong
        file_format_of(path if isinstance(path, str) else str(path), file_format)
    if sql is not None and (not isinstance(sql, str) or not sql.strip()):
        raise Invalid("sql", "expected the text of a query")
    for name, value in (("sql_conn_id", sql_conn_id), ("sql_parameters", sql_parameters)):
        if sql is None and value is not None:
            raise Invalid(name, "is only used with sql; give sql too, or leave it out")
    if sql is not None and (not isinstance(sql_conn_id, str) or not sql_conn_id.strip()):
        raise Invalid("sql_conn_id", "the connection id of a SQL database is required with sql")
    if sql_parameters is not None and (
        isinstance(sql_parameters, (str, bytes)) or not isinstance(sql_parameters, (Mapping, Sequence))
    ):
        raise Invalid(
            "sql_parameters",
            f"expected a dict or a list of query parameters, got {type(sql_parameters).__name__}",
        )
    if storage_conn_id is not None and (not isinstance(storage_conn_id, str) or not storage_conn_id.strip()):
        raise Invalid("storage_conn_id", "expected the id of an Airflow connection")
    if reject_path is not None and not is_location(reject_path):
        raise Invalid(
            "reject_path", f"expected a file path, a URL or an ObjectStoragePath, got {reject_path!r}"
        )
    lists = [] if dnc_lists is None else [dnc_lists] if is_location(dnc_lists) else dnc_lists
    if not isinstance(lists, (list, tuple)) or not all(is_location(item) for item in lists):
        raise Invalid("dnc_lists", "expected a file path, a URL or an ObjectStoragePath, or a list of them")
    return list(lists)


def is_location(value: Any) -> bool:
    """A local path, a URL, or an ObjectStoragePath (which has ``open`` and ``protocol``)."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, os.PathLike) or (hasattr(value, "open") and hasattr(value, "protocol"))


def rejects_next_to(path: Any) -> Any:
    """``contacts.rejects.csv`` in the folder (or bucket prefix) of ``contacts.csv``."""
    if not hasattr(path, "with_name"):  # a str path or URL, or another os.PathLike
        head, sep, name = os.fspath(path).rpartition("/")
        stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
        return f"{head}{sep}{stem}.rejects.csv"
    return path.with_name(f"{path.stem}.rejects.csv")
