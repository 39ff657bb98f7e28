"""Contact hygiene in one streaming pass: phone normalisation, do-not-call filtering, de-duplication.

Plain Python with no Airflow import. :class:`Hygiene` sits between a row stream and the upload::

    hygiene = Hygiene(default_region="CO", dedupe="phone", dnc_action="drop_phone")
    hygiene.block(["3001234567", "573009999999"])       # do-not-call numbers, any format
    for row, item in hygiene.apply(validator_rows):
        ...  # a record to send, an InvalidRecordError, or a Dropped record

Each step is optional; :attr:`Hygiene.counts` says what each one did in the last pass. The steps
run in this order for every record: **normalise -> do-not-call -> de-duplicate**, so a number
written ``300 123 4567`` in the file matches ``573001234567`` on the do-not-call list, and a record
dropped for do-not-call never makes a later record a duplicate. InvalidRecordError items coming
from upstream pass through untouched. Everything is a generator: memory stays flat apart from the
de-duplication set and the do-not-call set.

**Phones** (``tel1``-``tel10``, ``tel_extra``, ``recall_telephone``). With ``default_region`` (an
ISO 3166-1 alpha-2 code such as ``CO``) each phone is parsed with the ``phonenumbers`` package
(imported only then) and sent in Wolkvox's form: digits with the country code and no ``+``
(``573001234567``), after the optional ``dial_prefix``. A number written with ``+`` or with the
region's international prefix (``009 34 ...`` from Colombia) keeps its own country; a number
written with the region's country code but no ``+`` (``573001234567``, Wolkvox's own form) is
recognised too. An extension (``ext. 12``) is left out: Wolkvox cannot dial one. A number the
library finds invalid makes the row an InvalidRecordError with code ``invalid_phone``, naming the
field; the reason never quotes the number. Mobile and fixed lines are not told apart (the library
cannot for Mexico or Chile, and Wolkvox does not need it). A blank (whitespace-only) phone is left
out of the record. Without ``default_region`` phones are sent exactly as given, and do-not-call
matching and phone de-duplication compare their digits only (so ``300-123-4567`` matches
``3001234567``, but not ``573001234567``: set ``default_region`` to match across formats).

**Do-not-call.** :meth:`Hygiene.block` adds numbers, normalised the same way (with
``default_region``, a number that does not parse for the region is also tried as digits with a
country code, and without the dial prefix, since Wolkvox lists numbers that way). With
``dnc_action="drop_record"`` (default) a record with any blocked phone is dropped; with
``"drop_phone"`` the blocked phones are removed and the record is dropped only when none of
``tel1``-``tel10`` is left.

**De-duplication** (``dedupe="customer_id"`` or ``"phone"``): the first occurrence wins, later
ones are dropped with reason "duplicate of an earlier row". A record without a key (no
``customer_id``; by phone, no phone left) is never a duplicate. By phone, a record is a duplicate when
its *first* phone (the first of ``tel1``-``tel10`` left after do-not-call filtering, normalised)
was the first phone of an earlier record. Why the first phone only: it is the number the dialer
calls first and the one that identifies the contact; comparing every phone would drop distinct
customers who share a secondary number (an office switchboard, a relative's line in ``tel3``),
and would store up to ten keys per record instead of one.

Memory bound (a hash set, not a spill to disk: one pass, no temporary files, and a set lookup
costs well under a microsecond): one key per distinct record, kept in a Python ``set`` of ints.
A phone key is the number's digits as an int, and so is a ``customer_id`` of up to 18 ASCII
digits: exact, no collision possible. Any other ``customer_id`` is keyed by its 8-byte BLAKE2b
digest (the chance that two of 10 million distinct ids collide is about 3 in a million). Measured
on Python 3.11, building a set of 1,000,000 keys with this module's key functions (``tracemalloc``
in one run, RSS growth in another)::

    phone or numeric customer_id:  62-66 B/key traced, 66 B/key RSS   (about 66 MB per million)
    other customer_id (hashed):    70 B/key traced,    82 B/key RSS   (about 82 MB per million)
    (not used) dict key -> row:   110 B/key traced,   121 B/key RSS

The set's table is 33.5 of those bytes (16 B per slot, grown by powers of two), the int object
32-36 more. Remembering each first occurrence's row number would need a dict, about 50-80% more
memory per key, so a duplicate names no row ("duplicate of an earlier row"). Each :meth:`apply`
starts a new set (a retry reads the input again); the do-not-call set, keyed like phones (about
66 B a number), lasts as long as the Hygiene object.

Speed: parsing and validating a phone with ``phonenumbers`` costs about 40-60 us on this project's
machines, over 90% of the pass when ``default_region`` is set; phones are compacted (spaces,
dots, dashes and parentheses removed, which the library ignores anyway but pays for per
character) and results are kept in a small LRU cache keyed by the compact text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
from airflow_provider_wolkvox.client.models import parse_choice
from airflow_provider_wolkvox.client.records import PHONE_FIELDS, InvalidRecordError

#: Every field hygiene treats as a phone, in the order they are checked.
HYGIENE_PHONE_FIELDS = (*PHONE_FIELDS, "tel_extra", "recall_telephone")
#: Reason codes, as used in :attr:`Hygiene.counts` and in the upload's ``rejected_by_reason``.
INVALID_PHONE = "invalid_phone"
DUPLICATE = "duplicate"
DO_NOT_CALL = "do_not_call"
DEDUPE_KEYS = ("customer_id", "phone")
DNC_ACTIONS = ("drop_record", "drop_phone")
#: Parsed phones remembered (compact text -> result): a contact list often repeats a number on
#: neighbouring rows (the same person twice, a shared line), and parsing costs ~40-60 us a
#: number; a miss costs under 0.5 us. At most this many entries (well under 1 MB).
PARSE_CACHE_SIZE = 4096

_DUPLICATE_REASON = "duplicate of an earlier row"
_BLOCKED_REASON = "on the do-not-call list"
_ALL_BLOCKED_REASON = "every phone in tel1-tel10 is on the do-not-call list"
_NON_DIGITS = re.compile(rb"[^0-9]+")
_PUNCTUATION = b" -.()+/"
_PUNCTUATION_NO_PLUS = b" -.()"
_EXACT_DIGITS = 18  # "1" + 18 digits < 2**64: exact keys and hashed keys (>= 2**64) never meet
_HASHED = 1 << 64
_DIALLED = frozenset(PHONE_FIELDS)
_REGION = re.compile(r"[A-Za-z]{2}")
_PREFIX = re.compile(r"[0-9]{0,10}")
_INSTALL_HINT = "pip install 'airflow-provider-wolkvox[contacts]' (or pip install phonenumbers)"

#: What normalising a phone gives: (the value to send, its key) or the reason it is invalid.
_Parsed = tuple[str, int] | str


class Dropped:
    """A valid record that hygiene leaves out (not an error): a duplicate or a do-not-call contact.

    ``code`` is ``"duplicate"`` or ``"do_not_call"``; ``field`` names the field that decided it;
    ``reason`` never quotes a phone number or a name, so it can go to a reject file.
    """

    __slots__ = ("code", "field", "reason", "row")

    def __init__(self, field: str, reason: str, row: int | None = None, *, code: str) -> None:
        self.field = field
        self.reason = reason
        self.row = row
        self.code = code

    def __repr__(self) -> str:
        return f"Dropped(field={self.field!r}, reason={self.reason!r}, row={self.row!r}, code={self.code!r})"

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Dropped):
            return NotImplemented
        return (self.field, self.reason, self.row, self.code) == (
            other.field,
            other.reason,
            other.row,
            other.code,
        )

    __hash__ = None  # type: ignore[assignment]


class Hygiene:
    """Normalise phones, filter do-not-call numbers and drop duplicates, in one streaming pass.

    :param default_region: ISO 3166-1 alpha-2 code (any case) of the country whose national
        formats the phones are written in, e.g. ``"CO"``; turns phone normalisation on (needs the
        ``phonenumbers`` package). None or ``""``: phones are sent as given.
    :param dial_prefix: digits put before every normalised phone (e.g. a trunk prefix your
        Wolkvox account dials with); needs ``default_region``. Default: none.
    :param dedupe: None (default), ``"customer_id"`` or ``"phone"`` (see the module docs).
    :param dnc_action: ``"drop_record"`` (default) or ``"drop_phone"``.
    """

    def __init__(
        self,
        *,
        default_region: str | None = None,
        dial_prefix: str = "",
        dedupe: str | None = None,
        dnc_action: str = "drop_record",
    ) -> None:
        self.default_region = _parse_region(default_region)
        self.dial_prefix = _parse_dial_prefix(dial_prefix, self.default_region)
        self.dedupe = (
            None
            if dedupe is None
            else parse_choice(
                dedupe,
                "dedupe",
                DEDUPE_KEYS,
                accepted="use None (no de-duplication), 'customer_id' or 'phone'",
            )
        )
        self.dnc_action = parse_choice(dnc_action, "dnc_action", DNC_ACTIONS)
        self._blocked: set[int] = set()
        #: Numbers given to :meth:`block` that are not phone numbers, so can never match a record.
        self.dnc_unusable = 0
        self._parse: Callable[[str], _Parsed] | None = None
        self._parse_cached: Callable[[str], _Parsed] | None = None
        if self.default_region is not None:
            self._parse = _make_parser(self.default_region, self.dial_prefix)
            self._parse_cached = lru_cache(maxsize=PARSE_CACHE_SIZE)(self._parse)
        self.counts: dict[str, int] = _zero_counts()

    @property
    def enabled(self) -> bool:
        """Whether any step is on: normalisation, de-duplication, or a non-empty do-not-call list."""
        return self.default_region is not None or self.dedupe is not None or bool(self._blocked)

    @property
    def dnc_size(self) -> int:
        """How many distinct do-not-call numbers are known."""
        return len(self._blocked)

    def block(self, numbers: Iterable[str]) -> int:
        """Add do-not-call numbers (any format; normalised like the records' phones).

        Blank entries are skipped; entries that are not phone numbers are counted in
        :attr:`dnc_unusable`. Returns how many numbers were new. May be called many times.
        """
        if isinstance(numbers, (str, bytes)) or not isinstance(numbers, Iterable):
            raise WolkvoxValidationError(
                "numbers", "expected a list (or other iterable) of phone numbers as text"
            )
        blocked = self._blocked
        before = len(blocked)
        for number in numbers:
            if isinstance(number, int) and not isinstance(number, bool):
                number = str(number)
            if not isinstance(number, str):
                raise WolkvoxValidationError(
                    "numbers", f"a {type(number).__name__} is not accepted; give phone numbers as text"
                )
            if not number.strip():
                continue
            key = self._dnc_key(number)
            if key is None:
                self.dnc_unusable += 1
            else:
                blocked.add(key)
        return len(blocked) - before

    def _dnc_key(self, number: str) -> int | None:
        if self._parse is None:
            return _digits_key(number)
        parsed = self._parse(_compact(number))
        if not isinstance(parsed, str):
            return parsed[1]
        digits = _NON_DIGITS.sub(b"", number.encode("utf-8", "ignore")).decode()
        prefix = self.dial_prefix
        tries = [digits[len(prefix) :]] if prefix and digits.startswith(prefix) else []
        for candidate in [*tries, digits]:
            if candidate:
                parsed = self._parse("+" + candidate)
                if not isinstance(parsed, str):
                    return parsed[1]
        return None

    def apply(
        self, rows: Iterable[tuple[int, Any]]
    ) -> Iterator[tuple[int, dict[str, str] | InvalidRecordError | Dropped]]:
        """The rows with hygiene applied: each record normalised, or replaced by an error or a Dropped.

        A record that changes is a new dict; the input's dicts are never modified. Counts start
        from zero when the pass starts.
        """
        counts = self.counts = _zero_counts()
        if not self.enabled:
            yield from rows
            return
        parse = self._parse_cached
        blocked = self._blocked
        drop_phone = self.dnc_action == "drop_phone"
        dedupe = self.dedupe
        by_id = dedupe == "customer_id"
        seen: set[int] = set()
        for row, item in rows:
            if not isinstance(item, dict):
                yield row, item
                continue
            record = item
            keys: dict[str, int] | None = None  # phone field -> key, in HYGIENE_PHONE_FIELDS order
            if parse is not None:
                keys = {}
                invalid = None
                for name in HYGIENE_PHONE_FIELDS:
                    raw = record.get(name)
                    if raw is None:
                        continue
                    if not raw.strip():
                        if record is item:
                            record = dict(item)
                        del record[name]
                        continue
                    parsed = parse(_compact(raw))
                    if isinstance(parsed, str):
                        invalid = name, parsed
                        break
                    value, keys[name] = parsed
                    if value != raw:
                        if record is item:
                            record = dict(item)
                        record[name] = value
                if invalid is not None:
                    counts[INVALID_PHONE] += 1
                    yield row, _invalid_phone(invalid[0], invalid[1], row)
                    continue
                counts["phones_normalised"] += len(keys)
            elif blocked or dedupe == "phone":
                keys = {}
                for name in HYGIENE_PHONE_FIELDS:
                    raw = record.get(name)
                    if raw is not None:
                        key = _digits_key(raw)
                        if key is not None:
                            keys[name] = key
            if blocked and keys:
                hits = [name for name, key in keys.items() if key in blocked]
                if hits:
                    if not drop_phone:
                        counts[DO_NOT_CALL] += 1
                        yield row, Dropped(hits[0], _BLOCKED_REASON, row, code=DO_NOT_CALL)
                        continue
                    if record is item:
                        record = dict(item)
                    for name in hits:
                        del record[name]
                        del keys[name]
                    counts["phones_blocked"] += len(hits)
                    if not any(name in record for name in PHONE_FIELDS):
                        counts[DO_NOT_CALL] += 1
                        yield row, Dropped(hits[0], _ALL_BLOCKED_REASON, row, code=DO_NOT_CALL)
                        continue
            if dedupe is not None:
                key = None
                if by_id:
                    field = "customer_id"
                    customer_id = record.get(field)
                    if customer_id:
                        key = _id_key(customer_id)
                elif keys:
                    for field in keys:  # the first of tel1-tel10 left, in order
                        if field in _DIALLED:
                            key = keys[field]
                            break
                if key is not None:
                    if key in seen:
                        counts[DUPLICATE] += 1
                        yield row, Dropped(field, _DUPLICATE_REASON, row, code=DUPLICATE)
                        continue
                    seen.add(key)
            yield row, record


def _zero_counts() -> dict[str, int]:
    return {"phones_normalised": 0, "phones_blocked": 0, INVALID_PHONE: 0, DO_NOT_CALL: 0, DUPLICATE: 0}


def _compact(raw: str) -> str:
    """``raw`` without spaces, dots, dashes and parentheses when it holds nothing else but digits
    (and a leading ``+``); else ``raw`` itself.

    phonenumbers ignores that punctuation but pays for it per character: parsing the compact
    form is 20-30% faster, gives the same result (checked over 60,000 formatted numbers of 13
    regions) and lets the parse cache match one number written several ways.
    """
    if not raw.isascii():
        return raw
    compact = raw.encode().translate(None, _PUNCTUATION_NO_PLUS)
    if compact.isdigit() or (compact[:1] == b"+" and compact[1:].isdigit()):
        return compact.decode()
    return raw


def _digits_key(value: str) -> int | None:
    """The phone's digits as an int ("1" in front keeps leading zeros apart), None if it has none.

    Only ASCII digits count. More than 18 digits (no phone number has that many) are hashed.
    """
    digits = value.encode("utf-8", "ignore").translate(None, _PUNCTUATION)
    if not digits.isdigit():  # bytes.isdigit() is ASCII only
        digits = _NON_DIGITS.sub(b"", digits)
        if not digits:
            return None
    if len(digits) > _EXACT_DIGITS:
        return _hash_key(digits)
    return int(b"1" + digits)


def _id_key(value: str) -> int | None:
    """A customer_id's key: exact for up to 18 ASCII digits (most ids), else hashed; None if blank."""
    value = value.strip()
    if value.isdigit() and value.isascii() and len(value) <= _EXACT_DIGITS:
        return int("1" + value)
    return _hash_key(value.encode()) if value else None


def _hash_key(data: bytes) -> int:
    """The 8-byte BLAKE2b digest of ``data`` as an int, above 2**64 so it never equals an exact key."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little") | _HASHED


def _invalid_phone(field: str, reason: str, row: int) -> InvalidRecordError:
    exc = InvalidRecordError(field, reason, row)
    exc.code = INVALID_PHONE  # type: ignore[attr-defined]
    return exc


def _parse_region(value: Any) -> str | None:
    if value is None or value == "":
        return None
    accepted = (
        "use an ISO 3166-1 alpha-2 country code, e.g. 'CO', 'MX', 'ES' or 'AR' "
        "(or None to send phones as given)"
    )
    if not isinstance(value, str) or not _REGION.fullmatch(value):
        raise WolkvoxValidationError("default_region", f"{value!r} is not accepted; {accepted}")
    try:
        import phonenumbers
    except ImportError:
        raise WolkvoxValidationError(
            "default_region", f"phone normalisation needs the phonenumbers package: {_INSTALL_HINT}"
        ) from None
    region = value.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise WolkvoxValidationError(
            "default_region", f"{value!r} is not a region phonenumbers knows; {accepted}"
        )
    return region


def _parse_dial_prefix(value: Any, region: str | None) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not _PREFIX.fullmatch(value):
        raise WolkvoxValidationError(
            "dial_prefix", f"{value!r} is not accepted; use up to 10 digits (0-9) as text, e.g. '9', or ''"
        )
    if value and region is None:
        raise WolkvoxValidationError(
            "dial_prefix",
            "is only put before normalised phones; set default_region too "
            "(without it phones are sent as given)",
        )
    return value


def _make_parser(region: str, prefix: str) -> Callable[[str], _Parsed]:
    """A function from a phone as written to (value to send, key) or the reason it is invalid."""
    import phonenumbers
    from phonenumbers import NumberParseException, ValidationResult

    parse = phonenumbers.parse
    is_valid = phonenumbers.is_valid_number
    significant = phonenumbers.national_significant_number
    home_code = phonenumbers.country_code_for_region(region)
    parse_reasons = {
        NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        NumberParseException.NOT_A_NUMBER: "not a phone number",
        NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
        NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
        NumberParseException.TOO_LONG: "too long to be a phone number",
    }
    length_reasons = {
        ValidationResult.TOO_SHORT: "too short",
        ValidationResult.TOO_LONG: "too long",
        ValidationResult.INVALID_LENGTH: "wrong length",
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without its area code, not valid",
    }

    def where(number: Any) -> str:
        code = number.country_code
        if code == home_code:
            return f"region {region}"
        regions = phonenumbers.region_codes_for_country_code(code)
        return f"region {regions[0]}" if len(regions) == 1 and regions[0] != "001" else f"country code {code}"

    def normalise(raw: str) -> _Parsed:
        try:
            number = parse(raw, region)
        except NumberParseException as exc:
            return parse_reasons.get(exc.error_type, "not a phone number")
        if is_valid(number):
            digits = f"{number.country_code}{significant(number)}"
            return prefix + digits, int("1" + digits)
        possible = phonenumbers.is_possible_number_with_reason(number)
        if possible == ValidationResult.INVALID_COUNTRY_CODE:
            return "unknown country code"
        return f"{length_reasons.get(possible, 'not a valid phone number')} for {where(number)}"

    return normalise


__all__ = [
    "DEDUPE_KEYS",
    "DNC_ACTIONS",
    "DO_NOT_CALL",
    "DUPLICATE",
    "HYGIENE_PHONE_FIELDS",
    "INVALID_PHONE",
    "Dropped",
    "Hygiene",
]
