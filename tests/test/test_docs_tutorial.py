"""docs/tutorial.md, replayed step by step in a new project, with the site checked where it says so.

Markers (``<!-- tutorial: ... -->``) on the page's blocks say what each step does:
``shell`` runs the commands (in the folder the previous step left), ``write PATH`` makes the file
the block, ``append PATH`` / ``prepend PATH`` add the block at its end / start, ``imports PATH``
makes the block the file's imports (the block of imports at its top), ``replace PATH`` swaps each
top-level function, class or ``from ... import`` of the block for the one of the same name in the
file; ``; check NAME`` then runs the check NAME below against the project, in a fresh interpreter,
through duck's test client.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test.test_docs import ROOT, blocks_of

TUTORIAL = ROOT / "docs" / "tutorial.md"
PRELUDE = """
from duck.test import Client, WebSocketTimeout, setup_test_environment
setup_test_environment()
client = Client()
"""
CHECKS = {
    "hello": """
        assert client.get("/hello").text == "Hello from duck!"
        assert client.get("/hello/duck").text == "Hello, duck!"
        welcome = client.get("/").text
        assert "mysite is running" in welcome and "<code>DEBUG = True</code>" in welcome
    """,
    "template": """
        page = client.get("/hello/world").text
        assert "<h1>Hello, world!</h1>" in page and "<code>/hello/world</code>" in page
        assert 'href="/static/css/style.css"' in page and 'href="/"' in page
        assert "Hello, &lt;i&gt;duck!" in client.get("/hello/%3Ci%3Educk").text  # escaped
    """,
    "static": """
        css = client.get("/static/css/style.css").text
        assert css.rstrip().endswith("h1 { color: #c47f00; }")
    """,
    "one-room": """
        page = client.get("/chat").text
        assert "<h1>Chat</h1>" in page and '<p id="status">Connecting…</p>' in page
        assert 'href="/static/css/style.css"' in page and 'href="/static/css/chat.css"' in page
        assert '<script src="/static/js/chat.js" defer></script>' in page
        assert "#status.closed" in client.get("/static/css/chat.css").text
        script = client.get("/static/js/chat.js")
        assert script["content-type"].startswith("text/javascript") and "Reconnecting in" in script.text
        assert client.get("/hello").text == "Hello from duck!"  # section 4's routes are kept
        with client.websocket_connect("/ws/chat") as ann:
            assert ann.receive_text().endswith(" joined")
            with client.websocket_connect("/ws/chat") as bob:
                bob_joined = ann.receive_text()
                assert bob.receive_text() == bob_joined
                bob.send_text("hi")
                name = bob_joined.split()[0]
                assert ann.receive_text() == f"{name}: hi" == bob.receive_text()
    """,
    "rooms": """
        assert "<h1>Chat</h1>" in client.get("/chat/ducks").text
        assert "<h1>Hello, duck!</h1>" in client.get("/hello/duck").text  # section 5 kept
        with client.websocket_connect("/ws/chat/ducks") as ann, client.websocket_connect("/ws/chat/geese") as gus:
            assert ann.receive_text().endswith(" joined ducks")
            assert gus.receive_text().endswith(" joined geese")
            assert client.get("/chat/ducks/announce?text=hello").text == "sent"
            assert ann.receive_text() == "📣 hello"
            try:
                gus.receive_text(timeout=0.3)
            except WebSocketTimeout:
                pass
            else:
                raise AssertionError("another room heard the announcement")
    """,
    "history": """
        from duck.db import get_session
        from models import Message

        with get_session() as session, session.begin():
            session.add_all(Message(room="ducks", text=f"old {i}") for i in range(60))
            session.add(Message(room="geese", text="elsewhere"))
        with client.websocket_connect("/ws/chat/ducks") as ws:
            assert [ws.receive_text() for _ in range(50)] == [f"old {i}" for i in range(10, 60)]  # the last 50
            assert ws.receive_text().endswith("joined ducks")
            ws.send_text("hello")
            assert ws.receive_text().endswith(": hello")
        with client.websocket_connect("/ws/chat/ducks") as ws:
            assert [ws.receive_text() for _ in range(50)][-1].endswith(": hello")  # saved, replayed
    """,
    "accounts": """
        import re
        from duck.test import WebSocketRejected

        def token(page):
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        try:
            with client.websocket_connect("/ws/chat/ducks"):
                pass
        except WebSocketRejected as refused:
            assert refused.status_code == 401
        else:
            raise AssertionError("an anonymous socket was accepted")
        assert client.get("/chat/ducks")["location"] == "/login?next=/chat/ducks"
        form = {"username": "ann", "password": "correct horse", "next": "/chat/ducks"}
        signup = client.get("/signup?next=/chat/ducks").text
        assert 'href="/static/css/style.css"' in signup and '<main class="card">' in signup
        form["csrfmiddlewaretoken"] = token(signup)
        assert client.post("/signup", data=form)["location"] == "/chat/ducks"
        page = client.get("/chat/ducks").text
        assert '<strong id="me">ann</strong>' in page and 'src="/static/js/chat.js"' in page
        with client.websocket_connect("/ws/chat/ducks") as ws:
            while not (text := ws.receive_text()).endswith(" joined ducks"):
                pass  # the history comes first
            assert text == "ann joined ducks"
            ws.send_text("hi")
            assert ws.receive_text() == "ann: hi"
            strict = Client(enforce_csrf_checks=True)  # tests skip CSRF unless asked, as Django's client
            strict.cookies = client.cookies
            assert strict.post("/chat/ducks/announce", data={"text": "x"}).status_code == 403  # no CSRF token
            announced = client.post("/chat/ducks/announce", data={"text": "hello", "csrfmiddlewaretoken": token(page)})
            assert announced["location"] == "/chat/ducks"
            assert ws.receive_text() == "📣 ann: hello"
    """,
}


def apply_step(action: str, project: Path, relative: str, code: str) -> None:
    path = project / relative
    if action == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code + "\n")
    elif action == "append":
        path.write_text(path.read_text().rstrip("\n") + "\n\n\n" + code + "\n")
    elif action == "prepend":
        path.write_text(code + "\n" + path.read_text())
    elif action == "imports":
        path.write_text(replace_imports(path.read_text(), code))
    elif action == "replace":
        path.write_text(replace_definitions(path.read_text(), code))
    else:
        raise AssertionError(f"unknown tutorial step {action!r}")


def _key(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    if isinstance(node, ast.ImportFrom):
        return f"from {node.module}"
    return None


def replace_definitions(source: str, code: str) -> str:
    """``source`` with each top-level definition (or from-import) of ``code`` swapped in by name."""
    lines = source.split("\n")
    for new in ast.parse(code).body:
        key = _key(new)
        assert key, f"a replace step may only hold functions, classes and from-imports: {ast.dump(new)[:60]}"
        olds = [node for node in ast.parse("\n".join(lines)).body if _key(node) == key]
        assert len(olds) == 1, f"{key!r} is not in the file exactly once: the tutorial's step cannot be followed"
        old = olds[0]
        start = min([old.lineno, *(d.lineno for d in getattr(old, "decorator_list", []))]) - 1
        new_start = min([new.lineno, *(d.lineno for d in getattr(new, "decorator_list", []))])  # decorators too
        assert new.end_lineno is not None and old.end_lineno is not None
        lines[start : old.end_lineno] = code.split("\n")[new_start - 1 : new.end_lineno]
    return "\n".join(lines)


def replace_imports(source: str, code: str) -> str:
    """``source`` with the imports at its top (after its docstring, if any) replaced by ``code``."""
    body = ast.parse(source).body
    start = 1 if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else 0
    imports = []
    for node in body[start:]:
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
        imports.append(node)
    assert imports, "an imports step needs a file that starts with imports"
    assert all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.parse(code).body), code
    lines = source.split("\n")
    end = imports[-1].end_lineno
    assert end is not None
    lines[imports[0].lineno - 1 : end] = code.split("\n")
    return "\n".join(lines)


def test_imports_replaces_the_block_of_imports_at_the_top():
    source = '"""Doc."""\n\nimport b\nfrom c import d\n\n\ndef f():\n    import e\n'
    assert replace_imports(source, "import a\n\nimport b") == (
        '"""Doc."""\n\nimport a\n\nimport b\n\n\ndef f():\n    import e\n'
    )


def test_replace_swaps_functions_and_imports_by_name():
    source = "from a import b\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
    code = "from a import b, c\n\n\ndef f():\n    return 3"
    assert (
        replace_definitions(source, code)
        == "from a import b, c\n\n\ndef f():\n    return 3\n\n\ndef g():\n    return 2\n"
    )


def test_replace_keeps_the_decorators_of_the_new_definition():
    source = "def f():\n    return 1\n"
    assert replace_definitions(source, "@login_required\ndef f():\n    return 2") == (
        "@login_required\ndef f():\n    return 2\n"
    )


def run_check(name: str, project: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DUCK_SETTINGS_MODULE"}
    env.update(DUCK_SETTINGS_MODULE="settings", PYTHONPATH=os.pathsep.join([str(project), str(ROOT)]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    script = PRELUDE + textwrap.dedent(CHECKS[name])
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"tutorial check {name!r} failed:\n{result.stderr}"


def replay_tutorial(folder: Path, at_check: Callable[[str, Path], None] | None = None) -> Path:
    """Follow the tutorial in ``folder``; ``at_check(name, project)`` runs at each of its checks. The project."""
    cwd = folder
    env = {key: value for key, value in os.environ.items() if key != "DUCK_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    steps = [block for block in blocks_of(TUTORIAL) if block.kind == "tutorial"]
    assert steps, "docs/tutorial.md has no tutorial steps"
    for step in steps:
        assert step.target is not None
        action, _, check = step.target.partition(";")
        verb, _, relative = action.strip().partition(" ")
        if verb == "shell":
            result = subprocess.run(
                ["bash", "-ec", f"{step.code}\npwd"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, f"{step!r}: {result.stderr}"
            cwd = Path(result.stdout.strip().splitlines()[-1])
        else:
            apply_step(verb, cwd, relative.strip(), step.code)
        if check.strip() and at_check is not None:
            at_check(check.strip().removeprefix("check ").strip(), cwd)
    return cwd


@pytest.mark.slow
def test_the_tutorial_works_as_written(tmp_path):
    done: list[str] = []

    def check(name: str, project: Path) -> None:
        run_check(name, project)
        done.append(name)

    replay_tutorial(tmp_path, check)
    assert done == list(CHECKS), "every check ran, in the tutorial's order"
