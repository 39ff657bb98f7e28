"""WolkvoxCampaignSensor: wait until a campaign is started/stopped or nearly out of records."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox._compat import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)
from airflow_provider_wolkvox.operators.base import DEFAULT_CONN_ID, fail_fast_on_permanent_errors
from airflow_provider_wolkvox.retry_policy import with_default_retry_policy

if TYPE_CHECKING:
    from airflow_provider_wolkvox._compat import Context
    from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

#: Wolkvox advises reading its information APIs at most every 5 minutes; each read costs quota.
DEFAULT_POKE_INTERVAL = 300.0


class WolkvoxCampaignSensor(BaseSensorOperator):
    """Wait until a Wolkvox campaign reaches a status and/or has at most N records left.

    Each poke reads the campaign list (``information.php?api=campaigns``, one call of the daily
    quota). A campaign that is no longer in the list fails the task at once. Returns (XCom) the
    campaign's ``campaign_id``, ``campaign_name``, ``type_campaign``, ``status`` and ``records``.

    With ``deferrable=True`` the sensor pokes once and, if the condition is not met yet, hands the
    waiting to :class:`~airflow_provider_wolkvox.triggers.campaign.WolkvoxCampaignTrigger`, freeing
    the worker slot; ``timeout`` still applies and ``soft_fail`` turns a timeout into a skip.
    Deferred waits are the recommended mode: in poke or reschedule mode every sensor reads the list
    on its own (12 calls an hour at the default interval), while the triggers on one connection
    share their reads. Each poke logs the calls it cost. On Airflow 3.3+ a
    :class:`~airflow_provider_wolkvox.retry_policy.WolkvoxRetryPolicy` decides how a failed try is
    retried, unless ``retry_policy`` is given (``None`` included).

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param target_status: ``Started`` or ``Stopped``, any case (templated).
    :param max_records: done when at most this many records are left (templated). Give
        ``target_status``, ``max_records`` or both (both must hold).
    :param poke_interval: seconds (or a timedelta) between polls; 300 by default, as Wolkvox
        advises.
    :param deferrable: wait in the triggerer instead of a worker; defaults to the
        ``[operators] default_deferrable`` setting.
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    template_fields: Sequence[str] = ("campaign_id", "target_status", "max_records", "wolkvox_conn_id")
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        campaign_id: str | int,
        target_status: str | None = None,
        max_records: int | str | None = None,
        poke_interval: float | timedelta = DEFAULT_POKE_INTERVAL,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **with_default_retry_policy(kwargs))
        self.campaign_id = campaign_id
        self.target_status = target_status
        self.max_records = max_records
        self.deferrable = deferrable
        self.wolkvox_conn_id = wolkvox_conn_id

    @cached_property
    def hook(self) -> WolkvoxHook:
        from airflow_provider_wolkvox.hooks.wolkvox import WolkvoxHook

        return WolkvoxHook(wolkvox_conn_id=self.wolkvox_conn_id)

    def _condition(self) -> tuple[str, str | None, int | None]:
        """The rendered arguments, validated: campaign id, target status, max records."""
        from airflow_provider_wolkvox.client.errors import WolkvoxValidationError
        from airflow_provider_wolkvox.client.models import parse_id, parse_max_records, parse_target_status

        with fail_fast_on_permanent_errors(self):
            campaign_id = parse_id(self.campaign_id, "campaign_id")
            status = parse_target_status(self.target_status)
            max_records = parse_max_records(self.max_records)
            if status is None and max_records is None:
                raise WolkvoxValidationError("target_status", "give target_status, max_records or both")
        return campaign_id, status, max_records

    def poke(self, context: Context) -> PokeReturnValue:
        from airflow_provider_wolkvox.triggers.campaign import campaign_condition, campaign_summary

        campaign_id, status, max_records = self._condition()
        hook = self.hook
        before = hook.api_calls
        try:
            with fail_fast_on_permanent_errors(self):
                campaign = hook.get_conn().get_campaign(campaign_id)
        finally:
            self.log.info("Wolkvox API calls in this poke: %s", hook.api_calls - before)
        reason = campaign_condition(campaign, status, max_records)
        if reason is None:
            self.log.info(
                "Campaign %s is %s with %s records; waiting", campaign_id, campaign.status, campaign.records
            )
            return PokeReturnValue(is_done=False)
        self.log.info("Campaign %s: %s", campaign_id, reason)
        return PokeReturnValue(is_done=True, xcom_value=campaign_summary(campaign))

    def execute(self, context: Context) -> Any:
        try:
            if not self.deferrable:
                return super().execute(context)
            first = self.poke(context)
            if first.is_done:
                return first.xcom_value
        finally:
            # Done, failed, rescheduled or about to defer: the worker's session is not needed now.
            hook = self.__dict__.get("hook")
            if hook is not None:
                hook.close()
        self._defer()

    def _defer(self) -> None:
        from airflow_provider_wolkvox.triggers.campaign import WolkvoxCampaignTrigger

        campaign_id, status, max_records = self._condition()
        timeout = float(self.timeout) if self.timeout is not None else None
        self.defer(
            trigger=WolkvoxCampaignTrigger(
                campaign_id=campaign_id,
                target_status=status,
                max_records=max_records,
                poll_interval=float(self.poke_interval),
                end_time=time.time() + timeout if timeout else None,
                wolkvox_conn_id=self.wolkvox_conn_id,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: return the campaign, or raise what the event says."""
        if not isinstance(event, dict) or "status" not in event:
            raise AirflowException(f"Wolkvox campaign trigger sent an unexpected event: {event!r}")
        status, message = event["status"], event.get("message", "")
        if status == "success":
            self.log.info("%s", message)
            return event.get("campaign")
        if status == "timeout":
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        if status == "error":
            if event.get("permanent"):
                raise AirflowFailException(message)
            raise AirflowException(message)
        raise AirflowException(f"Wolkvox campaign trigger sent an unknown status {status!r}: {event!r}")
