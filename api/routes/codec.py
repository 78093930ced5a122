"""The codec endpoint: lets an operator read encrypted workflow payloads in Temporal's UI or CLI.

Temporal's remote codec protocol: `POST <endpoint>/decode` and `<endpoint>/encode` with a
body `{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}` (payloads
in protobuf JSON) and the same shape back. Decoded payloads are confidential (complainants'
details), so the endpoint needs an admin API key (`temporal --codec-endpoint <api>/codec
--codec-auth "Bearer <key>"`), or, for the UI in a browser, which cannot send one, the
operator token in the path: `<api>/codec/ui/<PLEDGE_CODEC_TOKEN>` (401 when it is wrong or unset).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from api.auth import AdminPrincipal
from api.deps import AppSettings
from api.errors import InvalidInput, ServiceUnavailable, Unauthorized, responses
from settings import Settings
from workflows.payload_codec import PayloadKeyError

router = APIRouter(tags=["codec"])


class JsonPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="base64 values")
    data: str = Field("", description="base64")


class PayloadsBody(BaseModel):
    payloads: list[JsonPayload]


def _codec(request: Request) -> PayloadCodec:
    codec = request.app.state.temporal.data_converter.payload_codec
    if codec is None:  # connect() always sets one; a codec-less client has nothing to do here
        raise ServiceUnavailable("This API has no payload codec configured")
    return codec


async def _run(request: Request, body: PayloadsBody, direction: str) -> dict[str, Any]:
    try:
        payloads = json_format.ParseDict(body.model_dump(), Payloads())
    except json_format.ParseError as exc:
        raise InvalidInput.for_field("body.payloads", f"not valid payloads ({exc})") from None
    codec = _codec(request)
    try:
        if direction == "decode":
            done = await codec.decode(list(payloads.payloads))
        else:
            done = await codec.encode(list(payloads.payloads))
    except PayloadKeyError as exc:
        raise InvalidInput.for_field("body.payloads", str(exc)) from None
    return json_format.MessageToDict(Payloads(payloads=done))


def _allow_origin(request: Request, response: Response, settings: Settings) -> None:
    """CORS for the Temporal UI's origin only: it calls this endpoint from the browser."""
    origin = request.headers.get("origin", "").rstrip("/")
    if origin and origin in settings.codec_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Content-Type, X-Namespace, Authorization"
        )
        response.headers["Access-Control-Max-Age"] = "600"
        response.headers["Vary"] = "Origin"


def _operator(token: str, settings: AppSettings) -> None:
    """The operator token in the path, checked before the body is read (as keys are)."""
    expected = settings.codec_token
    if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
        # The same answer for "off" and "wrong": the route does not confirm a guess.
        raise Unauthorized("The codec token is not recognised (PLEDGE_CODEC_TOKEN)")


Operator = Annotated[None, Depends(_operator)]


@router.post("/codec/decode", responses=responses(403, 503))
async def decode(
    body: PayloadsBody, request: Request, response: Response, settings: AppSettings,
    _: AdminPrincipal,
) -> dict[str, Any]:  # fmt: skip
    """Decrypt payloads for an operator (admin key)."""
    _allow_origin(request, response, settings)
    return await _run(request, body, "decode")


@router.post("/codec/encode", responses=responses(403, 503))
async def encode(
    body: PayloadsBody, request: Request, response: Response, settings: AppSettings,
    _: AdminPrincipal,
) -> dict[str, Any]:  # fmt: skip
    """Encrypt payloads an operator typed (admin key), e.g. a signal sent from the UI."""
    _allow_origin(request, response, settings)
    return await _run(request, body, "encode")


@router.post("/codec/ui/{token}/decode", responses=responses(503))
async def decode_for_ui(
    token: str,
    body: PayloadsBody,
    request: Request,
    response: Response,
    settings: AppSettings,
    _: Operator,
) -> dict[str, Any]:
    """Decrypt payloads for the Temporal UI, authorised by the operator token in the path."""
    _allow_origin(request, response, settings)
    return await _run(request, body, "decode")


@router.post("/codec/ui/{token}/encode", responses=responses(503))
async def encode_for_ui(
    token: str,
    body: PayloadsBody,
    request: Request,
    response: Response,
    settings: AppSettings,
    _: Operator,
) -> dict[str, Any]:
    """Encrypt payloads for the Temporal UI, authorised by the operator token in the path."""
    _allow_origin(request, response, settings)
    return await _run(request, body, "encode")


@router.options("/codec/{operation}", include_in_schema=False)
@router.options("/codec/ui/{token}/{operation}", include_in_schema=False)
async def preflight(request: Request, settings: AppSettings) -> Response:
    """The browser's CORS preflight: allowed for the configured UI origins only."""
    response = Response(status_code=204)
    _allow_origin(request, response, settings)
    return response
