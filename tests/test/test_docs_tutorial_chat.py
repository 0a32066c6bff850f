"""The tutorial's "Keep the history" step works: the chat saves messages and replays the last 50.

Its two python blocks (the model and the view) run against a temporary SQLite database, with what
the earlier steps of the tutorial put in scope (imports of models.py and views.py).
"""

from __future__ import annotations

import random
import re
import sys
import types
from datetime import datetime
from pathlib import Path

from sqlalchemy import String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from duck.contrib.websockets import OpCode, WebSocketView
from duck.test import Client, override_settings
from duck.urls import path

DOC = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"


def section_blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Keep the history", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"```python\n(.*?)\n```", section, re.S)


class Model(DeclarativeBase):  # the tutorial's duck.db.Model, kept apart from the other tests' tables
    pass


def test_history_is_kept_and_the_last_50_are_replayed(tmp_path):
    model_code, view_code = section_blocks()
    models = types.ModuleType("tutorial_models")
    models.__dict__.update(Model=Model, Mapped=Mapped, mapped_column=mapped_column, String=String, func=func)
    models.__dict__["datetime"] = datetime
    sys.modules[models.__name__] = models  # SQLAlchemy reads the annotations in the model's module
    exec(compile(model_code, "docs/tutorial.md", "exec"), models.__dict__)
    views = types.ModuleType("tutorial_views")
    views.__dict__.update(random=random, OpCode=OpCode, WebSocketView=WebSocketView)
    sys.modules["models"] = models
    try:
        exec(compile(view_code, "docs/tutorial.md", "exec"), views.__dict__)
    finally:
        del sys.modules["models"]
    views.urlpatterns = [path("/ws/chat/<slug:room>", views.ChatSocket)]
    sys.modules[views.__name__] = views
    url = f"sqlite:///{tmp_path / 'chat.sqlite3'}"
    with override_settings(DATABASES={"default": {"URL": url}}, ROOT_URLCONF=views.__name__):
        from duck.db import get_engine, get_session

        Model.metadata.create_all(get_engine())
        with get_session() as session, session.begin():
            session.add_all(models.Message(room="ducks", text=f"old {i}") for i in range(60))
            session.add(models.Message(room="geese", text="elsewhere"))
        client = Client()
        with client.websocket_connect("/ws/chat/ducks") as ws:
            replayed = [ws.receive_text() for _ in range(50)]
            assert replayed == [f"old {i}" for i in range(10, 60)]
            assert ws.receive_text().endswith("joined ducks")
            ws.send_text("hello")
            assert ws.receive_text().endswith(": hello")
        with client.websocket_connect("/ws/chat/ducks") as ws:
            replayed = [ws.receive_text() for _ in range(50)]
            assert replayed[-1].endswith(": hello")
        client.close()
    del sys.modules[views.__name__], sys.modules[models.__name__]
