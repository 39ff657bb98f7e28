"""Contact hygiene (client/hygiene.py): phones normalised with the real phonenumbers package,
do-not-call filtering, de-duplication, in one streaming pass, as a user sees the result."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_wolkvox.client import WolkvoxValidationError
from airflow_provider_wolkvox.client.hygiene import Dropped, Hygiene
from airflow_provider_wolkvox.client.records import InvalidRecordError


def run(hygiene: Hygiene, *records: dict[str, str], first_row: int = 2) -> list[tuple[int, Any]]:
    """Apply hygiene to records numbered from ``first_row`` (as CSV rows are)."""
    return list(hygiene.apply(enumerate(records, start=first_row)))


def sent(results: list[tuple[int, Any]]) -> list[dict[str, str]]:
    return [item for _, item in results if isinstance(item, dict)]


def one_phone(region: str, phone: str, **kwargs: Any) -> Any:
    """What hygiene makes of a record whose tel1 is ``phone``: the value sent, or the error."""
    [(_, item)] = run(Hygiene(default_region=region, **kwargs), {"tel1": phone})
    return item["tel1"] if isinstance(item, dict) else item


# --- phone normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "written", "expected"),
    [
        # Colombia: mobiles and the 60x fixed lines, in the ways people write them.
        ("CO", "3001234567", "573001234567"),
        ("CO", "300 123 4567", "573001234567"),
        ("CO", "300-123-4567", "573001234567"),
        ("CO", "(601) 234-5678", "576012345678"),
        ("CO", "+57 300 123 4567", "573001234567"),
        ("CO", "573001234567", "573001234567"),  # Wolkvox's own form is kept as it is
        # Mexico: ten digits, no mobile '1'.
        ("MX", "55 1234 5678", "525512345678"),
        ("MX", "+52 (55) 1234-5678", "525512345678"),
        # Spain: mobile and Madrid fixed line.
        ("ES", "612 345 678", "34612345678"),
        ("ES", "91 123 45 67", "34911234567"),
        # Argentina: the national mobile form 0 + area + 15 becomes the international 9 + area.
        ("AR", "011 15-2345-6789", "5491123456789"),
        ("AR", "+54 9 11 2345-6789", "5491123456789"),
        ("AR", "11 2345-6789", "541123456789"),
    ],
)
def test_phones_become_digits_with_country_code_and_no_plus(region: str, written: str, expected: str) -> None:
    assert one_phone(region, written) == expected


@pytest.mark.parametrize(
    ("region", "written", "expected"),
    [
        ("CO", "+34 612 345 678", "34612345678"),  # '+' keeps its own country
        ("CO", "009 34 612 345 678", "34612345678"),  # Colombia's international prefix 009
        ("MX", "00 34 612 345 678", "34612345678"),  # Mexico's 00
        ("ES", "+57 300 123 4567", "573001234567"),
    ],
)
def test_a_number_written_internationally_keeps_its_own_country(
    region: str, written: str, expected: str
) -> None:
    assert one_phone(region, written) == expected


@pytest.mark.parametrize(
    ("region", "written", "expected"),
    [
        ("CO", "300 123 4567 ext. 12", "573001234567"),  # Wolkvox cannot dial an extension
        ("US", "1-800-FLOWERS", "18003569377"),  # letters on the keypad
        ("CO", "  300.123.4567  ", "573001234567"),
        ("CO", "+57 (601) 234 56 78", "576012345678"),
    ],
)
def test_odd_but_valid_writings_are_understood(region: str, written: str, expected: str) -> None:
    assert one_phone(region, written) == expected


def test_dial_prefix_goes_before_the_country_code() -> None:
    assert one_phone("CO", "300 123 4567", dial_prefix="9") == "9573001234567"
    assert one_phone("CO", "+34 612 345 678", dial_prefix="07") == "0734612345678"


def test_every_phone_field_is_normalised_and_nothing_else_changes() -> None:
    record = {
        "customer_name": "Ana 300",
        "customer_id": "300 123 4567",
        "tel1": "300 123 4567",
        "tel2": "310 765 4321",
        "tel10": "(601) 234-5678",
        "tel_extra": "+34 612 345 678",
        "recall_telephone": "320 111 2222",
        "opt1": "300-123-4567",
    }
    [(row, item)] = run(Hygiene(default_region="CO"), record)
    assert row == 2
    assert item == {
        "customer_name": "Ana 300",
        "customer_id": "300 123 4567",
        "tel1": "573001234567",
        "tel2": "573107654321",
        "tel10": "576012345678",
        "tel_extra": "34612345678",
        "recall_telephone": "573201112222",
        "opt1": "300-123-4567",
    }
    assert record["tel1"] == "300 123 4567"  # the caller's dict is left as it was


def test_a_blank_phone_is_left_out_rather_than_refused() -> None:
    [(_, item)] = run(Hygiene(default_region="CO"), {"tel1": "3001234567", "tel2": "   "})
    assert item == {"tel1": "573001234567"}


@pytest.mark.parametrize(
    ("region", "written", "reason"),
    [
        ("CO", "12345", "too short for region CO"),
        ("CO", "3001234", "a local number without its area code, not valid for region CO"),
        ("CO", "300 123 4567 8901", "too long for region CO"),
        ("CO", "not a phone", "not a phone number"),
        ("MX", "+52 1 55 1234 5678", "too long for region MX"),  # the old mobile '1' form
        ("CO", "+34 600 00", "too short for region ES"),
        ("CO", "+999 1234 5678", "unknown country code"),
        ("ES", "412 345 678", "not a valid phone number for region ES"),
        ("CO", "200 123 4567", "not a valid phone number for region CO"),
    ],
)
def test_an_invalid_phone_makes_the_row_invalid_without_quoting_the_number(
    region: str, written: str, reason: str
) -> None:
    error = one_phone(region, written)
    assert isinstance(error, InvalidRecordError)
    assert (error.field, error.row, error.reason, error.code) == ("tel1", 2, reason, "invalid_phone")
    digits = "".join(ch for ch in written if ch.isdigit())
    if digits:
        assert digits[-4:] not in str(error)


def test_the_error_names_the_bad_field_and_counts_it() -> None:
    hygiene = Hygiene(default_region="CO")
    results = run(hygiene, {"tel1": "3001234567", "tel2": "12"}, {"tel1": "3101234567"})
    error = results[0][1]
    assert isinstance(error, InvalidRecordError)
    assert (error.field, error.row, error.code) == ("tel2", 2, "invalid_phone")
    assert str(error) == "Invalid tel2: row 2: too short for region CO"
    assert sent(results) == [{"tel1": "573101234567"}]
    assert hygiene.counts["invalid_phone"] == 1
    assert hygiene.counts["phones_normalised"] == 1  # the invalid row's tel1 is not counted


def test_without_a_region_phones_are_sent_as_given() -> None:
    hygiene = Hygiene(dedupe="customer_id")
    record = {"customer_id": "1", "tel1": "(300) 123-4567", "tel2": "anything"}
    assert sent(run(hygiene, record)) == [record]
    assert hygiene.counts["phones_normalised"] == 0


def test_phonenumbers_is_imported_only_when_a_region_is_given() -> None:
    code = (
        "import sys\n"
        "from airflow_provider_wolkvox.client.hygiene import Hygiene\n"
        "from airflow_provider_wolkvox.client.rejects import RejectReport\n"
        "h = Hygiene(dedupe='phone'); h.block(['3001234567'])\n"
        "list(h.apply([(1, {'tel1': '3001234567'})]))\n"
        "assert 'phonenumbers' not in sys.modules, 'phonenumbers imported'\n"
        "assert not any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules), 'airflow'\n"
        "Hygiene(default_region='CO')\n"
        "assert 'phonenumbers' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_phonenumbers_package_is_named_with_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # import phonenumbers now fails
    with pytest.raises(WolkvoxValidationError, match="phonenumbers") as raised:
        Hygiene(default_region="CO")
    assert raised.value.field == "default_region"
    assert "pip install" in str(raised.value)


# --- do-not-call ---------------------------------------------------------------------------------


def test_block_matches_a_number_whatever_way_either_side_writes_it() -> None:
    hygiene = Hygiene(default_region="CO")
    added = hygiene.block(["573001234567", "+57 310 765 4321", "(601) 234-5678"])
    assert added == 3
    results = run(
        hygiene,
        {"tel1": "300 123 4567"},
        {"tel1": "3107654321"},
        {"tel1": "+57 601 234 5678"},
        {"tel1": "320 000 0000"},
    )
    assert [type(item).__name__ for _, item in results] == ["Dropped", "Dropped", "Dropped", "dict"]
    assert hygiene.counts["do_not_call"] == 3


def test_block_counts_only_new_numbers_and_skips_what_is_not_a_number() -> None:
    hygiene = Hygiene(default_region="CO")
    assert hygiene.block(["3001234567", "", "  "]) == 1
    assert hygiene.block(["573001234567", "+573001234567", "no", "12"]) == 0  # same number again
    assert hygiene.dnc_size == 1
    assert hygiene.dnc_unusable == 2


def test_block_understands_numbers_listed_with_the_dial_prefix_or_a_foreign_country_code() -> None:
    hygiene = Hygiene(default_region="CO", dial_prefix="9")
    assert hygiene.block(["9573001234567", "34612345678"]) == 2
    results = run(hygiene, {"tel1": "3001234567"}, {"tel1": "+34 612 345 678"})
    assert all(isinstance(item, Dropped) for _, item in results)


def test_drop_record_drops_the_whole_record_when_any_phone_is_blocked() -> None:
    hygiene = Hygiene(default_region="CO")
    hygiene.block(["3107654321"])
    [(row, item)] = run(hygiene, {"tel1": "3001234567", "tel2": "310 765 4321"}, first_row=7)
    assert item == Dropped("tel2", "on the do-not-call list", 7, code="do_not_call")
    assert row == 7
    assert hygiene.counts["do_not_call"] == 1
    assert hygiene.counts["phones_blocked"] == 0


def test_drop_phone_removes_the_blocked_phones_and_keeps_the_record() -> None:
    hygiene = Hygiene(default_region="CO", dnc_action="drop_phone")
    hygiene.block(["3001234567", "3201112222"])
    [(_, item)] = run(
        hygiene,
        {"customer_name": "Ana", "tel1": "300 123 4567", "tel2": "310 765 4321", "tel_extra": "3201112222"},
    )
    assert item == {"customer_name": "Ana", "tel2": "573107654321"}
    assert hygiene.counts["phones_blocked"] == 2
    assert hygiene.counts["do_not_call"] == 0


def test_drop_phone_drops_the_record_when_no_tel1_to_tel10_is_left() -> None:
    hygiene = Hygiene(default_region="CO", dnc_action="drop_phone")
    hygiene.block(["3001234567", "3107654321"])
    # tel_extra alone is not enough: Wolkvox dials tel1-tel10.
    [(_, item)] = run(hygiene, {"tel1": "3001234567", "tel3": "3107654321", "tel_extra": "3209999999"})
    assert item == Dropped(
        "tel1", "every phone in tel1-tel10 is on the do-not-call list", 2, code="do_not_call"
    )
    assert hygiene.counts["do_not_call"] == 1
    assert hygiene.counts["phones_blocked"] == 2


def test_without_a_region_do_not_call_compares_digits_only() -> None:
    hygiene = Hygiene(dnc_action="drop_phone")
    hygiene.block(["3001234567", "0312345"])
    results = run(
        hygiene,
        {"tel1": "(300) 123-4567", "tel2": "573001234567"},  # other digits: not the same number
        {"tel1": "312345"},  # a leading zero makes another number
        {"tel1": "0312345"},
    )
    assert sent(results) == [{"tel2": "573001234567"}, {"tel1": "312345"}]
    assert isinstance(results[2][1], Dropped)


def test_an_empty_block_list_turns_nothing_on() -> None:
    hygiene = Hygiene()
    assert not hygiene.enabled
    hygiene.block([])
    assert not hygiene.enabled
    hygiene.block(["3001234567"])
    assert hygiene.enabled


@pytest.mark.parametrize("numbers", ["3001234567", 3001234567, None])
def test_block_wants_a_list(numbers: Any) -> None:
    with pytest.raises(WolkvoxValidationError, match="list") as raised:
        Hygiene().block(numbers)
    assert raised.value.field == "numbers"


# --- de-duplication ------------------------------------------------------------------------------


def test_dedupe_by_customer_id_keeps_the_first_occurrence() -> None:
    hygiene = Hygiene(dedupe="customer_id")
    results = run(
        hygiene,
        {"customer_id": "A1", "tel1": "3001234567"},
        {"customer_id": "A2", "tel1": "3001234567"},
        {"customer_id": " A1 ", "tel1": "3107654321"},
        {"tel1": "3001234567"},  # no id: never a duplicate
        {"tel1": "3001234567"},
    )
    assert [row for row, item in results if isinstance(item, dict)] == [2, 3, 5, 6]
    assert results[2] == (4, Dropped("customer_id", "duplicate of an earlier row", 4, code="duplicate"))
    assert hygiene.counts["duplicate"] == 1


def test_dedupe_by_customer_id_keeps_leading_zeros_and_text_ids_apart() -> None:
    hygiene = Hygiene(dedupe="customer_id")
    ids = ["007", "7", "CC-7", "cc-7", "CC-7", "7"]
    results = run(hygiene, *({"customer_id": cid, "tel1": "3001234567"} for cid in ids))
    assert [item.code for _, item in results if isinstance(item, Dropped)] == ["duplicate", "duplicate"]
    assert [row for row, item in results if isinstance(item, Dropped)] == [6, 7]


def test_an_absurdly_long_phone_without_a_region_is_still_compared() -> None:
    hygiene = Hygiene(dedupe="phone")
    results = run(hygiene, {"tel1": "9" * 5000}, {"tel1": "9" * 5000}, {"tel1": "9" * 4999})
    assert [type(item).__name__ for _, item in results] == ["dict", "Dropped", "dict"]


def test_dedupe_by_phone_compares_the_normalised_first_phone() -> None:
    hygiene = Hygiene(default_region="CO", dedupe="phone")
    results = run(
        hygiene,
        {"tel1": "300 123 4567", "tel2": "3209999999"},
        {"tel1": "+57 300-123-4567"},  # same first phone, other format
        {"tel2": "573001234567"},  # first phone is tel2 here, same number
        {"tel1": "3107654321", "tel2": "3209999999"},  # only a secondary phone shared: kept
    )
    assert [row for row, item in results if isinstance(item, dict)] == [2, 5]
    assert results[1][1] == Dropped("tel1", "duplicate of an earlier row", 3, code="duplicate")
    assert results[2][1] == Dropped("tel2", "duplicate of an earlier row", 4, code="duplicate")
    assert hygiene.counts == {
        "phones_normalised": 6,
        "phones_blocked": 0,
        "invalid_phone": 0,
        "do_not_call": 0,
        "duplicate": 2,
    }


def test_dedupe_by_phone_without_a_region_compares_digits() -> None:
    hygiene = Hygiene(dedupe="phone")
    results = run(hygiene, {"tel1": "300 123 4567"}, {"tel1": "(300)123-4567"}, {"tel1": "573001234567"})
    assert [row for row, item in results if isinstance(item, dict)] == [2, 4]
    assert results[1][1].reason == "duplicate of an earlier row"


def test_do_not_call_runs_before_dedupe_so_a_blocked_record_makes_no_duplicate() -> None:
    hygiene = Hygiene(default_region="CO", dedupe="phone", dnc_action="drop_phone")
    hygiene.block(["3001234567"])
    results = run(
        hygiene,
        {"tel1": "3001234567", "tel2": "3107654321"},  # tel1 blocked: keyed by tel2
        {"tel1": "3107654321"},  # a duplicate of the first record's tel2
        {"tel1": "3001234567"},  # blocked, dropped for do-not-call, not as a duplicate
    )
    assert results[0][1] == {"tel2": "573107654321"}
    assert results[1][1].code == "duplicate"
    assert results[2][1].code == "do_not_call"
    assert (hygiene.counts["duplicate"], hygiene.counts["do_not_call"]) == (1, 1)


def test_invalid_rows_from_upstream_pass_through_untouched() -> None:
    upstream = InvalidRecordError("tel1", "no phone number; give at least one of tel1-tel10", 3)
    hygiene = Hygiene(default_region="CO", dedupe="phone")
    results = list(hygiene.apply([(2, {"tel1": "3001234567"}), (3, upstream), (4, {"tel1": "3001234567"})]))
    assert results[1] == (3, upstream)
    assert results[1][1] is upstream
    assert hygiene.counts["invalid_phone"] == 0
    assert hygiene.counts["duplicate"] == 1


def test_each_pass_starts_afresh_as_a_retry_reads_the_input_again() -> None:
    hygiene = Hygiene(default_region="CO", dedupe="customer_id")
    hygiene.block(["3209999999"])
    records = [{"customer_id": "1", "tel1": "3001234567"}, {"customer_id": "1", "tel1": "3001234567"}]
    first, second = run(hygiene, *records), run(hygiene, *records)
    assert first == second
    assert len(sent(second)) == 1
    assert hygiene.counts["duplicate"] == 1  # not 2
    assert hygiene.dnc_size == 1  # the do-not-call list stays


def test_hygiene_streams_one_row_at_a_time() -> None:
    pulled: list[int] = []

    def endless() -> Iterator[tuple[int, dict[str, str]]]:
        for row in itertools.count(1):
            pulled.append(row)
            yield row, {"customer_id": str(row % 3), "tel1": f"300{row:07d}"}

    hygiene = Hygiene(default_region="CO", dedupe="customer_id")
    results = list(itertools.islice(hygiene.apply(endless()), 5))
    assert [row for row, _ in results] == [1, 2, 3, 4, 5]
    assert pulled == [1, 2, 3, 4, 5]


def test_with_every_step_off_rows_are_passed_on_unchanged() -> None:
    hygiene = Hygiene()
    record = {"tel1": " 300 123 4567 "}
    [(_, item)] = run(hygiene, record)
    assert item is record
    assert not hygiene.enabled
    assert set(hygiene.counts.values()) == {0}


# --- arguments -----------------------------------------------------------------------------------


def test_arguments_are_accepted_in_any_case() -> None:
    hygiene = Hygiene(default_region="co", dedupe="Phone", dnc_action="DROP_PHONE")
    assert (hygiene.default_region, hygiene.dedupe, hygiene.dnc_action) == ("CO", "phone", "drop_phone")
    assert Hygiene(default_region="").default_region is None


@pytest.mark.parametrize(
    ("kwargs", "field", "hint"),
    [
        ({"default_region": "XX"}, "default_region", "ISO 3166-1 alpha-2"),
        ({"default_region": "COL"}, "default_region", "'CO', 'MX'"),
        ({"default_region": 57}, "default_region", "ISO 3166-1 alpha-2"),
        ({"default_region": "CO", "dial_prefix": "+9"}, "dial_prefix", "digits"),
        ({"default_region": "CO", "dial_prefix": "9-"}, "dial_prefix", "digits"),
        ({"default_region": "CO", "dial_prefix": "12345678901"}, "dial_prefix", "up to 10 digits"),
        ({"dial_prefix": "9"}, "dial_prefix", "set default_region"),
        ({"dedupe": "email"}, "dedupe", "'customer_id' or 'phone'"),
        ({"dedupe": True}, "dedupe", "'customer_id' or 'phone'"),
        ({"dnc_action": "drop"}, "dnc_action", "'drop_record' or 'drop_phone'"),
        ({"dnc_action": None}, "dnc_action", "'drop_record' or 'drop_phone'"),
    ],
)
def test_a_bad_argument_is_named_with_what_is_accepted(kwargs: dict[str, Any], field: str, hint: str) -> None:
    with pytest.raises(WolkvoxValidationError) as raised:
        Hygiene(**kwargs)
    assert raised.value.field == field
    assert hint in str(raised.value)
