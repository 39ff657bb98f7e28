"""The Wolkvox v2 API client: plain Python, no Airflow import."""

from __future__ import annotations

from airflow_provider_wolkvox.client.client import (
    DEFAULT_TIMEOUT,
    UploadResult,
    WolkvoxClient,
    resolve_server,
)
from airflow_provider_wolkvox.client.errors import (
    WolkvoxAmbiguousResultError,
    WolkvoxAPIError,
    WolkvoxAuthError,
    WolkvoxBadRequestError,
    WolkvoxConcurrencyLimitError,
    WolkvoxConnectionError,
    WolkvoxError,
    WolkvoxInvalidResponseError,
    WolkvoxMaintenanceError,
    WolkvoxNotFoundError,
    WolkvoxQuotaExceededError,
    WolkvoxRateLimitError,
    WolkvoxRedirectError,
    WolkvoxServerError,
    WolkvoxThrottledError,
    WolkvoxTimeoutError,
    WolkvoxValidationError,
)
from airflow_provider_wolkvox.client.models import Campaign, CampaignSpec, CampaignType, TokenInfo
from airflow_provider_wolkvox.client.retry import CallKind, RetrySettings

__all__ = [
    "DEFAULT_TIMEOUT",
    "CallKind",
    "Campaign",
    "CampaignSpec",
    "CampaignType",
    "RetrySettings",
    "TokenInfo",
    "UploadResult",
    "WolkvoxAPIError",
    "WolkvoxAmbiguousResultError",
    "WolkvoxAuthError",
    "WolkvoxBadRequestError",
    "WolkvoxClient",
    "WolkvoxConcurrencyLimitError",
    "WolkvoxConnectionError",
    "WolkvoxError",
    "WolkvoxInvalidResponseError",
    "WolkvoxMaintenanceError",
    "WolkvoxNotFoundError",
    "WolkvoxQuotaExceededError",
    "WolkvoxRateLimitError",
    "WolkvoxRedirectError",
    "WolkvoxServerError",
    "WolkvoxThrottledError",
    "WolkvoxTimeoutError",
    "WolkvoxValidationError",
    "resolve_server",
]
