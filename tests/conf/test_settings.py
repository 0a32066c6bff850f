"""Settings: lazy loading, clear errors naming the module, overrides and change listeners."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from duck.conf import LazySettings, on_setting_changed, settings
from duck.exceptions import ImproperlyConfigured


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
        check=False,
    )


def test_missing_settings_module_is_named_in_the_error():
    result = run_python(
        "from duck.conf import settings\nsettings.DEBUG", DUCK_SETTINGS_MODULE="does_not_exist.settings"
    )
    assert "ImproperlyConfigured" in result.stderr
    assert "'does_not_exist.settings' could not be found" in result.stderr


def test_broken_settings_module_is_named_in_the_error(tmp_path):
    (tmp_path / "broken_settings.py").write_text("DEBUG = True\n1/0\n")
    result = run_python(
        "from duck.conf import settings\nsettings.DEBUG",
        DUCK_SETTINGS_MODULE="broken_settings",
        PYTHONPATH=str(tmp_path),
    )
    assert "Settings module 'broken_settings' raised ZeroDivisionError" in result.stderr


def test_unset_environment_variable_says_how_to_fix():
    fresh = LazySettings()
    import os

    saved = os.environ.pop("DUCK_SETTINGS_MODULE", None)
    try:
        with pytest.raises(ImproperlyConfigured, match="DUCK_SETTINGS_MODULE"):
            fresh.DEBUG  # noqa: B018
    finally:
        if saved is not None:
            os.environ["DUCK_SETTINGS_MODULE"] = saved


def test_defaults_show_through_and_module_values_override():
    fresh = LazySettings()
    fresh.configure(DEBUG=True)
    assert fresh.DEBUG is True
    assert fresh.SERVER_MAX_HEADERS == 100


def test_unknown_setting_is_attribute_error():
    with pytest.raises(AttributeError, match="NOT_A_SETTING"):
        settings.NOT_A_SETTING  # noqa: B018


def test_settings_are_read_only():
    with pytest.raises(ImproperlyConfigured, match="override_settings"):
        settings.DEBUG = True


def test_override_restores_and_notifies_listeners():
    calls = []
    on_setting_changed(lambda: calls.append(settings.SERVER_MAX_HEADERS))
    before = settings.SERVER_MAX_HEADERS
    with settings.override(SERVER_MAX_HEADERS=7):
        assert settings.SERVER_MAX_HEADERS == 7
    assert before == settings.SERVER_MAX_HEADERS
    assert calls == [7, before]


@pytest.mark.parametrize(
    "options",
    [{"ALLOWED_HOSTS": "example.com"}, {"GROUPS_BACKEND": "kafka"}, {"GROUPS_OVERFLOW_POLICY": "panic"}],
)
def test_wrong_settings_are_refused_with_a_fix(options):
    with pytest.raises(ImproperlyConfigured):
        LazySettings().configure(**options)


def test_lowercase_setting_is_refused():
    with pytest.raises(ImproperlyConfigured, match="uppercase"):
        LazySettings().configure(debug=True)
