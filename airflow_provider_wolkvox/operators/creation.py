"""Creating a campaign exactly once, across HTTP retries, task retries and lost answers.

Wolkvox has no idempotency key and allows duplicate campaign names, so the operator keeps its own
record: before sending, it notes which campaigns of this name and type already exist; after
success, the new id. Both live in the task state store (Airflow 3.3), which survives task
retries. A retry that finds an id reuses it; one that finds a pending creation looks in the
campaign list for a campaign that was not there before, and only sends again if there is none.

Before Airflow 3.3 there is no durable place for that record: XCom is cleared at the start of
every try, a Variable would be global, visible and left behind, and the campaign itself has no
field of ours. So a retry (try_number > 1) that finds a campaign of this name and type cannot
prove whose it is, and fails with the ids and the user's options instead of guessing; only
``if_exists="reuse"``, which takes an existing campaign anyway, goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow_provider_wolkvox._compat import AirflowFailException
from airflow_provider_wolkvox.client import (
    Campaign,
    CampaignSpec,
    WolkvoxAmbiguousResultError,
    WolkvoxClient,
    WolkvoxError,
    WolkvoxNotFoundError,
)
from airflow_provider_wolkvox.client.errors import WolkvoxResumableError
from airflow_provider_wolkvox.client.models import parse_choice

#: Key in the task state store.
STATE_KEY = "wolkvox_create_campaign"
IF_EXISTS = ("fail", "reuse", "create")
#: Sends of create_campaign in one try: the first, and one more after the campaign list showed
#: that an ambiguous first attempt created nothing.
MAX_SENDS = 2


def parse_if_exists(value: Any) -> str:
    return parse_choice(value, "if_exists", IF_EXISTS)


class CampaignCreation:
    """One CreateCampaignOperator try: returns ``(campaign, created_now)``."""

    def __init__(
        self,
        client: WolkvoxClient,
        spec: CampaignSpec,
        *,
        if_exists: str,
        store: Any,
        try_number: int,
        log: logging.Logger | Any,
    ) -> None:
        self.client = client
        self.spec = spec
        self.if_exists = if_exists
        self.store = store
        self.try_number = try_number
        self.log = log
        self.label = f"{spec.type_campaign.value} campaign {spec.campaign_name!r}"

    def run(self) -> tuple[Campaign, bool]:
        saved = self._saved()
        if saved.get("campaign_id"):
            campaign = self._still_there(str(saved["campaign_id"]))
            if campaign is not None:
                self.log.info("Reusing %s %s created by an earlier try", self.label, campaign.campaign_id)
                return campaign, False
        matching = self._matching()
        existing = {c.campaign_id for c in matching}
        if saved.get("pending"):
            existing = {str(cid) for cid in saved.get("existing", [])}
            adopted = self._adopt_new(matching, existing)
            if adopted is not None:
                return adopted, False
        elif matching:
            if self.store is None and self.try_number > 1 and self.if_exists != "reuse":
                # Without a state store (Airflow before 3.3) an earlier try leaves no record of
                # what existed before it: a same-name campaign may be that try's or an older one.
                # Adopting could return someone else's campaign; creating could make a duplicate.
                raise self._unprovable(matching)
            chosen = self._apply_if_exists(matching)
            if chosen is not None:
                return chosen, False
        return self._create(existing), True

    # ------------------------------------------------------------------------------ steps

    def _create(self, existing: set[str]) -> Campaign:
        self._save({"pending": True, "existing": sorted(existing)})
        lost: WolkvoxAmbiguousResultError | None = None
        for _ in range(MAX_SENDS):
            try:
                return self._remember(self.client.create_campaign(self.spec))
            except WolkvoxAmbiguousResultError as exc:
                lost = exc
                self.log.warning("%s Looking for it in the campaign list before sending again.", exc)
            try:
                adopted = self._adopt_new(self._matching(), existing)
            except WolkvoxError as lookup_error:
                raise self._unresolved(
                    f"the campaign list could not be read either ({lookup_error})"
                ) from lost
            if adopted is not None:
                return adopted
        raise self._unresolved("it is still not in the campaign list") from lost

    def _adopt_new(self, matching: list[Campaign], existing: set[str]) -> Campaign | None:
        new = [c for c in matching if c.campaign_id not in existing]
        if len(new) > 1:
            raise self._several(new, "appeared since the first try")
        if new:
            self.log.info(
                "Found %s %s, created by a request whose answer was lost", self.label, new[0].campaign_id
            )
            return self._remember(new[0])
        return None

    def _apply_if_exists(self, matching: list[Campaign]) -> Campaign | None:
        ids = ", ".join(c.campaign_id for c in matching)
        if self.if_exists == "fail":
            raise AirflowFailException(
                f"A {self.label} already exists (id {ids}); nothing was created. "
                "Set if_exists='reuse' to use it or if_exists='create' to create another."
            )
        if self.if_exists == "reuse":
            if len(matching) > 1:
                raise self._several(matching, "exist; if_exists='reuse' cannot choose one")
            self.log.info("Reusing existing %s %s (if_exists='reuse')", self.label, matching[0].campaign_id)
            return self._remember(matching[0])
        return None

    def _still_there(self, campaign_id: str) -> Campaign | None:
        try:
            return self.client.get_campaign(campaign_id)
        except WolkvoxNotFoundError:
            self.log.warning(
                "Campaign %s from an earlier try no longer exists; creating it again", campaign_id
            )
            return None

    def _matching(self) -> list[Campaign]:
        return self.client.find_campaigns(self.spec.campaign_name, self.spec.type_campaign)

    # ----------------------------------------------------------------------------- memory

    def _saved(self) -> dict[str, Any]:
        value = self.store.get(STATE_KEY) if self.store is not None else None
        return value if isinstance(value, dict) else {}

    def _save(self, value: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.set(STATE_KEY, value)

    def _remember(self, campaign: Campaign) -> Campaign:
        self._save({"campaign_id": campaign.campaign_id, "campaign_name": campaign.campaign_name})
        return campaign

    # ----------------------------------------------------------------------------- errors

    def _several(self, campaigns: list[Campaign], what: str) -> AirflowFailException:
        ids = ", ".join(c.campaign_id for c in campaigns)
        return AirflowFailException(
            f"{len(campaigns)} campaigns named {self.spec.campaign_name!r} ({self.spec.type_campaign.value}) "
            f"{what}: ids {ids}. Not creating another; check in wolkvox Manager which one to keep."
        )

    def _unprovable(self, campaigns: list[Campaign]) -> AirflowFailException:
        ids = ", ".join(c.campaign_id for c in campaigns)
        if len(campaigns) == 1:
            found = f"A {self.label} exists (id {ids})"
            unknown = "whether an earlier try created it or it existed before"
        else:
            found = (
                f"{len(campaigns)} campaigns named {self.spec.campaign_name!r} "
                f"({self.spec.type_campaign.value}) exist (ids {ids})"
            )
            unknown = "whether an earlier try created one of them or they all existed before"
        return AirflowFailException(
            f"{found} and this is try {self.try_number} of the task. Without a task state store "
            f"(Airflow 3.3+) the task cannot tell {unknown}, so with if_exists={self.if_exists!r} "
            "it neither takes one nor creates another; nothing was created. To use it, set "
            "if_exists='reuse' and clear the task; for a new campaign, rename it (campaign_name) "
            "or delete the old one in wolkvox Manager, then clear the task."
        )

    def _unresolved(self, why: str) -> WolkvoxResumableError:
        # Retryable, also for the 3.3+ retry policy (which would otherwise see the lost answer
        # behind it and fail the task): the next try checks the campaign list before sending.
        return WolkvoxResumableError(
            f"Could not confirm whether the {self.label} was created: the answer was lost and {why}. "
            "The next try looks for it in the campaign list before sending the request again."
        )
