"""A ticket's files: attach (multipart), list, download. Thin doors onto services.attachments,
which the console's ticket page (and the portal's) call too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import Response

from api.auth import StaffOrCustomer
from api.deps import AppSettings, Session, Temporal
from api.downloads import attachment_response
from api.errors import InvalidInput, responses
from api.schemas import AttachmentOut
from api.uploads import read_upload
from services import attachments
from services.attachment_rules import ACCEPTED

router = APIRouter(tags=["tickets"])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": f"One or more files: {ACCEPTED}",
                        },
                        "public": {
                            "type": "boolean",
                            "default": False,
                            "description": "Staff: whether the customer sees the files "
                            "(a customer's own always are)",
                        },
                    },
                }
            }
        },
    }
}
TRUE, FALSE = ("true", "on", "1", "yes"), ("false", "off", "0", "no", "")


def flag(fields: dict[str, str], name: str) -> bool:
    """A form's yes-or-no field (a checkbox sends "on"); 422 naming it for anything else."""
    value = fields.get(name, "").strip().lower()
    if value not in TRUE + FALSE:
        raise InvalidInput.for_field(f"body.{name}", "must be true or false")
    return value in TRUE


@router.post(
    "/tickets/{reference}/attachments",
    response_model=list[AttachmentOut],
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 413, 503),
    openapi_extra=UPLOAD_BODY,
)
async def add_attachments(
    reference: str,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: StaffOrCustomer,
) -> list[AttachmentOut]:
    """Attach files to a ticket (multipart/form-data, field `file`, one or more), each at most
    PLEDGE_ATTACHMENT_MAX_MB; the type is judged by the content. Staff's files are internal
    unless `public` is true; a customer's are always public."""
    await attachments.may_attach(session, principal, reference)
    # End the check's transaction: a slow upload must not hold SQLite's write lock meanwhile.
    await session.commit()
    upload = await read_upload(request, max_file_bytes=attachments.max_size(settings))
    files = [attachments.NewFile(f.filename, f.data) for f in upload.files]
    return await attachments.add_attachments(
        session,
        client,
        settings,
        principal,
        reference,
        files,
        public=flag(upload.fields, "public"),
    )


@router.get(
    "/tickets/{reference}/attachments",
    response_model=list[AttachmentOut],
    responses=responses(403, 404),
)
async def list_attachments(
    reference: str, session: Session, principal: StaffOrCustomer
) -> list[AttachmentOut]:
    """A ticket's files, oldest first (a customer's key lists the public ones only)."""
    return await attachments.list_attachments(session, principal, reference)


@router.get(
    "/tickets/{reference}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        **responses(403, 404),
        200: {"description": "The file, as an attachment", "content": {"*/*": {}}},
    },
)
async def download_attachment(
    reference: str, attachment_id: str, session: Session, principal: StaffOrCustomer
) -> Response:
    """The file itself, always as a download (never shown inline), with its stored type."""
    found = await attachments.fetch_attachment(session, principal, reference, attachment_id)
    return attachment_response(found.filename, found.content_type, found.content)
