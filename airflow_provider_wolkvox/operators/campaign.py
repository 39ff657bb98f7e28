"""Operators that create and steer Wolkvox campaigns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_wolkvox.operators.base import (
    DEFAULT_CONN_ID,
    WolkvoxBaseOperator,
    fail_fast_on_permanent_errors,
)

if TYPE_CHECKING:
    import datetime

    from airflow_provider_wolkvox._compat import Context


class CreateCampaignOperator(WolkvoxBaseOperator):
    """Create a Wolkvox preview or predictive campaign and return its id.

    The id (a string) becomes the XCom ``return_value``, so downstream tasks can use
    ``create.output`` or ``{{ ti.xcom_pull(task_ids='create') }}``; the campaign name is pushed
    under the XCom key ``campaign_name``. Every value is validated after templates are rendered and
    before any request is sent; an error names the field and what is accepted.

    Safe under task retries: the created id is remembered across tries (Airflow 3.3's task state
    store) and reused instead of creating a second campaign; after a failure that leaves the
    outcome unknown (read timeout, dropped connection, 502/504) the operator looks for the campaign
    in the campaign list before sending the request again. Before Airflow 3.3 (no task state
    store) a retry that finds a campaign of the same name and type cannot tell whether an earlier
    try created it, so it fails naming it (unless ``if_exists="reuse"``) instead of guessing.

    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param campaign_name: the campaign's name, not blank (templated).
    :param skill_id: the numeric id of the skill that serves the campaign, int or digit string (templated).
    :param campaign_description: optional description (templated).
    :param start_time: predictive only, with ``end_time``: start of the daily dialing window as
        ``HHMMSS``, ``HH:MM:SS``, ``HH:MM`` or a ``datetime.time``; sent as ``HHMMSS`` (templated).
    :param end_time: end of the dialing window, same formats (templated).
    :param opts: up to 12 titles of extra record columns: a list (``opt1`` ... ``optN``) or a dict
        keyed ``opt1`` ... ``opt12`` (templated).
    :param amd: predictive only: answering-machine detection country, one of ARG CHL COL CRI ECU ESP
        GTM HND ITA MEX NIC PAN PER, any case (templated).
    :param enable_edition: whether agents may edit record data: ``True``/``False``, ``"true"``/``"false"``,
        ``"yes"``/``"no"`` or ``1``/``0``, any case, so ``"{{ params.edit }}"`` works (templated).
    :param if_exists: what to do when a campaign of this name and type already exists before the
        first try: ``"fail"`` (default: fail the task, nothing created), ``"reuse"`` (return the
        existing campaign's id; fails if there are several) or ``"create"`` (create another one,
        Wolkvox allows duplicate names) (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    template_fields: Sequence[str] = (
        "type_campaign",
        "campaign_name",
        "campaign_description",
        "skill_id",
        "start_time",
        "end_time",
        "opts",
        "amd",
        "enable_edition",
        "if_exists",
        "wolkvox_conn_id",
    )
    template_fields_renderers = {"opts": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        type_campaign: str,
        campaign_name: str,
        skill_id: int | str,
        campaign_description: str | None = None,
        start_time: str | datetime.time | None = None,
        end_time: str | datetime.time | None = None,
        opts: Sequence[str] | Mapping[str, str] | None = None,
        amd: str | None = None,
        enable_edition: bool | str = False,
        if_exists: str = "fail",
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(wolkvox_conn_id=wolkvox_conn_id, **kwargs)
        self.type_campaign = type_campaign
        self.campaign_name = campaign_name
        self.skill_id = skill_id
        self.campaign_description = campaign_description
        self.start_time = start_time
        self.end_time = end_time
        self.opts = opts
        self.amd = amd
        self.enable_edition = enable_edition
        self.if_exists = if_exists

    def execute(self, context: Context) -> str:
        from airflow_provider_wolkvox._compat import task_state_store
        from airflow_provider_wolkvox.client.models import CampaignSpec
        from airflow_provider_wolkvox.operators.creation import CampaignCreation, parse_if_exists

        with fail_fast_on_permanent_errors(self):
            # Validated here, after rendering, because templated values only exist now.
            spec = CampaignSpec.build(
                type_campaign=self.type_campaign,
                campaign_name=self.campaign_name,
                skill_id=self.skill_id,
                campaign_description=self.campaign_description,
                start_time=self.start_time,
                end_time=self.end_time,
                opts=self.opts,
                amd=self.amd,
                enable_edition=self.enable_edition,
            )
            creation = CampaignCreation(
                self.hook.client,
                spec,
                if_exists=parse_if_exists(self.if_exists),
                store=task_state_store(context),
                try_number=_try_number(context),
                log=self.log,
            )
            campaign, created = creation.run()
        if created:
            self.log.info(
                "Created %s campaign %s %r",
                spec.type_campaign.value,
                campaign.campaign_id,
                campaign.campaign_name,
            )
        ti = context.get("ti") if isinstance(context, Mapping) else None
        if ti is not None:
            ti.xcom_push(key="campaign_name", value=campaign.campaign_name)
        return campaign.campaign_id


def _try_number(context: Any) -> int:
    ti = context.get("ti") if isinstance(context, Mapping) else None
    number = getattr(ti, "try_number", 1)
    return number if isinstance(number, int) else 1


class _CampaignActionOperator(WolkvoxBaseOperator):
    """One call on an existing campaign; subclasses say which. Returns the campaign id.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    template_fields: Sequence[str] = ("campaign_id", "type_campaign", "wolkvox_conn_id")
    ui_color = "#e8f4fd"
    #: past tense for the log line, e.g. "Started"
    done = ""

    def __init__(
        self,
        *,
        campaign_id: str | int,
        type_campaign: str,
        wolkvox_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(wolkvox_conn_id=wolkvox_conn_id, **kwargs)
        self.campaign_id = campaign_id
        self.type_campaign = type_campaign

    def execute(self, context: Context) -> str:
        from airflow_provider_wolkvox.client.models import CampaignType, parse_id

        with fail_fast_on_permanent_errors(self):
            # Validated here, after rendering, and before any request.
            kind = CampaignType.parse(self.type_campaign)
            campaign_id = parse_id(self.campaign_id, "campaign_id")
            self.validate()
            message = self.act(kind.value, campaign_id)
        if message is not None:
            self.log.info("%s %s campaign %s: %s", self.done, kind.value, campaign_id, message)
        return campaign_id

    def validate(self) -> None:
        """Check the subclass's own arguments; raise WolkvoxValidationError naming the bad one."""

    def act(self, type_campaign: str, campaign_id: str) -> str | None:
        """Make the call and return the API message (None when a subclass logged already)."""
        raise NotImplementedError


class StartCampaignOperator(_CampaignActionOperator):
    """Start (resume) dialing a Wolkvox campaign; returns the campaign id.

    Starting a started campaign is harmless, so Airflow's retries are safe.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated); checked, not sent
        (the vendor's collection sends this call with ``campaign_id`` only).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    done = "Started"

    def act(self, type_campaign: str, campaign_id: str) -> str:
        return self.hook.get_conn().start_campaign(type_campaign, campaign_id)


class StopCampaignOperator(_CampaignActionOperator):
    """Stop (pause) dialing a Wolkvox campaign; returns the campaign id.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated); checked, not sent
        (the vendor's collection sends this call with ``campaign_id`` only).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    done = "Stopped"

    def act(self, type_campaign: str, campaign_id: str) -> str:
        return self.hook.get_conn().stop_campaign(type_campaign, campaign_id)


class SetCampaignSpeedOperator(_CampaignActionOperator):
    """Set the dialing speed of a Wolkvox campaign (0-100); returns the campaign id.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated); checked, not sent
        (the vendor's collection sends this call with ``campaign_id`` only).
    :param speed: a whole number from 0 to 100, int or digit string (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    template_fields: Sequence[str] = ("campaign_id", "type_campaign", "speed", "wolkvox_conn_id")
    done = "Changed the speed of"

    def __init__(self, *, speed: int | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.speed = speed

    def validate(self) -> None:
        from airflow_provider_wolkvox.client.models import parse_speed

        self._speed = parse_speed(self.speed)

    def act(self, type_campaign: str, campaign_id: str) -> str:
        message = self.hook.get_conn().set_speed(type_campaign, campaign_id, self._speed)
        return f"speed {self._speed}; {message}"


class ClearCampaignRecordsOperator(_CampaignActionOperator):
    """Delete the records of a Wolkvox campaign (all, or those with one result); returns the campaign id.

    Irreversible. Wolkvox documents this to empty a campaign before loading a new contact list
    into the same configuration.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param result: only delete records whose result is this value: ``no-answer``,
        ``answer-machine``, ``abandon``, ``busy``, ``congestion``, ``unknown``, ``failed``,
        ``do-not-call``, ``chanunavail`` or ``answer``; all records when omitted (templated).
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    template_fields: Sequence[str] = ("campaign_id", "type_campaign", "result", "wolkvox_conn_id")
    done = "Cleared"

    def __init__(self, *, result: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.result = result

    def validate(self) -> None:
        from airflow_provider_wolkvox.client.models import parse_record_result

        parse_record_result(self.result)

    def act(self, type_campaign: str, campaign_id: str) -> str:
        message = self.hook.get_conn().clear_campaign(type_campaign, campaign_id, result=self.result)
        which = f"records with result {self.result!r}" if self.result else "all records"
        return f"deleted {which}; {message}"


class DeleteCampaignOperator(_CampaignActionOperator):
    """Delete a Wolkvox campaign (irreversible); returns the campaign id.

    :param campaign_id: the campaign's id, typically ``create.output`` (templated).
    :param type_campaign: ``preview`` or ``predictive``, any case (templated).
    :param missing_ok: succeed when Wolkvox answers 404 (the campaign is already gone, e.g. a retry
        after a delete whose answer was lost); the default fails, since a 404 may also mean a
        wrong id. ``True``/``False`` or ``"true"``/``"false"``, ``"yes"``/``"no"``, ``1``/``0``.
    :param wolkvox_conn_id: the Wolkvox connection, ``wolkvox_default`` by default (templated).
    """

    done = "Deleted"

    def __init__(self, *, missing_ok: bool | str = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.missing_ok = missing_ok

    def validate(self) -> None:
        from airflow_provider_wolkvox.client.models import parse_bool

        # Parsed, not tested for truth: the text "false" is truthy.
        self._missing_ok = parse_bool(self.missing_ok, "missing_ok")

    def act(self, type_campaign: str, campaign_id: str) -> str | None:
        from airflow_provider_wolkvox.client.errors import WolkvoxNotFoundError

        try:
            return self.hook.get_conn().delete_campaign(type_campaign, campaign_id)
        except WolkvoxNotFoundError:
            if not self._missing_ok:
                raise
            self.log.warning("%s campaign %s was not found; nothing to delete", type_campaign, campaign_id)
            return None
