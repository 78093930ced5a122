"""What the API answers when it issues a webhook signing secret (shown once, never again)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas import AccountOut
from outbound.signing import SIGNATURE_HEADER

_SECRET = (
    "The secret that signs this account's webhooks (HMAC-SHA256, header "
    f"`{SIGNATURE_HEADER}`). Shown only in the response that issues it: when a webhook URL is "
    "first set, and when it is rotated. Null when this request issued none."
)
_ENABLED = (
    "False when this server sends no webhooks at all (PLEDGE_WEBHOOKS_ENABLED=false): the URL "
    "is kept but not called."
)


class AccountWritten(AccountOut):
    """The account as stored, with the webhook secret if this request issued one."""

    webhook_secret: str | None = Field(None, description=_SECRET)
    webhooks_enabled: bool = Field(description=_ENABLED)


class WebhookSecret(BaseModel):
    """A new signing secret; the previous one stops working at once."""

    account_id: int
    webhook_url: str
    webhook_secret: str = Field(description=_SECRET)
    signature_header: str = Field(SIGNATURE_HEADER, description="Where the signature is sent")
    webhooks_enabled: bool = Field(description=_ENABLED)
