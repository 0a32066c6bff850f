"""Settings mistakes are caught at start: wrong types refused in one line, typos warned about."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from duck.conf import LazySettings, global_settings, settings
from duck.conf.checks import MASK, expected_types, looks_secret, masked, matches
from duck.exceptions import ImproperlyConfigured
from duck.test import override_settings


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"DEBUG": "False"},
            "Setting DEBUG = 'False' has type str, expected bool (True or False): write DEBUG = False, without quotes.",
        ),
        ({"DEBUG": 0}, "Setting DEBUG = 0 has type int, expected bool (True or False)."),
        (
            {"SERVER_MAX_HEADERS": "100"},
            "Setting SERVER_MAX_HEADERS = '100' has type str, expected int: write SERVER_MAX_HEADERS = 100, "
            "without quotes.",
        ),
        ({"SYNC_VIEW_THREADS": True}, "Setting SYNC_VIEW_THREADS = True has type bool, expected int."),
        ({"SYNC_VIEW_THREADS": 4.0}, "Setting SYNC_VIEW_THREADS = 4.0 has type float, expected int."),
        (
            {"SERVER_KEEPALIVE_TIMEOUT": "5s"},
            "Setting SERVER_KEEPALIVE_TIMEOUT = '5s' has type str, expected number (int or float).",
        ),
        (
            {"WEBSOCKET_PING_INTERVAL": "20"},
            "Setting WEBSOCKET_PING_INTERVAL = '20' has type str, expected number (int or float) or None: "
            "write WEBSOCKET_PING_INTERVAL = 20, without quotes.",
        ),
        (
            {"ALLOWED_HOSTS": "example.com"},
            "Setting ALLOWED_HOSTS = 'example.com' has type str, expected list of str: write ['example.com'].",
        ),
        ({"ALLOWED_HOSTS": ["example.com", 8000]}, "has type list, expected list of str."),
        ({"STATIC_ROOT": None}, "Setting STATIC_ROOT = None has type NoneType, expected str or path."),
        ({"GROUPS_BACKEND": "kafka"}, "Setting GROUPS_BACKEND = 'kafka' has type str, expected 'memory' or 'redis'."),
        ({"GROUPS_OVERFLOW_POLICY": "panic"}, "expected 'close' or 'drop'."),
        ({"TEMPLATES": {"BACKEND": "duck.template.Jinja2"}}, "has type dict, expected list of dict."),
        ({"SECRET_KEY": 1234567}, f"Setting SECRET_KEY = {MASK} has type int, expected str."),
    ],
)
def test_wrong_types_are_refused_in_one_line_naming_setting_value_and_type(options, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        LazySettings().configure(**options)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_secret_values_never_appear_in_the_message():
    with pytest.raises(ImproperlyConfigured) as refused:
        LazySettings().configure(SECRET_KEY=["hunter2-very-secret"])
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    "options",
    [
        {"SERVER_KEEPALIVE_TIMEOUT": 5},  # an int is a number of seconds too
        {"WEBSOCKET_PING_INTERVAL": None},
        {"ALLOWED_HOSTS": ("example.com",)},  # tuples, as Django takes them
        {"STATIC_ROOT": Path("/srv/static"), "STATICFILES_DIRS": [Path("static"), "more"]},
        {"FILE_UPLOAD_TEMP_DIR": Path("/tmp")},
        {"MIDDLEWARE": ["a.b", lambda get_response: get_response]},
        {"ROOT_URLCONF": []},
        {"SERVE_STATIC": None},
    ],
)
def test_values_of_the_right_type_are_accepted(options):
    LazySettings().configure(SECRET_KEY="checks", **options)


@pytest.mark.parametrize("key", ["", "  ", "change-me"])
def test_an_empty_or_placeholder_secret_key_refuses_to_start_with_debug_off(key):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is empty or a placeholder") as refused:
        LazySettings().configure(SECRET_KEY=key, DEBUG=False)
    assert "secrets.token_urlsafe" in str(refused.value)  # says how to make one
    LazySettings().configure(SECRET_KEY=key, DEBUG=True)  # development may go without


def test_trusted_proxies_must_be_addresses_or_networks():
    LazySettings().configure(SECRET_KEY="k", TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8", "::1", "*"])
    with pytest.raises(ImproperlyConfigured, match=r"'nginx\.internal' is not an IP address or network"):
        LazySettings().configure(SECRET_KEY="k", TRUSTED_PROXIES=["nginx.internal"])


def test_every_setting_with_a_default_has_a_type_derived_from_global_settings():
    names = {name for name in dir(global_settings) if name.isupper()}
    assert set(expected_types()) == names, "annotate every setting whose default is None in global_settings.py"
    for name in names:  # the defaults pass their own check
        assert matches(getattr(global_settings, name), expected_types()[name]), name


def test_types_follow_the_annotations_and_defaults_of_global_settings():
    assert expected_types()["DEBUG"] is bool  # from the default's type
    assert expected_types()["SERVER_KEEPALIVE_TIMEOUT"] is float
    assert expected_types()["ALLOWED_HOSTS"] == global_settings.__annotations__["ALLOWED_HOSTS"]


def test_override_settings_in_tests_is_checked_too():
    with pytest.raises(ImproperlyConfigured, match="DEBUG = 'yes'"), override_settings(DEBUG="yes"):
        pass
    assert settings.DEBUG is False


# -- at start, through every front door -------------------------------------------------------------
@pytest.fixture
def bad_project(tmp_path: Path) -> Path:
    (tmp_path / "bad_settings.py").write_text('DEBUG = "False"\nROOT_URLCONF = "bad_urls"\n')
    (tmp_path / "bad_urls.py").write_text("urlpatterns = []\n")
    return tmp_path


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DUCK_SETTINGS_MODULE"}
    env.update(DUCK_SETTINGS_MODULE="bad_settings", PYTHONPATH=str(cwd))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "code",
    [
        "from duck.wsgi import get_wsgi_application\nget_wsgi_application()",
        "from duck.asgi import get_asgi_application\nget_asgi_application()",
        "from duck.cli import main\nraise SystemExit(main(['runserver', '--settings', 'bad_settings']))",
    ],
    ids=["wsgi", "asgi", "runserver"],
)
def test_every_front_door_refuses_a_wrong_type_at_start(bad_project, code):
    result = run_python(code, bad_project)
    assert result.returncode != 0
    assert "DEBUG = 'False' has type str, expected bool (True or False)" in result.stderr


# -- typos ----------------------------------------------------------------------------------------
def load_module_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> LazySettings:
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("DUCK_SETTINGS_MODULE", name)
    fresh = LazySettings()
    fresh.DEBUG  # noqa: B018 - loads the module
    return fresh


def test_names_close_to_a_setting_get_a_suggestion(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="duck.conf")
    text = (
        'ALLOWED_HOST = ["example.com"]\nSTATICFILES_DIR = ["static"]\nBASE_DIR = "."\nSITE_NAME = "x"\nDEBUG = True\n'
    )
    load_module_settings(tmp_path, monkeypatch, "typo_settings", text)
    assert [record.getMessage() for record in caplog.records] == [
        "Unknown setting ALLOWED_HOST in settings module 'typo_settings': did you mean ALLOWED_HOSTS?",
        "Unknown setting STATICFILES_DIR in settings module 'typo_settings': did you mean STATICFILES_DIRS?",
    ]


def test_a_projects_own_settings_stay_silent(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="duck.conf")
    text = 'BASE_DIR = "."\nMEDIA_ROOT = "media"\nAPI_KEY = "k"\nINSTALLED_APPS = []\nDEBUG = True\n'
    load_module_settings(tmp_path, monkeypatch, "own_settings", text)
    assert caplog.records == []


def test_configure_warns_about_typos_too(caplog):
    caplog.set_level(logging.WARNING, logger="duck.conf")
    LazySettings().configure(DEBUGG=True, DEBUG=True)
    assert "did you mean DEBUG?" in caplog.text


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("SECRET_KEY", True),
        ("api_key", True),
        ("db_password", True),
        ("X-Auth-Token", True),
        ("Cookie", True),
        ("DEBUG", False),
        ("user", False),
        ("ALLOWED_HOSTS", False),
    ],
)
def test_secret_looking_names(name, secret):
    assert looks_secret(name) is secret


def test_masked_masks_nested_dicts():
    value = {"default": {"URL": "sqlite://", "PASSWORD": "pw"}, "token": "t", "empty_password": ""}
    assert masked("DATABASES", value) == {
        "default": {"URL": "sqlite://", "PASSWORD": MASK},
        "token": MASK,
        "empty_password": "",
    }
