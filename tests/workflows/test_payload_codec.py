"""Temporal holds complainants' details only encrypted; rotated keys still read old payloads;
histories recorded before encryption still replay; the codec endpoint lets an operator read."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.models import Role
from settings import Settings
from tests.conftest import TEST_PAYLOAD_KEYS, bearer
from tests.workflows.complaints import log_complaint
from worker import build_replayer, build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_messages import Reply
from workflows.connection import DATA_CONVERTER, converter_with_keys
from workflows.payload_codec import (
    EncryptionCodec,
    PayloadKeyError,
    load_or_create_key_file,
    new_key_entry,
    parse_keys,
)

HISTORIES = Path(__file__).parent / "histories"
SECRETS = ["Jane Doe", "jane@example.com", "Acacia Avenue", "December newsletter", "suppression"]


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def complaint_history(env: WorkflowEnvironment, settings: Settings) -> WorkflowHistory:
    now = await env.get_current_time()
    view = await log_complaint(env.client, settings.temporal_task_queue, received_at=now)
    handle = env.client.get_workflow_handle_for(
        ComplaintWorkflow.run, f"complaint-{view.reference}"
    )
    replied = await handle.execute_update(
        ComplaintWorkflow.reply, Reply(actor="Hana", body="We have fixed the suppression list.")
    )
    assert replied.status.value == "replied"  # the worker and the client read the payloads
    # A client without the codec, as anyone with access to the Temporal server has.
    plain = await Client.connect(
        env.client.service_client.config.target_host, data_converter=DATA_CONVERTER
    )
    return await plain.get_workflow_handle(handle.id).fetch_history()


async def test_temporal_history_holds_no_complainant_details_in_clear(
    env: WorkflowEnvironment, settings: Settings
) -> None:
    history = await complaint_history(env, settings)
    raw = history.to_json()
    for secret in SECRETS:
        assert secret not in raw, f"{secret!r} is readable in Temporal's history"
    started = history.events[0].workflow_execution_started_event_attributes
    [payload] = started.input.payloads
    assert payload.metadata["encoding"] == b"binary/encrypted"
    # Not vacuous: the same bytes, decrypted with the key, hold the name.
    [clear] = await EncryptionCodec(parse_keys(TEST_PAYLOAD_KEYS)).decode([payload])
    assert b"Jane Doe" in clear.data and b"Acacia Avenue" in clear.data

    # After rotation (a new key first, the old one kept) the history still replays.
    rotated = converter_with_keys(parse_keys(f"{new_key_entry()},{TEST_PAYLOAD_KEYS}"))
    replayed = await build_replayer(rotated).replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
    # Without the old key it cannot be read at all (the failure names the key error).
    dropped = converter_with_keys(parse_keys(new_key_entry()))
    failed = await build_replayer(dropped).replay_workflow(history, raise_on_replay_failure=False)
    assert failed.replay_failure is not None
    assert "PayloadKeyError" in str(failed.replay_failure)


async def test_old_key_payloads_decode_after_rotation_and_new_ones_use_the_new_key() -> None:
    old, new = new_key_entry(), new_key_entry()
    before = EncryptionCodec(parse_keys(old))
    [sealed] = await before.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"Jane"')])
    after = EncryptionCodec(parse_keys(f"{new},{old}"))
    [opened] = await after.decode([sealed])
    assert opened.data == b'"Jane"'
    [resealed] = await after.encode([opened])
    assert resealed.metadata["encryption-key-id"] == new.split(":")[0].encode()
    with pytest.raises(PayloadKeyError, match="not configured"):
        await EncryptionCodec(parse_keys(new)).decode([sealed])
    flipped = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    tampered = Payload(metadata=sealed.metadata, data=flipped)
    with pytest.raises(PayloadKeyError, match="altered"):
        await after.decode([tampered])


async def test_payloads_written_before_encryption_pass_through() -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":1}')
    assert await EncryptionCodec(parse_keys(new_key_entry())).decode([plain]) == [plain]


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_recorded_unencrypted_histories_replay_through_the_codec(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    converter = converter_with_keys(parse_keys(TEST_PAYLOAD_KEYS))
    result = await build_replayer(converter).replay_workflow(history)
    assert result.replay_failure is None


def test_the_key_file_is_generated_once_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "data" / "payload-keys"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 1 and len(first[0].secret) == 32
    assert load_or_create_key_file(path) == first  # the API and the worker read the same
    assert sorted(os.listdir(path.parent)) == ["payload-keys"]  # no spare file left behind
    assert base64.b64encode(first[0].secret).decode() not in repr(first)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no payload keys"),
        ("nokey", "id:base64key"),
        ("k1:not base64!", "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "5 bytes"),
        ("k1:{0},k1:{0}".format(base64.b64encode(bytes(32)).decode()), "listed twice"),
    ],
)
def test_bad_keys_are_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(PayloadKeyError, match=words):
        parse_keys(text)


# -- the codec endpoint ----------------------------------------------------------------------


async def sealed_payloads() -> dict:
    codec = EncryptionCodec(parse_keys(TEST_PAYLOAD_KEYS))
    [sealed] = await codec.encode(
        [Payload(metadata={"encoding": b"json/plain"}, data=b'{"complainant_name":"Jane Doe"}')]
    )
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
                "data": base64.b64encode(sealed.data).decode(),
            }
        ]
    }


async def test_an_admin_decodes_payloads_through_the_codec_endpoint(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    body = await sealed_payloads()
    decoded = await client.post("/codec/decode", json=body, headers=admin_headers)
    assert decoded.status_code == 200, decoded.text
    [payload] = decoded.json()["payloads"]
    assert base64.b64decode(payload["data"]) == b'{"complainant_name":"Jane Doe"}'
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"

    encoded = await client.post("/codec/encode", json=decoded.json(), headers=admin_headers)
    assert encoded.status_code == 200, encoded.text
    [again] = encoded.json()["payloads"]
    assert base64.b64decode(again["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"Jane" not in base64.b64decode(again["data"])

    assert (await client.post("/codec/decode", json=body)).status_code == 401
    for role in (Role.AGENT, Role.COMPLAINTS_HANDLER, Role.SUCCESS_MANAGER):
        refused = await client.post("/codec/decode", json=body, headers=await bearer(session, role))
        assert refused.status_code == 403, role
    for bad in (
        {"payloads": [{"data": "a"}]},  # not base64
        {"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAAA"}]},
    ):
        refused = await client.post("/codec/decode", json=bad, headers=admin_headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "body.payloads"


async def test_the_ui_decodes_with_the_operator_token_from_its_origin_only(
    settings: Settings, session: AsyncSession
) -> None:
    from api.app import create_app
    from api.deps import get_session

    token = "t" * 40
    app = create_app(settings.model_copy(update={"codec_token": token}))

    async def shared_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = shared_session
    ui = f"http://127.0.0.1:{settings.temporal_ui_port}"
    body = await sealed_payloads()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pledge.test") as http:
            preflight = await http.options(
                f"/codec/ui/{token}/decode",
                headers={
                    "Origin": ui,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,x-namespace",
                },
            )
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == ui
            assert "x-namespace" in preflight.headers["access-control-allow-headers"].lower()
            decoded = await http.post(
                f"/codec/ui/{token}/decode",
                json=body,
                headers={"Origin": ui, "X-Namespace": "default"},
            )
            assert decoded.status_code == 200, decoded.text
            assert decoded.headers["access-control-allow-origin"] == ui
            assert b"Jane Doe" in base64.b64decode(decoded.json()["payloads"][0]["data"])

            stranger = await http.post(
                f"/codec/ui/{token}/decode", json=body, headers={"Origin": "https://evil.invalid"}
            )
            assert "access-control-allow-origin" not in stranger.headers
            wrong = await http.post(f"/codec/ui/{'x' * 40}/decode", json=body)
            assert wrong.status_code == 401


async def test_without_an_operator_token_the_ui_route_is_off(
    client: httpx.AsyncClient,
) -> None:
    body = await sealed_payloads()
    assert (await client.post(f"/codec/ui/{'t' * 40}/decode", json=body)).status_code == 401
