"""``duck startproject``: the files it renders, and the names and folders it refuses."""

from __future__ import annotations

import ast
import re

import pytest

from tests.cli.conftest import assert_one_line_error, run_duck

EXPECTED_FILES = {
    "settings.py",
    "urls.py",
    "views.py",
    "models.py",
    "migrations/README.md",
    "migrations/*_users.py",
    "asgi.py",
    "wsgi.py",
    "pyproject.toml",
    "tests/test_views.py",
    "tests/test_websockets.py",
    "templates/welcome.html",
    "templates/login.html",
    "templates/logout.html",
    "static/css/style.css",
}


def files_of(folder):
    """The files under ``folder``; the first migration's name (date, random revision) as ``migrations/*_users.py``."""
    names = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}
    return {
        re.sub(r"^migrations/\d{4}_\d\d_\d\d_\d{4}-[0-9a-f]{12}_users\.py$", "migrations/*_users.py", n) for n in names
    }


def secret_key_of(folder):
    match = re.search(r'^SECRET_KEY = "([^"]+)"$', (folder / "settings.py").read_text(), re.MULTILINE)
    assert match is not None
    return match.group(1)


def test_startproject_renders_the_layout(project):
    assert files_of(project) == EXPECTED_FILES


def test_rendered_python_files_are_valid_and_fully_substituted(project):
    for name in ("settings.py", "urls.py", "views.py", "asgi.py", "wsgi.py", "tests/test_views.py"):
        source = (project / name).read_text()
        ast.parse(source, filename=name)
        assert "{{" not in source, name
    assert '"mysite"' in (project / "views.py").read_text()


def test_settings_use_the_flat_layout(project):
    namespace: dict = {"__file__": str(project / "settings.py")}
    exec(compile((project / "settings.py").read_text(), "settings.py", "exec"), namespace)
    assert namespace["DEBUG"] is True
    assert namespace["ALLOWED_HOSTS"] == []
    assert namespace["ROOT_URLCONF"] == "urls"
    assert namespace["TEMPLATES"][0]["DIRS"] == [project / "templates"]
    assert namespace["STATICFILES_DIRS"] == [project / "static"]
    assert namespace["STATIC_ROOT"] == project / "staticfiles"
    assert 'DUCK_SETTINGS_MODULE", "settings"' in (project / "asgi.py").read_text()
    assert 'DUCK_SETTINGS_MODULE", "settings"' in (project / "wsgi.py").read_text()


def test_welcome_template_keeps_its_jinja_and_links_the_stylesheet(project):
    html = (project / "templates" / "welcome.html").read_text()
    assert "{{ static('css/style.css') }}" in html
    assert "{{ project_name }}" in html  # rendered per request by the view, not by startproject


def test_each_project_gets_its_own_secret_key(project, tmp_path):
    assert run_duck("startproject", "othersite", cwd=tmp_path).returncode == 0
    first, second = secret_key_of(project), secret_key_of(tmp_path / "othersite")
    assert len(first) >= 50
    assert first != second


def test_output_says_what_to_do_next(tmp_path):
    result = run_duck("startproject", "blog", cwd=tmp_path)
    assert "cd blog" in result.stdout
    assert "duck runserver" in result.stdout


def test_directory_argument_renders_into_that_folder(tmp_path):
    result = run_duck("startproject", "shop", "deploy/shop_app", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_of(tmp_path / "deploy" / "shop_app") == EXPECTED_FILES
    assert not (tmp_path / "shop").exists()


def test_directory_argument_accepts_an_existing_empty_folder(tmp_path):
    (tmp_path / "here").mkdir()
    assert run_duck("startproject", "shop", "here", cwd=tmp_path).returncode == 0
    assert files_of(tmp_path / "here") == EXPECTED_FILES


def test_existing_project_folder_is_refused(project, tmp_path):
    before = (project / "settings.py").read_text()
    assert_one_line_error(run_duck("startproject", "mysite", cwd=tmp_path), "already exists")
    assert (project / "settings.py").read_text() == before


def test_directory_with_project_files_is_never_overwritten(tmp_path):
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "settings.py").write_text("KEEP = 1\n")
    assert_one_line_error(run_duck("startproject", "shop", "here", cwd=tmp_path), "already exists")
    assert (tmp_path / "here" / "settings.py").read_text() == "KEEP = 1\n"
    assert files_of(tmp_path / "here") == {"settings.py"}


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("1site", "not a valid project name"),
        ("my-site", "not a valid project name"),
        ("my site", "not a valid project name"),
        ("class", "keyword"),
        ("os", "conflicts with the name of an existing Python module"),
        ("duck", "conflicts with the name of an existing Python module"),
        ("jinja2", "conflicts with the name of an existing Python module"),
    ],
)
def test_invalid_names_are_refused_with_one_line(tmp_path, name, fragment):
    assert_one_line_error(run_duck("startproject", name, cwd=tmp_path), fragment)
    assert list(tmp_path.iterdir()) == []


def test_a_project_folder_elsewhere_on_the_path_is_no_conflict(tmp_path):
    """README's quick start leaves mysite/ in the checkout, which tests put on PYTHONPATH (issue 19)."""
    elsewhere = tmp_path / "checkout"
    (elsewhere / "mysite").mkdir(parents=True)
    (elsewhere / "mysite" / "settings.py").write_text("")
    (tmp_path / "new").mkdir()
    result = run_duck("startproject", "mysite", cwd=tmp_path / "new", env={"PYTHONPATH": str(elsewhere)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "mysite" / "settings.py").is_file()


def test_a_real_package_elsewhere_on_the_path_still_conflicts(tmp_path):
    (tmp_path / "lib" / "shop").mkdir(parents=True)
    (tmp_path / "lib" / "shop" / "__init__.py").write_text("")
    (tmp_path / "new").mkdir()
    result = run_duck("startproject", "shop", cwd=tmp_path / "new", env={"PYTHONPATH": str(tmp_path / "lib")})
    assert_one_line_error(result, "conflicts with the name of an existing Python module")


def test_the_project_enables_sessions_csrf_users_and_security_headers(project):
    settings = (project / "settings.py").read_text()
    for middleware in (
        "duck.middleware.security.SecurityMiddleware",
        "duck.sessions.middleware.SessionMiddleware",
        "duck.middleware.csrf.CsrfViewMiddleware",
        "duck.auth.middleware.AuthenticationMiddleware",
    ):
        assert f'"{middleware}"' in settings
    routes = run_duck("routes", cwd=project)
    assert routes.returncode == 0, routes.stderr
    assert re.search(r"/login\s.*login", routes.stdout) and re.search(r"/logout\s.*logout", routes.stdout)
