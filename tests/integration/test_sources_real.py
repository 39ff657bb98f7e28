"""The upload sources against real parts: S3 (moto's server on 127.0.0.1), file://, PostgreSQL, SQLite.

The servers and connections are contact_sources.py's, through the fixtures of conftest.py
(``moto_s3``, ``s3_bucket``, ``postgres_server``, ``postgres_conn_id``, ``sqlite_conn_id``).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from contact_sources import AWS_CONN_ID

from airflow_provider_wolkvox._compat import AirflowNotFoundException, ObjectStoragePath
from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.records import InvalidRecordError, RecordValidator
from airflow_provider_wolkvox.client.sources import file_rows, sql_rows
from airflow_provider_wolkvox.operators.sources import (
    READ_BLOCK_SIZE,
    open_for_write,
    path_source,
    read_numbers,
    sql_cursor,
)

pytestmark = pytest.mark.integration

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def validator() -> RecordValidator:
    return RecordValidator("predictive", column_mapping={"phone": "tel1", "name": "customer_name"})


def contacts_csv(rows: int) -> bytes:
    """A UTF-8 CSV with a byte-order mark; every 1000th row has no phone (invalid)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "phone", "customer_id", "opt1"])
    for n in range(rows):
        writer.writerow([f"Contacto {n} Muñoz", "" if n % 1000 == 999 else f"57300{n:07d}", n, "x" * 40])
    return BOM + out.getvalue().encode()


def put(moto_s3, bucket: str, key: str, body: bytes) -> None:
    moto_s3.client().put_object(Bucket=bucket, Key=key, Body=body)


def get(moto_s3, bucket: str, key: str) -> bytes:
    return bytes(moto_s3.client().get_object(Bucket=bucket, Key=key)["Body"].read())


def plain(rows):
    """(row, record) with errors as (row, 'field: reason'), comparable."""
    return [(n, f"{r.field}: {r.reason}" if isinstance(r, InvalidRecordError) else r) for n, r in rows]


def summary(rows):
    """(valid records, invalid row numbers, first record, last row number)."""
    rows = list(rows)
    invalid = [n for n, r in rows if isinstance(r, InvalidRecordError)]
    return len(rows) - len(invalid), invalid, rows[0], rows[-1][0]


# --- S3 on moto's server --------------------------------------------------------------------------


def test_an_s3_object_through_an_object_storage_path_with_an_aws_connection(
    moto_s3, s3_bucket, validator, tmp_path
):
    data = contacts_csv(3000)
    put(moto_s3, s3_bucket, "in/contacts.csv", data)
    local = tmp_path / "contacts.csv"
    local.write_bytes(data)

    source = ObjectStoragePath(f"s3://{s3_bucket}/in/contacts.csv", conn_id=AWS_CONN_ID)
    open_binary, name = path_source(source)
    assert name == f"s3://{s3_bucket}/in/contacts.csv"
    from_s3 = list(file_rows(validator, open_binary, name))
    assert plain(from_s3) == plain(validator.read_records(local))  # the rows and numbers read from disk
    valid, invalid, first, last = summary(from_s3)
    assert (valid, invalid, last) == (2997, [1001, 2001, 3001], 3001)
    assert first == (
        2,
        {"customer_name": "Contacto 0 Muñoz", "tel1": "573000000000", "customer_id": "0", "opt1": "x" * 40},
    )


def test_an_s3_url_with_a_connection_id(moto_s3, s3_bucket, validator):
    lines = [json.dumps({"phone": f"57300{n:07d}", "name": "Ana"}) for n in range(50)]
    put(moto_s3, s3_bucket, "exports/c.ndjson", BOM + "\n".join(lines).encode())
    open_binary, name = path_source(f"s3://{s3_bucket}/exports/c.ndjson", AWS_CONN_ID)
    rows = list(file_rows(validator, open_binary, name))
    assert [n for n, _ in rows] == list(range(1, 51))
    assert rows[0] == (1, {"tel1": "573000000000", "customer_name": "Ana"})
    # The connection may also ride in the URL, as ObjectStoragePath reads it.
    open_binary, name = path_source(f"s3://{AWS_CONN_ID}@{s3_bucket}/exports/c.ndjson", None)
    assert name == f"s3://{s3_bucket}/exports/c.ndjson"
    assert list(file_rows(validator, open_binary, name, "jsonl")) == rows


def test_an_object_storage_path_without_a_connection_takes_the_given_one(moto_s3, s3_bucket, validator):
    put(moto_s3, s3_bucket, "c.csv", b"phone\n300\n")
    open_binary, name = path_source(ObjectStoragePath(f"s3://{s3_bucket}/c.csv"), AWS_CONN_ID)
    assert list(file_rows(validator, open_binary, name)) == [(2, {"tel1": "300"})]


def test_a_large_s3_object_is_streamed_in_blocks_not_downloaded_whole(moto_s3, s3_bucket, validator):
    data = contacts_csv(300_000)  # about 25 MB: three read blocks
    assert len(data) > 2.5 * READ_BLOCK_SIZE
    put(moto_s3, s3_bucket, "big.csv", data)
    open_binary, name = path_source(f"s3://{s3_bucket}/big.csv", AWS_CONN_ID)
    streams = []

    def tracked():
        streams.append(open_binary())
        return streams[-1]

    rows = file_rows(validator, tracked, name)
    assert next(rows)[0] == 2
    cache = streams[0].cache  # fsspec's read-ahead buffer: what was asked of S3 so far
    assert 0 < cache.total_requested_bytes <= READ_BLOCK_SIZE + 2**16
    count = 1 + sum(1 for _ in rows)
    assert count == 300_000
    assert cache.total_requested_bytes <= len(data) + 2**16  # each byte fetched once
    assert streams[0].closed


def test_a_missing_key_or_bucket_is_a_clear_error_naming_path(moto_s3, s3_bucket):
    with pytest.raises(WolkvoxValidationError) as err:
        path_source(f"s3://{s3_bucket}/nope.csv", AWS_CONN_ID)
    assert err.value.field == "path"
    assert f"'s3://{s3_bucket}/nope.csv' does not exist" in str(err.value)
    with pytest.raises(WolkvoxValidationError, match="does not exist") as err:
        path_source(ObjectStoragePath("s3://no-such-bucket-wolkvox/c.csv", conn_id=AWS_CONN_ID))
    assert err.value.field == "path"
    put(moto_s3, s3_bucket, "folder/c.csv", b"phone\n300\n")
    with pytest.raises(WolkvoxValidationError, match="is a folder"):
        path_source(f"s3://{s3_bucket}/folder", AWS_CONN_ID)


def test_a_missing_connection_is_not_silently_anonymous(s3_bucket):
    with pytest.raises(AirflowNotFoundException):
        path_source(f"s3://{s3_bucket}/c.csv", "no_such_aws_conn")


def test_read_numbers_from_s3(moto_s3, s3_bucket):
    put(
        moto_s3,
        s3_bucket,
        "dnc/registry.csv",
        BOM + b"telefono;nombre\r\n573001112233;Ana\r\n\r\n+57 300 444 5566;B\r\n",
    )
    put(moto_s3, s3_bucket, "dnc/plain.txt", b"3001112233\n  3009998877  \n")
    assert list(read_numbers(f"s3://{s3_bucket}/dnc/registry.csv", AWS_CONN_ID)) == [
        "573001112233",
        "+57 300 444 5566",
    ]
    target = ObjectStoragePath(f"s3://{s3_bucket}/dnc/plain.txt", conn_id=AWS_CONN_ID)
    assert list(read_numbers(target, None)) == ["3001112233", "3009998877"]
    with pytest.raises(WolkvoxValidationError) as err:
        read_numbers(f"s3://{s3_bucket}/dnc/missing.csv", AWS_CONN_ID)
    assert err.value.field == "dnc_lists"


def test_open_for_write_to_s3(moto_s3, s3_bucket):
    opener = open_for_write(f"s3://{s3_bucket}/rejects/c.rejects.csv", AWS_CONN_ID)
    assert "Contents" not in moto_s3.client().list_objects_v2(Bucket=s3_bucket)  # nothing until opened
    with opener() as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "field", "reason"])
        writer.writerow([7, "tel1", "no phone número"])
    assert (
        get(moto_s3, s3_bucket, "rejects/c.rejects.csv").decode()
        == "row,field,reason\r\n7,tel1,no phone número\r\n"
    )
    path = ObjectStoragePath(f"s3://{s3_bucket}/r2.csv", conn_id=AWS_CONN_ID)
    with open_for_write(path, None)() as handle:
        handle.write("x\n")
    assert get(moto_s3, s3_bucket, "r2.csv") == b"x\n"
    with pytest.raises(WolkvoxValidationError) as err:
        open_for_write("s3://no-such-bucket-wolkvox/r.csv", AWS_CONN_ID)
    assert err.value.field == "reject_path" and "bucket 'no-such-bucket-wolkvox' does not exist" in str(
        err.value
    )


# --- file:// and local disk ---------------------------------------------------------------------


def test_a_file_url(tmp_path, validator):
    path = tmp_path / "c.csv"
    path.write_bytes(BOM + b"name,phone\nAna,300\n")
    open_binary, name = path_source(f"file://{path}")
    assert name == f"file://{path}"
    assert list(file_rows(validator, open_binary, name)) == [(2, {"customer_name": "Ana", "tel1": "300"})]
    with pytest.raises(WolkvoxValidationError, match="does not exist"):
        path_source(f"file://{tmp_path}/missing.csv")


def test_read_numbers_and_open_for_write_on_local_disk(tmp_path):
    dnc = tmp_path / "dnc.csv"
    dnc.write_bytes(BOM + b"phone,source\n3001112233,web\n3002223344,call\n")
    assert list(read_numbers(dnc)) == ["3001112233", "3002223344"]
    assert list(read_numbers(f"file://{dnc}")) == ["3001112233", "3002223344"]
    opener = open_for_write(tmp_path / "c.rejects.csv")
    assert not (tmp_path / "c.rejects.csv").exists()
    with opener() as handle:
        csv.writer(handle).writerow(["row", "field", "reason"])
    assert (tmp_path / "c.rejects.csv").read_bytes() == b"row,field,reason\r\n"
    with open_for_write(f"file://{tmp_path}/url.rejects.csv")() as handle:
        handle.write("ok\n")
    assert (tmp_path / "url.rejects.csv").read_text() == "ok\n"
    with pytest.raises(WolkvoxValidationError, match="folder") as err:
        open_for_write(f"file://{tmp_path}/nowhere/r.csv")
    assert err.value.field == "reject_path"


# --- PostgreSQL -------------------------------------------------------------------------------------

POSTGRES_ROWS = 20_000


@pytest.fixture(scope="module")
def contacts_table(postgres_server):
    """Table ``contacts``, 20,000 rows: NUMERIC phones, NULLs, timestamps; every 500th has no phone."""
    postgres_server.psql(
        """
        DROP TABLE IF EXISTS contacts;
        CREATE TABLE contacts (
            id integer PRIMARY KEY,
            customer_name text,
            tel1 numeric(15, 0),
            tel2 bigint,
            opt1 text,
            recall timestamp,
            balance numeric(10, 2)
        );
        INSERT INTO contacts
        SELECT n,
               'Cliente ' || n,
               CASE WHEN n % 500 = 0 THEN NULL ELSE 573000000000 + n END,
               CASE WHEN n % 2 = 1 THEN 3100000000 + n END,
               NULL,
               timestamp '2026-11-28 09:30:00' + n * interval '1 minute',
               n / 4.0
        FROM generate_series(1, 20000) AS n;
        """
    )
    return "contacts"


class Counting:
    """A cursor proxy that records each fetchmany's size and row count."""

    def __init__(self, cursor):
        self._cursor = cursor
        self.fetches: list[int] = []

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def fetchmany(self, size):
        batch = self._cursor.fetchmany(size)
        self.fetches.append(len(batch))
        return batch


def test_a_postgres_table_streams_through_a_server_side_cursor(postgres_conn_id, contacts_table, validator):
    columns = "customer_name, tel1, tel2, opt1, recall AS opt2, balance AS opt3"
    sql = f"SELECT {columns} FROM {contacts_table} ORDER BY id"
    with sql_cursor(sql, postgres_conn_id) as cursor:
        assert cursor.name  # a named cursor: psycopg2's, or psycopg 3's ServerCursor
        counting = Counting(cursor)
        rows = sql_rows(validator, counting, batch_size=3000)
        assert next(rows) == (
            1,
            {
                "customer_name": "Cliente 1",
                "tel1": "573000000001",
                "tel2": "3100000001",
                "opt2": "2026-11-28T09:31:00",
                "opt3": "0.25",
            },
        )
        # Mid-stream, the query is a cursor open on the server (pg_cursors), read in batches.
        probe = cursor.connection.cursor()
        probe.execute("SELECT name, is_holdable FROM pg_cursors")
        assert (cursor.name, False) in [tuple(row) for row in probe.fetchall()]
        probe.close()
        assert counting.fetches == [3000]
        rest = list(rows)
        connection = cursor.connection
    assert counting.fetches == [3000] * 6 + [2000, 0]
    assert connection.closed  # the connection is closed with the block
    everything = [(1, None), *rest]
    assert len(everything) == POSTGRES_ROWS
    invalid = [n for n, r in rest if isinstance(r, InvalidRecordError)]
    assert invalid == list(range(500, POSTGRES_ROWS + 1, 500))
    assert rest[1] == (
        3,
        {
            "customer_name": "Cliente 3",
            "tel1": "573000000003",
            "tel2": "3100000003",
            "opt2": "2026-11-28T09:33:00",
            "opt3": "0.75",
        },
    )


def test_postgres_parameters_and_a_dict_of_them(postgres_conn_id, contacts_table, validator):
    sql = f"SELECT tel1, customer_name FROM {contacts_table} WHERE id <= %(last)s ORDER BY id"
    with sql_cursor(sql, postgres_conn_id, {"last": 3}) as cursor:
        rows = list(sql_rows(validator, cursor))
    assert [r["tel1"] for _, r in rows] == ["573000000001", "573000000002", "573000000003"]
    with sql_cursor(f"SELECT tel1 FROM {contacts_table} WHERE id = %s", postgres_conn_id, [7]) as cursor:
        assert list(sql_rows(validator, cursor)) == [(1, {"tel1": "573000000007"})]


def test_a_postgres_query_error_closes_everything(postgres_conn_id, postgres_server):
    before = postgres_server.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
    with (
        pytest.raises(Exception, match="no_such_table"),
        sql_cursor("SELECT * FROM no_such_table", postgres_conn_id),
    ):
        pass
    after = postgres_server.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
    assert after == before


# --- SQLite -----------------------------------------------------------------------------------------


def test_a_sqlite_table(sqlite_conn_id, sqlite_path, validator):
    import sqlite3

    with sqlite3.connect(sqlite_path) as db:
        db.execute("CREATE TABLE people (name TEXT, phone INTEGER, score REAL, note TEXT)")
        db.executemany(
            "INSERT INTO people VALUES (?, ?, ?, ?)",
            [(f"P{n}", 3001000000 + n if n != 3 else None, n * 1.5, None) for n in range(1, 11)],
        )
    db.close()
    sql = "SELECT name, phone, score AS opt1, note AS opt2 FROM people WHERE phone > 0 OR name = ?"
    with sql_cursor(sql, sqlite_conn_id, ["P3"]) as cursor:
        assert not hasattr(cursor, "name") or cursor.name is None  # a plain cursor
        counting = Counting(cursor)
        rows = list(sql_rows(validator, counting, batch_size=4))
    assert counting.fetches == [4, 4, 2, 0]
    assert rows[0] == (1, {"customer_name": "P1", "tel1": "3001000001", "opt1": "1.5"})
    assert rows[1] == (2, {"customer_name": "P2", "tel1": "3001000002", "opt1": "3"})
    assert isinstance(rows[2][1], InvalidRecordError) and rows[2][1].field == "tel1"


def test_a_connection_whose_hook_is_not_sql_is_refused_naming_sql_conn_id(s3_bucket):
    with pytest.raises(WolkvoxValidationError) as err, sql_cursor("SELECT 1", AWS_CONN_ID):
        pass
    assert err.value.field == "sql_conn_id"
    assert f"connection {AWS_CONN_ID!r} gives a" in str(err.value) and "not a common.sql DbApiHook" in str(
        err.value
    )
