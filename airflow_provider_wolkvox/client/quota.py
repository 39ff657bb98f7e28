"""Quota: how much of the daily call quota a token has used and has left, read from token_info."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_wolkvox.client.models import TokenInfo, read_count


@dataclass(frozen=True)
class Quota:
    """A token's use of its daily call quota (Wolkvox: licences x 1,000 calls, shared by every token).

    Any field is None when token_info did not give it (or gave something that is not a count).

    :param limit: ``token_limit``, the calls this token may make in the period.
    :param used: ``token_use_today``, the calls this token made today (the token_info call included).
    :param remaining: ``available_consumption_options``; ``limit - used`` when Wolkvox omits it.
    :param operation_used: ``all_token_today``, the calls every token of the operation made today.
    """

    limit: int | None
    used: int | None
    remaining: int | None
    operation_used: int | None

    @classmethod
    def from_token_info(cls, info: TokenInfo) -> Quota:
        remaining = info.available
        if remaining is None and info.token_limit is not None and info.token_use_today is not None:
            remaining = max(0, info.token_limit - info.token_use_today)
        return cls(
            limit=info.token_limit,
            used=info.token_use_today,
            remaining=remaining,
            operation_used=read_count(info.raw.get("all_token_today")),
        )

    @property
    def fraction_used(self) -> float | None:
        """``used / limit`` (0.0-1.0 and beyond), or None without both or with a limit of 0."""
        if self.used is None or not self.limit:
            return None
        return self.used / self.limit

    def as_dict(self) -> dict[str, int | None]:
        """The four counts as a JSON-safe dict (for XCom)."""
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "operation_used": self.operation_used,
        }


__all__ = ["Quota"]
