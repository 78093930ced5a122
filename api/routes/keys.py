"""API keys over HTTP: who am I (and the name I sign letters with), and (admin) list, create,
name and revoke keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import keys
from api.auth import AdminPrincipal, CurrentPrincipal
from api.deps import Session
from api.errors import responses
from api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, Me, PersonUpdate
from services import keys as key_service

router = APIRouter(tags=["access"])


@router.get("/me", response_model=Me, responses=responses())
async def me(principal: CurrentPrincipal) -> Me:
    """The key you are calling with: its name, the person behind it, role and account."""
    return Me(
        key_id=principal.key_id,
        name=principal.name,
        full_name=principal.full_name,
        job_title=principal.job_title,
        role=principal.role,
        account_id=principal.account_id,
    )


@router.patch("/me", response_model=Me, responses=responses(422))
async def name_myself(body: PersonUpdate, principal: CurrentPrincipal, session: Session) -> Me:
    """Set your own name and job title: the letters you send are signed with them."""
    key = await keys.set_person(session, principal.key_id, body.model_dump(exclude_unset=True))
    return Me(
        key_id=key.id,
        name=key.name,
        full_name=key.full_name,
        job_title=key.job_title,
        role=key.role,
        account_id=key.account_id,
    )


@router.get("/keys", response_model=list[ApiKeyOut], responses=responses(403))
async def list_keys(
    principal: AdminPrincipal, session: Session, include_revoked: bool = False
) -> list[ApiKeyOut]:
    """Every API key (never the secrets); revoked ones only when asked."""
    rows = await key_service.list_keys(session, principal, include_revoked=include_revoked)
    return [ApiKeyOut.model_validate(row) for row in rows]


@router.post(
    "/keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403),
)
async def create_key(
    body: ApiKeyCreate, principal: AdminPrincipal, session: Session
) -> ApiKeyCreated:
    """Mint a key; the answer carries its secret, which is not shown again."""
    minted = await key_service.create_key(
        session,
        principal,
        name=body.name,
        role=body.role,
        account_id=body.account_id,
        full_name=body.full_name,
        job_title=body.job_title,
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(minted.key).model_dump(), secret=minted.secret)


@router.patch("/keys/{key_id}", response_model=ApiKeyOut, responses=responses(403, 404, 422))
async def name_key(
    key_id: int, body: PersonUpdate, _: AdminPrincipal, session: Session
) -> ApiKeyOut:
    """Set the name and job title of the person behind a key, as their letters are signed."""
    key = await keys.set_person(session, key_id, body.model_dump(exclude_unset=True))
    return ApiKeyOut.model_validate(key)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyOut, responses=responses(403, 404))
async def revoke_key(key_id: int, principal: AdminPrincipal, session: Session) -> ApiKeyOut:
    """Revoke a key at once; requests with it are refused from now on."""
    return ApiKeyOut.model_validate(await key_service.revoke_key(session, principal, key_id))
