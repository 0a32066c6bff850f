"""Template tests render from tests/template/templates with tests/template/urls as the URL conf."""

from __future__ import annotations

from pathlib import Path

import pytest

from duck.conf import settings

TEMPLATE_DIR = Path(__file__).parent / "templates"
OTHER_DIR = Path(__file__).parent / "other_templates"


def templates_setting(*dirs: Path, **options: object) -> list[dict]:
    return [{"BACKEND": "duck.template.Jinja2", "DIRS": list(dirs), "OPTIONS": options}]


@pytest.fixture(autouse=True)
def template_settings():
    with settings.override(
        TEMPLATES=templates_setting(TEMPLATE_DIR),
        ROOT_URLCONF="tests.template.urls",
        STATIC_URL="/static/",
        ALLOWED_HOSTS=["testserver"],
    ):
        yield
