"""The README's shell examples, run as written against a running Pledge.

A new user copies them into a shell after `make run`; so does this. Every `sh` block that uses
the API (`curl`) or the CLI (`pledge`) is run in document order in one bash session, so a
variable set in one block is there in the next, as it would be in the reader's terminal. curl
is made to fail on any 4xx or 5xx, so an example the API refuses fails the test with the
problem document it got.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from settings import ROOT

_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)

_PRELUDE = """\
set -euo pipefail
curl() { command curl --silent --show-error --fail-with-body "$@" || return; echo; }
"""


def runnable_blocks(readme: str) -> list[str]:
    """The blocks a reader runs against a running Pledge (not `make`, not docker compose)."""
    blocks = _BLOCK.findall(readme)
    return [b for b in blocks if re.search(r"^\s*(\w+=\S*\s*)?(curl|pledge) ", b, re.M)]


def script(readme: str, api: str) -> str:
    """One bash script of every runnable block, pointed at `api` instead of port 8000."""
    body = "\n".join(runnable_blocks(readme))
    for written in ("http://127.0.0.1:8000", "http://localhost:8000", "localhost:8000"):
        body = body.replace(written, api)
    return _PRELUDE + body


def run(api: str, workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the README's examples in `workdir` (where `.data/` is) with `pledge` on the PATH."""
    readme = (ROOT / "README.md").read_text()
    scripts = str(Path(sys.executable).parent)
    return subprocess.run(
        ["bash", "-c", script(readme, api)],
        cwd=workdir,
        env={**env, "PATH": f"{scripts}:{env.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
