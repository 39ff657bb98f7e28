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
    :param enable_edition: whether agents may edit record data: ``True``/``False`` or ``"yes"``/``"no"``
        (templated).
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

    def execute(self, context: Context) -> str:
        from airflow_provider_wolkvox.client.models import CampaignSpec

        with fail_fast_on_permanent_errors():
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
            campaign = self.hook.create_campaign(spec)
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
