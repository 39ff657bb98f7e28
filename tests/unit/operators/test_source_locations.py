"""operators/sources.py on local disk and file:// (no server needed): every Airflow minor runs these.

S3, PostgreSQL and SQLite through their providers: tests/integration/test_sources_real.py.
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from airflow_provider_wolkvox._compat import ObjectStoragePath
from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.operators import sources
from airflow_provider_wolkvox.operators.sources import open_for_write, path_source, read_numbers, sql_cursor

BOM = b"\xef\xbb\xbf"


def test_a_local_path_opens_lazily_as_binary(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"tel1\n300\n")
    for given in (path, str(path), os.path.relpath(path)):
        open_binary, name = path_source(given)
        assert name == str(path)
        with open_binary() as stream:
            assert stream.read() == b"tel1\n300\n"


def test_a_missing_local_file_or_a_folder_is_refused_naming_the_argument(tmp_path):
    with pytest.raises(WolkvoxValidationError) as err:
        path_source(tmp_path / "missing.csv")
    assert err.value.field == "path" and "missing.csv' does not exist" in str(err.value)
    with pytest.raises(WolkvoxValidationError, match="is a folder"):
        path_source(tmp_path)
    with pytest.raises(WolkvoxValidationError) as err:
        path_source(tmp_path / "missing.csv", field="dnc_lists")
    assert err.value.field == "dnc_lists"
    for bad in ("", "   ", 5, None):
        with pytest.raises(
            WolkvoxValidationError, match="expected a file path, a URL or an ObjectStoragePath"
        ):
            path_source(bad)


def test_file_urls_and_object_storage_paths_on_local_disk(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"tel1": "300"}\n')
    for given in (f"file://{path}", ObjectStoragePath(f"file://{path}")):
        open_binary, name = path_source(given)
        assert name == f"file://{path}"
        with open_binary() as stream:
            assert stream.read() == b'{"tel1": "300"}\n'
    with pytest.raises(WolkvoxValidationError, match="does not exist"):
        path_source(ObjectStoragePath(f"file://{tmp_path}/missing.csv"))


def test_an_unknown_scheme_is_refused_naming_the_argument():
    with pytest.raises(WolkvoxValidationError) as err:
        path_source("nosuchfs://bucket/c.csv")
    assert err.value.field == "path" and "cannot open nosuchfs:// locations" in str(err.value)


def test_read_numbers_one_a_line_or_the_first_csv_column(tmp_path):
    cases = {
        "lines.txt": b"3001112233\r\n\r\n  +57 300 222 3344 \n",
        "comma.csv": BOM + b"phone,source\n3001112233,web\n(300) 222-3344,call\n",
        "semicolon.csv": b"\r\n  \ntelefono;nombre\n3001112233;Ana\n3002223344;Luis\n",
        "tabs.tsv": b"3001112233\tAna\n3002223344\tLuis\n",
        "numbered_header.csv": b"\n\nphone1,phone2\n3001112233,x\n-\n3002223344 ext. 5,y\n",
    }
    expected = {
        "lines.txt": ["3001112233", "+57 300 222 3344"],
        "comma.csv": ["3001112233", "(300) 222-3344"],
        "semicolon.csv": ["3001112233", "3002223344"],
        "tabs.tsv": ["3001112233", "3002223344"],
        "numbered_header.csv": ["3001112233", "3002223344 ext. 5"],
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert list(read_numbers(tmp_path / name)) == expected[name], name
    (tmp_path / "empty.txt").write_bytes(b"")
    assert list(read_numbers(tmp_path / "empty.txt")) == []


def test_read_numbers_checks_the_file_at_once_and_names_dnc_lists(tmp_path):
    with pytest.raises(WolkvoxValidationError) as err:
        read_numbers(tmp_path / "missing.txt")  # before the first number is asked for
    assert err.value.field == "dnc_lists"
    (tmp_path / "latin1.txt").write_bytes(b"3001112233 Jos\xe9\n")
    with pytest.raises(WolkvoxValidationError) as err:
        list(read_numbers(tmp_path / "latin1.txt"))
    assert err.value.field == "dnc_lists" and "is not UTF-8" in str(err.value)


def test_open_for_write_on_local_disk(tmp_path):
    target = tmp_path / "c.rejects.csv"
    target.write_text("old")
    opener = open_for_write(target)
    assert target.read_text() == "old"  # nothing happens until the file is opened
    with opener() as handle:
        handle.write("row,field,reason\r\n2,tel1,número\r\n")
    assert target.read_bytes() == "row,field,reason\r\n2,tel1,número\r\n".encode()
    with open_for_write(f"file://{tmp_path}/url.csv")() as handle:
        handle.write("x")
    assert (tmp_path / "url.csv").read_text() == "x"


def test_open_for_write_needs_an_existing_folder(tmp_path):
    with pytest.raises(WolkvoxValidationError) as err:
        open_for_write(tmp_path / "nowhere" / "r.csv")
    assert err.value.field == "reject_path" and "the folder" in str(err.value)
    with pytest.raises(WolkvoxValidationError, match="is a folder"):
        open_for_write(tmp_path)
    with pytest.raises(WolkvoxValidationError, match="does not exist"):
        open_for_write(ObjectStoragePath(f"file://{tmp_path}/nowhere/r.csv"))


# --- sql_cursor --------------------------------------------------------------------------------


def test_a_connection_whose_hook_is_not_a_dbapi_hook_is_refused(set_connection):
    set_connection(conn_id="not_sql")  # a `wolkvox` connection: WolkvoxHook
    with pytest.raises(WolkvoxValidationError) as err, sql_cursor("SELECT 1", "not_sql"):
        pass
    assert err.value.field == "sql_conn_id"
    assert "'not_sql' gives a WolkvoxHook, which is not a common.sql DbApiHook" in str(err.value)


def test_a_connection_type_without_a_hook_is_refused(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ODD", json.dumps({"conn_type": "no_such_type_xyz", "host": "h"}))
    with pytest.raises(WolkvoxValidationError) as err, sql_cursor("SELECT 1", "odd"):
        pass
    assert err.value.field == "sql_conn_id" and "has no usable hook" in str(err.value)


def test_sqlite_runs_in_a_plain_cursor_closed_afterwards(tmp_path, monkeypatch):
    pytest.importorskip("airflow.providers.sqlite", reason="apache-airflow-providers-sqlite is not installed")
    db = tmp_path / "c.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (tel1 TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("300",), ("301",)])
    conn.close()
    monkeypatch.setenv("AIRFLOW_CONN_LITE", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    with sql_cursor("SELECT tel1 FROM t WHERE tel1 > ?", "lite", ["300"]) as cursor:
        assert isinstance(cursor, sqlite3.Cursor)
        assert cursor.fetchmany(10) == [("301",)]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        cursor.execute("SELECT 1")


class _Conn:
    """A stand-in connection; ``module`` poses as the driver it comes from."""

    def __init__(self, autocommit=False):
        self.autocommit = autocommit
        self.cursors = []

    def cursor(self, name=None, withhold=None):
        self.cursors.append((name, withhold))
        return self.cursors[-1]


@pytest.mark.parametrize("module", ["psycopg2.extensions", "psycopg.connection"])
def test_postgres_drivers_get_a_named_server_side_cursor(module):
    kind = type("Connection", (_Conn,), {"__module__": module})
    conn = kind()
    name, withhold = sources._cursor(conn)
    assert name.startswith("wolkvox_") and withhold is False
    assert sources._cursor(kind(autocommit=True))[1] is True  # no transaction: declared WITH HOLD
    other = type("Connection", (_Conn,), {"__module__": "sqlite3"})()
    assert sources._cursor(other) == (None, None)  # a plain cursor
