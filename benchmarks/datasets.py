"""Synthetic contact data for the benchmarks: plain CSVs, a hygiene CSV and its do-not-call list.

Everything is deterministic (no randomness), so two runs upload the same bytes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

#: Colombian mobile prefixes that ``phonenumbers`` accepts as valid (3xx + 7 digits).
MOBILE_PREFIXES = (300, 301, 302, 303, 304, 305, *range(310, 325), 350, 351)
#: Every HYGIENE_DUPLICATE_EVERY-th row repeats the phone of a row 25 rows earlier (another format).
HYGIENE_DUPLICATE_EVERY = 50
#: Rows whose phone is also on the do-not-call list: one in HYGIENE_BLOCKED_EVERY.
HYGIENE_BLOCKED_EVERY = 100
#: Rows with a second, fixed-line phone (Bogotá, 601 + 7 digits): HYGIENE_TEL2_IN_10 in 10.
HYGIENE_TEL2_IN_10 = 3


def write_csv(path: Path, records: int) -> None:
    """The upload figures' CSV: name, id, one phone in Wolkvox's form, an option, an e-mail."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_name", "customer_id", "tel1", "opt1", "email"])
        for i in range(records):
            writer.writerow([f"Customer {i}", f"C{i:09d}", f"573{i:09d}", "Plan A", f"c{i}@example.com"])


def _mobile(i: int) -> tuple[int, int]:
    """A distinct valid Colombian mobile for each i: (prefix, 7-digit subscriber number)."""
    return MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)], 1_000_000 + i // len(MOBILE_PREFIXES)


def _written(prefix: int, subscriber: int, style: int) -> str:
    """The same number as people write it: five styles a contact list mixes."""
    s = f"{subscriber:07d}"
    return (
        f"{prefix}{s}",  # 3001234567
        f"{prefix} {s[:3]} {s[3:]}",  # 300 123 4567
        f"+57 {prefix} {s}",  # +57 300 1234567
        f"({prefix}) {s[:3]}-{s[3:]}",  # (300) 123-4567
        f"57{prefix}{s}",  # 573001234567, Wolkvox's own form
    )[style % 5]


@dataclass
class HygieneData:
    records: int
    duplicates: int
    blocked: int
    dnc_numbers: int

    @property
    def expected_accepted(self) -> int:
        return self.records - self.duplicates - self.blocked


def write_hygiene_data(csv_path: Path, dnc_path: Path, records: int, dnc_numbers: int) -> HygieneData:
    """A contact CSV whose phones are written in mixed national and international styles, with
    duplicates (by phone) and contacts on the do-not-call list, and that list (one number a line,
    header ``phone``, mixed styles): its own numbers plus numbers of nobody in the file."""
    duplicates = blocked = 0
    listed: list[str] = []
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_name", "customer_id", "tel1", "tel2", "opt1", "email"])
        for i in range(records):
            if i % HYGIENE_DUPLICATE_EVERY == HYGIENE_DUPLICATE_EVERY - 1:
                prefix, subscriber = _mobile(i - 25)  # a row 25 earlier, never a blocked one
                duplicates += 1
            else:
                prefix, subscriber = _mobile(i)
            if i % HYGIENE_BLOCKED_EVERY == 7:
                blocked += 1
                listed.append(_written(prefix, subscriber, i // HYGIENE_BLOCKED_EVERY + 2))
            tel2 = f"601 {2_000_000 + i % 5_000_000:07d}" if i % 10 < HYGIENE_TEL2_IN_10 else ""
            writer.writerow(
                [
                    f"Customer {i}",
                    f"C{i:09d}",
                    _written(prefix, subscriber, i),
                    tel2,
                    "Plan A",
                    f"c{i}@ex.com",
                ]
            )
    with open(dnc_path, "w", encoding="utf-8") as handle:
        handle.write("phone\n")
        for number in listed[:dnc_numbers]:
            handle.write(number + "\n")
        for j in range(max(0, dnc_numbers - len(listed))):
            prefix = MOBILE_PREFIXES[j % len(MOBILE_PREFIXES)]
            handle.write(_written(prefix, 8_000_000 + j // len(MOBILE_PREFIXES), j) + "\n")  # nobody's
    return HygieneData(records, duplicates, min(blocked, dnc_numbers), dnc_numbers)
