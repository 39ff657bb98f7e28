"""WolkvoxCampaignTrigger: the deferrable twin of WolkvoxCampaignSensor (polls with GETs only)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

# Imported here, not in run(): the triggerer imports this module when it loads the trigger, while
# an import in run() would stall its event loop (~0.1 s) the first time a trigger runs. No DAG
# file imports this module (the sensor does so only in execute()).
from airflow_provider_wolkvox._compat import AirflowNotFoundException, BaseTrigger, TriggerEvent
from airflow_provider_wolkvox.client import campaign_poller
from airflow_provider_wolkvox.client.client import pick_campaign
from airflow_provider_wolkvox.client.errors import WolkvoxError
from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

if TYPE_CHECKING:
    from airflow_provider_wolkvox.client import Campaign


def campaign_condition(campaign: Campaign, target_status: str | None, max_records: int | None) -> str | None:
    """Why the campaign meets the condition (a log-ready text), or None while it does not.

    Both parts must hold when both are given. A campaign whose record count Wolkvox does not
    report never meets a ``max_records`` condition.
    """
    reasons = []
    if target_status is not None:
        if (campaign.status or "").lower() != target_status.lower():
            return None
        reasons.append(f"status is {campaign.status}")
    if max_records is not None:
        if campaign.records is None or campaign.records > max_records:
            return None
        reasons.append(f"{campaign.records} records left (at most {max_records} wanted)")
    return " and ".join(reasons)


def campaign_summary(campaign: Campaign) -> dict[str, Any]:
    """What the sensor returns as XCom: plain JSON."""
    return {
        "campaign_id": campaign.campaign_id,
        "campaign_name": campaign.campaign_name,
        "type_campaign": campaign.type_campaign,
        "status": campaign.status,
        "records": campaign.records,
    }


class WolkvoxCampaignTrigger(BaseTrigger):
    """Poll the Wolkvox campaign list until a campaign reaches a state, then fire one event.

    The event is ``{"status": "success" | "error" | "timeout", "message", "campaign_id", ...}``;
    a success carries ``campaign`` (see :func:`campaign_summary`), an error ``permanent`` (True
    when retrying cannot help, e.g. the campaign was deleted, the token is invalid, or the
    connection is not defined on the triggerer, has no token or names a refused host). Transient
    failures (timeouts, 5xx, throttling) are logged and polling goes on until ``end_time``.

    Every trigger in one triggerer that uses the same server and token shares one campaign-list
    read per interval (:mod:`airflow_provider_wolkvox.client.campaign_poller`): reads on that
    connection are at least the shortest ``poll_interval`` of its waiting triggers apart, and each
    trigger is checked by the first read at or after it is due. The read is async (httpx) and
    runs in the poller's own task, so cancelling one trigger never disturbs the others.

    :param campaign_id: the campaign's id.
    :param target_status: ``Started`` or ``Stopped``, or None.
    :param max_records: wait until at most this many records are left, or None.
    :param poll_interval: seconds between two checks (a shared read costs one API call of the daily quota).
    :param end_time: give up at this UNIX time (float seconds), or never when None.
    :param wolkvox_conn_id: the Wolkvox connection.
    """

    def __init__(
        self,
        *,
        campaign_id: str,
        target_status: str | None = None,
        max_records: int | None = None,
        poll_interval: float = 300.0,
        end_time: float | None = None,
        wolkvox_conn_id: str = "wolkvox_default",
    ) -> None:
        super().__init__()
        self.campaign_id = str(campaign_id)
        self.target_status = target_status
        self.max_records = max_records
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)
        self.wolkvox_conn_id = wolkvox_conn_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        # Plain JSON only: since Airflow 3.2 trigger kwargs go through airflow.sdk.serde.
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "campaign_id": self.campaign_id,
                "target_status": self.target_status,
                "max_records": self.max_records,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "wolkvox_conn_id": self.wolkvox_conn_id,
            },
        )

    def _event(self, status: str, message: str, **extra: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "message": message, "campaign_id": self.campaign_id, **extra})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            settings = await WolkvoxHook(wolkvox_conn_id=self.wolkvox_conn_id).aget_client_settings()
        except Exception as exc:
            # A connection that is not defined, has no token or names a refused host will not
            # repair itself on a task retry; anything else (a secrets backend that is down) may.
            permanent = isinstance(exc, AirflowNotFoundException) or (
                isinstance(exc, WolkvoxError) and exc.permanent
            )
            yield self._event(
                "error",
                f"Wolkvox connection {self.wolkvox_conn_id!r} cannot be used on the triggerer: {exc}",
                permanent=permanent,
            )
            return
        # Every trigger of this event loop on the same server and token shares one read per interval.
        subscription = campaign_poller.shared_registry().subscribe(settings, self.poll_interval)
        last_seen: tuple[str | None, int | None] | None = None
        try:
            while True:
                remaining = None if self.end_time is None else self.end_time - time.time()
                try:
                    campaigns = await subscription.next_list(timeout=remaining)
                    if campaigns is None:
                        yield self._event(
                            "timeout", f"Campaign {self.campaign_id} did not meet the condition in time"
                        )
                        return
                    campaign = pick_campaign(campaigns, self.campaign_id)
                except WolkvoxError as exc:
                    if exc.permanent:
                        yield self._event("error", str(exc), permanent=True)
                        return
                    self.log.warning("Polling campaign %s failed, will poll again: %s", self.campaign_id, exc)
                    continue
                reason = campaign_condition(campaign, self.target_status, self.max_records)
                if reason is not None:
                    yield self._event(
                        "success",
                        f"Campaign {self.campaign_id}: {reason}",
                        campaign=campaign_summary(campaign),
                    )
                    return
                # Logged when it changes: hundreds of waits each logging every read would hold the
                # triggerer's event loop for the time of hundreds of log writes.
                seen = (campaign.status, campaign.records)
                log = self.log.info if seen != last_seen else self.log.debug
                log("Campaign %s is %s with %s records; waiting", self.campaign_id, *seen)
                last_seen = seen
        except Exception as exc:
            yield self._event("error", f"{type(exc).__name__}: {exc}", permanent=False)
        finally:
            # Event, timeout or cancellation: the shared poller stops with its last waiter.
            subscription.close()
