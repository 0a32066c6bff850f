"""A self-signed certificate for the TLS tests, made with the very command docs/deployment.md gives users.

The command is read from the page (the ```sh block after the marker naming this file), so the page
cannot show a command that does not produce a certificate duck serves.
"""

from __future__ import annotations

import re
import shlex
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "deployment.md"
_MARKER = "<!-- test: tests/tls.py makes the test suite's certificate with this command -->"


@dataclass(frozen=True)
class Certificate:
    """``cert.pem`` and ``key.pem`` for localhost, 127.0.0.1 and ::1."""

    certfile: Path
    keyfile: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only (hostname checked, as browsers do)."""
        context = ssl.create_default_context(cafile=str(self.certfile))
        return context


def documented_command() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(_MARKER) + r"\n```sh\n(.*?)\n```", text, re.S)
    assert match, f"{DOC} lost the certificate command marked {_MARKER!r}"
    return match.group(1)


def make_certificate(folder: Path) -> Certificate:
    """Run the documented openssl command in ``folder``."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (scripts/test.sh installs it)")
    command = documented_command()
    subprocess.run(shlex.split(command), cwd=folder, check=True, capture_output=True, timeout=60)
    certificate = Certificate(folder / "cert.pem", folder / "key.pem")
    assert certificate.certfile.is_file() and certificate.keyfile.is_file()
    return certificate
