"""The welcome page of a new project says whether DEBUG is on, truthfully, either way."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import COMMAND_TIMEOUT, duck_env

SHOW_WELCOME = """
from duck.test import Client, override_settings, setup_test_environment
setup_test_environment()
with override_settings(DEBUG={debug}), Client() as client:
    response = client.get("/")
assert response.status_code == 200, response.status_code
print(response.text)
"""


def welcome_page(project, debug: bool) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_WELCOME.format(debug=debug)],
        cwd=project,
        env=duck_env(DUCK_SETTINGS_MODULE="settings", PYTHONPATH=f"{project}:{duck_env()['PYTHONPATH']}"),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("debug", [True, False])
def test_the_welcome_page_tells_the_truth_about_debug(project, debug):
    page = welcome_page(project, debug)
    assert "mysite is running" in page
    if debug:
        assert "<code>DEBUG = True</code> in <code>settings.py</code>: errors show detailed pages" in page
        assert "DEBUG = False" not in page
    else:
        assert "<code>DEBUG = False</code> in <code>settings.py</code>: visitors get plain error pages" in page
        assert "DEBUG = True" not in page
