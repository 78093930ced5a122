"""docker-compose.yml points at things that exist and passes settings Pledge actually reads.

No Docker engine runs where the tests run, so this reads the file the way compose would.
"""

from __future__ import annotations

import importlib
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from api.cli import app as cli_app
from settings import ENVIRONMENT_VARIABLES, ROOT, Settings

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = {name: spec for name, spec in SERVICES.items() if "build" in spec}
SUBSTITUTION = re.compile(r"\$\{([A-Z_]+)(?::?[-?][^}]*)?\}")


def _environment(spec: dict[str, Any]) -> dict[str, str]:
    environment = spec.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    # ${VAR:?message} and ${VAR:-default} come from the shell at `up` time; stand in a value.
    return {
        key: SUBSTITUTION.sub("substituted-value-of-sufficient-length", str(value))
        for key, value in environment.items()
    }


def _command(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_the_production_shape_is_all_there() -> None:
    images = {name: spec.get("image", "") for name, spec in SERVICES.items()}
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert not any("auto-setup" in image for image in images.values())
    assert {"temporal-db", "app-db", "api", "worker", "migrate", "mail"} <= set(SERVICES)
    assert set(APP_SERVICES) == {"api", "worker", "migrate"}
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["worker"], "fixed host ports would stop the worker scaling"


def test_dependencies_name_real_services() -> None:
    for name, spec in SERVICES.items():
        for dependency in spec.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"


def test_the_dockerfile_copies_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, _destination = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    for spec in APP_SERVICES.values():
        assert spec["build"] == "."


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_app_commands_point_at_real_code(service: str) -> None:
    command = _command(SERVICES[service])
    assert command, f"{service} has no command"
    if command[0] == "python":
        assert (ROOT / command[1]).is_file()
    elif command[0] == "uvicorn":
        module, _, attribute = command[1].partition(":")
        assert callable(getattr(importlib.import_module(module), attribute))
        assert "--factory" in command
    elif command[0] == "pledge":
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        assert scripts["pledge"] == "api.cli:app"
        registered = {c.name or c.callback.__name__ for c in cli_app.registered_commands}
        assert command[1] in registered
    else:
        pytest.fail(f"{service} runs {command[0]!r}, which this test does not know")


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_app_environment_is_what_the_settings_read(service: str) -> None:
    environment = _environment(SERVICES[service])
    unknown = set(environment) - ENVIRONMENT_VARIABLES
    assert not unknown, f"{service} passes variables no setting reads: {unknown}"
    assert {"DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_HOST"} <= set(environment)
    settings = Settings(**{name: value for name, value in environment.items()})
    assert not settings.embedded_temporal

    database = make_url(settings.effective_database_url)
    app_db = _environment(SERVICES[database.host or ""])
    assert (database.username, database.password, database.database) == (
        app_db["POSTGRES_USER"],
        app_db["POSTGRES_PASSWORD"],
        app_db["POSTGRES_DB"],
    )
    assert settings.effective_temporal_address.split(":")[0] in SERVICES
    assert settings.smtp_host in SERVICES


def test_mounted_scripts_and_config_exist() -> None:
    for name, spec in SERVICES.items():
        mounts = {}
        for volume in spec.get("volumes", []):
            source, target, *_ = volume.split(":")
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
                mounts[target] = ROOT / source
        for word in _command(spec):
            for target, source in mounts.items():
                if word.startswith(target + "/"):
                    path = source / word.removeprefix(target + "/")
                    assert path.is_file(), f"{name} runs missing {path}"
        dynamic = _environment(spec).get("DYNAMIC_CONFIG_FILE_PATH")
        if dynamic:
            assert (ROOT / "deploy/temporal/dynamicconfig" / Path(dynamic).name).is_file()


def test_settings_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in ENVIRONMENT_VARIABLES if f"`{name}`" not in readme)
    assert not missing, f"README.md does not document {missing}"
