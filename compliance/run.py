"""Run the Autobahn|Testsuite fuzzing client against an echo WebSocket server.

    python -m compliance.run                      # cases 1-10 against duck (the CI subset, ~20 s)
    python -m compliance.run --full               # adds 12.x/13.x permessage-deflate (~11-15 min)
    python -m compliance.run --server websockets  # the reference: checks the harness itself
    python -m compliance.run --cases 5,6.4.*      # a few groups or cases while debugging

Steps: make the Python 2.7 virtualenv with wstest (once, cached in compliance/.venv2),
start the echo server on a free 127.0.0.1 port, write compliance/reports/spec.json, run
``wstest -m fuzzingclient`` with a timeout, read compliance/reports/index.json, print a
summary and exit non-zero when a case failed. wstest's own output goes to
compliance/reports/wstest.log and the server's to compliance/reports/server.log; the
per-case details are in compliance/reports/<agent>_case_<id>.json (and an HTML report
in compliance/reports/index.html).

Exit status: 0 every case acceptable, 1 some case failed, 2 the harness could not run
(no Python 2.7, setup failed, server did not start, wstest timed out).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fnmatch
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV2 = HERE / ".venv2"
TOOLS = HERE / ".venv-tools"
REQUIREMENTS = HERE / "requirements-py2.txt"
REPORTS = HERE / "reports"
READY_MARKER = VENV2 / ".autobahn-ready"
VIRTUALENV_PIN = "virtualenv==20.21.1"  # the last virtualenv able to create Python 2.7 environments
PY2_VERSION = "2.7.18"

# Top-level Autobahn case groups (there is no group 8). 12 and 13 are permessage-deflate.
CASE_GROUPS = (1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13)
DEFAULT_CASES = "1-10"
COMPRESSION_GROUPS = ("12.*", "13.*")

# Cases allowed to end with a failing verdict, each because it hits a limit the echo server is
# deliberately configured with -- never because of a bug. Keys are case ids or fnmatch patterns
# ("9.1.*"), values say which limit and why. Currently empty: compliance/echo_server.py sets
# WEBSOCKET_MAX_MESSAGE_SIZE and MAX_FRAME_SIZE to 16 MiB, above the largest 9.x message
# (16 MiB exactly is 9.1.6/9.2.6: payload 16 * 2**20 bytes) so all of 1-13 must pass as they are.
# Example of a legitimate entry, were the limit lowered to 4 MiB:
#     "9.1.5": "8 MiB text message > WEBSOCKET_MAX_MESSAGE_SIZE (4 MiB): server closes 1009 by design",
ALLOWED: dict[str, str] = {}

# Known deviations of the *reference* servers (never of duck): --server websockets checks the
# harness, and these are the websockets library's own choices, not harness faults.
REFERENCE_DEVIATIONS: dict[str, dict[str, str]] = {
    "websockets": {
        # A close frame arriving between the fragments of a message: RFC 6455 5.4 lets control
        # frames interleave with fragments, so Autobahn expects the close echoed (1000). websockets
        # (17.x) instead fails the connection with 1002 "incomplete fragmented message".
        "7.1.5": "websockets answers a close received mid-fragmented-message with 1002 (WRONG CODE)",
    },
}

# behavior verdicts: OK, NON-STRICT and INFORMATIONAL are conformant; FAILED and UNIMPLEMENTED are not.
BAD_BEHAVIOR = {"FAILED", "UNIMPLEMENTED"}
# behaviorClose verdicts: OK and INFORMATIONAL are fine; "FAILED BY CLIENT" means the client had to
# drop TCP after the closing handshake (the RFC only says the server SHOULD close first), so it is
# reported but tolerated. FAILED (wrong endpoint failed the connection, or no handshake), WRONG CODE
# and UNCLEAN (the spec requires a clean close) are wrong close behaviour.
BAD_CLOSE = {"FAILED", "WRONG CODE", "UNCLEAN"}
BEHAVIOR_ORDER = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
CLOSE_ORDER = ["OK", "INFORMATIONAL", "FAILED BY CLIENT", "WRONG CODE", "UNCLEAN", "FAILED"]

SERVERS = {
    # name: (module run with ``python -m``, URL path of the echo endpoint)
    "duck": ("compliance.echo_server", "/"),
    "websockets": ("compliance.websockets_echo_server", "/"),
}


class HarnessError(Exception):
    """The suite could not be run at all (exit status 2)."""


# --- Python 2.7 and the wstest virtualenv ------------------------------------------------------
def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    if shutil.which("pyenv"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10).stdout.strip()
            if out:
                return Path(out)
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _is_python27(candidate: str) -> bool:
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() == "2.7"


def find_python27() -> str | None:
    """Path of a working Python 2.7: $AUTOBAHN_PYTHON2, pyenv's 2.7.18, then python2.7 on PATH."""
    candidates = []
    if os.environ.get("AUTOBAHN_PYTHON2"):
        candidates.append(os.environ["AUTOBAHN_PYTHON2"])
    root = _pyenv_root()
    if root is not None:
        candidates.append(str(root / "versions" / PY2_VERSION / "bin" / "python"))
    for name in ("python2.7", "python2"):
        found = shutil.which(name)
        if found:
            candidates.append(found)
    for candidate in candidates:
        if (os.path.isfile(candidate) or shutil.which(candidate)) and _is_python27(candidate):
            return candidate
    return None


def _setup_key(python2: str) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(os.path.realpath(python2).encode())
    return digest.hexdigest()


def _run_logged(cmd: list[str], log, what: str, timeout: float) -> None:
    log.write(f"\n$ {' '.join(cmd)}\n")
    log.flush()
    try:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"{what} took longer than {timeout:.0f} s") from exc
    if proc.returncode != 0:
        raise HarnessError(f"{what} failed (exit {proc.returncode})")


@contextlib.contextmanager
def _setup_lock():
    """Serialise venv setup between concurrent runs (e.g. two test sessions)."""
    TOOLS.mkdir(parents=True, exist_ok=True)
    with open(TOOLS / "setup.lock", "w") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: no locking
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wstest_path() -> Path:
    return VENV2 / "bin" / "wstest"


def ensure_venv2(python2: str, quiet: bool = True) -> Path:
    """Create compliance/.venv2 with wstest unless it is already there for these requirements."""
    key = _setup_key(python2)
    with _setup_lock():
        if READY_MARKER.is_file() and READY_MARKER.read_text().strip() == key and wstest_path().exists():
            return wstest_path()
        REPORTS.mkdir(parents=True, exist_ok=True)
        log_path = REPORTS / "setup.log"
        if not quiet:
            print(f"Setting up the Python 2.7 wstest environment in {VENV2} (log: {log_path}) ...", flush=True)
        started = time.monotonic()
        with open(log_path, "w") as log:
            try:
                tools_python = TOOLS / "bin" / "python"
                if not (TOOLS / "bin" / "virtualenv").exists():
                    _run_logged([sys.executable, "-m", "venv", str(TOOLS)], log, "python -m venv", 300)
                    _run_logged(
                        [str(tools_python), "-m", "pip", "install", "--quiet", VIRTUALENV_PIN],
                        log,
                        f"pip install {VIRTUALENV_PIN}",
                        600,
                    )
                with contextlib.suppress(FileNotFoundError):
                    READY_MARKER.unlink()
                _run_logged(
                    [
                        str(tools_python),
                        "-m",
                        "virtualenv",
                        "--clear",
                        "--no-periodic-update",
                        "-p",
                        python2,
                        str(VENV2),
                    ],
                    log,
                    "virtualenv (Python 2.7)",
                    300,
                )
                _run_logged(
                    [str(VENV2 / "bin" / "python"), "-m", "pip", "install", "--no-input", "-r", str(REQUIREMENTS)],
                    log,
                    "pip install -r compliance/requirements-py2.txt",
                    1200,
                )
                _run_logged(
                    [str(VENV2 / "bin" / "python"), "-c", "import autobahntestsuite.wstest"],
                    log,
                    "import autobahntestsuite",
                    120,
                )
            except HarnessError as exc:
                raise HarnessError(f"{exc}; see {log_path}:\n{_tail(log_path, 30)}") from None
        READY_MARKER.write_text(key + "\n")
        if not quiet:
            print(f"... done in {time.monotonic() - started:.0f} s", flush=True)
    return wstest_path()


# --- the echo server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text[-lines:])


def _handshake_status(port: int, path: str, timeout: float = 5.0) -> str:
    """Send one opening handshake; return the response's status line."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        with contextlib.suppress(OSError):  # be polite: close the WebSocket we may have opened
            sock.sendall(b"\x88\x82" + os.urandom(4) + b"\x03\xe8")
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def start_server(name: str, port: int, log_path: Path) -> subprocess.Popen:
    module, _ = SERVERS[name]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() takes any children with it
        )


def wait_until_ready(proc: subprocess.Popen, name: str, port: int, path: str, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise HarnessError(f"the {name} echo server exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"the {name} echo server did not listen on port {port} within {timeout:.0f} s"
                ) from None
            time.sleep(0.1)
    try:
        status = _handshake_status(port, path)
    except OSError as exc:
        raise HarnessError(f"the {name} echo server accepted TCP but the handshake failed: {exc}") from None
    if " 101 " not in status + " ":
        raise HarnessError(f"the {name} echo server answered the handshake with {status!r}:\n{_tail(log_path)}")


def stop(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    """Terminate ``proc`` and its process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- cases and the spec ---------------------------------------------------------------------------
def parse_cases(text: str) -> list[str]:
    """'1-10' -> the groups 1..10 that exist; '9' -> '9.*'; anything else is a wstest pattern."""
    patterns: list[str] = []
    for token in re.split(r"[,\s]+", text.strip()):
        if not token:
            continue
        span = re.fullmatch(r"(\d+)-(\d+)", token)
        if span:
            low, high = int(span[1]), int(span[2])
            patterns += [f"{group}.*" for group in CASE_GROUPS if low <= group <= high]
        elif token.isdigit():
            patterns.append(f"{token}.*")
        else:
            patterns.append(token)
    if not patterns:
        raise HarnessError(f"--cases {text!r} selects no case")
    return list(dict.fromkeys(patterns))


def write_spec(path: Path, agent: str, url: str, cases: list[str], exclude: list[str], outdir: Path) -> None:
    spec = {
        "options": {},  # wstest's defaults, i.e. failByDrop false as the spec allows dropping TCP on failure
        "outdir": str(outdir),
        "servers": [{"agent": agent, "url": url}],
        "cases": cases,
        "exclude-cases": exclude,
        "exclude-agent-cases": {},
    }
    path.write_text(json.dumps(spec, indent=2) + "\n")


def run_wstest(wstest: Path, spec_path: Path, log_path: Path, timeout: float) -> float:
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(wstest), "-m", "fuzzingclient", "-s", str(spec_path)],
            cwd=spec_path.parent,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            stop(proc, grace=2)
            running = re.findall(r"Running test case ID (\S+)", log_path.read_text(errors="replace"))
            where = f"; the last case started was {running[-1]}" if running else ""
            raise HarnessError(f"wstest did not finish within {timeout:.0f} s{where} (log: {log_path})") from None
        finally:
            stop(proc, grace=2)
    if proc.returncode != 0:
        raise HarnessError(f"wstest exited with {proc.returncode}:\n{_tail(log_path)}")
    return time.monotonic() - started


# --- results --------------------------------------------------------------------------------------
def case_key(case_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in case_id.split(".") if part.isdigit())


def allowed_reason(case_id: str, server: str) -> str | None:
    for pattern, reason in {**ALLOWED, **REFERENCE_DEVIATIONS.get(server, {})}.items():
        if fnmatch.fnmatchcase(case_id, pattern):
            return reason
    return None


def is_bad(result: dict) -> bool:
    return result.get("behavior") in BAD_BEHAVIOR or result.get("behaviorClose") in BAD_CLOSE


def _short(value, limit: int = 300) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def describe_failure(case_id: str, result: dict, outdir: Path) -> str:
    lines = [f"  {case_id}: behavior={result.get('behavior')} behaviorClose={result.get('behaviorClose')}"]
    report_path = outdir / result.get("reportfile", "")
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError):
        return lines[0] + f"  (no {report_path.name})"
    desc = re.sub(r"<[^>]+>", "", report.get("description", "")).strip()
    lines.append(f"      case: {_short(desc, 200)}")
    lines.append(f"      expected: {_short(report.get('expectation', ''), 200)}")
    lines.append(f"      result: {report.get('result')} / {report.get('resultClose')}")
    lines.append(
        "      close: remote code={} reason={!r} wasClean={} droppedByMe={} failedByMe={}{}".format(
            report.get("remoteCloseCode"),
            report.get("remoteCloseReason"),
            report.get("wasClean"),
            report.get("droppedByMe"),
            report.get("failedByMe"),
            f" ({report['wasNotCleanReason']})" if report.get("wasNotCleanReason") else "",
        )
    )
    lines.append(f"      received: {_short(report.get('received'))}")
    lines.append(f"      report: {report_path}")
    return "\n".join(lines)


def summarise(results: dict[str, dict], server: str, outdir: Path, header: str, verbose: bool) -> int:
    behavior = Counter(r.get("behavior") for r in results.values())
    close = Counter(r.get("behaviorClose") for r in results.values())
    rows = BEHAVIOR_ORDER + [c for c in CLOSE_ORDER if c not in BEHAVIOR_ORDER]
    rows += sorted((set(behavior) | set(close)) - set(rows), key=str)
    print(header)
    print(f"  {'verdict':<18}{'behavior':>10}{'behaviorClose':>15}")
    for row in rows:
        b = behavior.get(row, 0) if row in BEHAVIOR_ORDER or row in behavior else None
        c = close.get(row, 0) if row in CLOSE_ORDER or row in close else None
        if not b and not c and row not in ("OK", "FAILED"):
            continue
        print(f"  {row!s:<18}{'-' if b is None else b:>10}{'-' if c is None else c:>15}")

    failed, allowed = [], []
    for case_id in sorted(results, key=case_key):
        if is_bad(results[case_id]):
            (allowed if allowed_reason(case_id, server) else failed).append(case_id)
    for case_id in allowed:
        print(
            f"  allowed {case_id} ({results[case_id].get('behavior')}/{results[case_id].get('behaviorClose')}): "
            f"{allowed_reason(case_id, server)}"
        )
    allow_list = {**ALLOWED, **REFERENCE_DEVIATIONS.get(server, {})}
    stale = sorted(
        p
        for p in allow_list
        if not any(fnmatch.fnmatchcase(c, p) for c in allowed) and any(fnmatch.fnmatchcase(c, p) for c in results)
    )
    for pattern in stale:
        print(f"  note: ALLOWED entry {pattern!r} is no longer needed (those cases pass)")
    if verbose:
        tolerated = [
            c
            for c in sorted(results, key=case_key)
            if c not in failed
            and c not in allowed
            and (results[c].get("behavior") != "OK" or results[c].get("behaviorClose") != "OK")
        ]
        for case_id in tolerated:
            print(f"  {case_id}: {results[case_id].get('behavior')}/{results[case_id].get('behaviorClose')}")
    if failed:
        print(f"\n{len(failed)} case(s) FAILED:")
        for case_id in failed:
            print(describe_failure(case_id, results[case_id], outdir))
        print(f"\nHTML report: {outdir / 'index.html'}; wstest log: {outdir / 'wstest.log'}")
        return 1
    print(f"  all {len(results)} cases acceptable")
    return 0


def _print_server_problems(log_path: Path, limit: int = 20) -> None:
    """Show the server's warnings, errors and tracebacks (its INFO lines are routine)."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return
    noisy = re.compile(r"WARNING|ERROR|CRITICAL|Traceback|Error\b|Exception")
    problems = [line for line in lines if noisy.search(line) or line.startswith(" ")]
    if problems:
        print(f"server warnings/errors ({len(problems)} lines, full log {log_path}):")
        print("\n".join("    " + line for line in problems[-limit:]))


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


# --- main -----------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m compliance.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", choices=sorted(SERVERS), default="duck", help="echo server to test (default: duck)")
    parser.add_argument(
        "--cases",
        default=DEFAULT_CASES,
        help="groups/cases: '1-10' (default), '9', '6.4.*', '5,7.1.1' (no group 8 exists)",
    )
    parser.add_argument("--full", action="store_true", help="also run 12.* and 13.* (permessage-deflate, ~11-15 min)")
    parser.add_argument("--exclude", default="", help="cases/patterns to leave out, comma separated")
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds wstest may run (default 300, 1800 with compression cases)"
    )
    parser.add_argument("--outdir", type=Path, default=REPORTS, help="report directory (default compliance/reports)")
    parser.add_argument("--setup-only", action="store_true", help="create the py2 wstest environment and stop")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every case that is not plain OK/OK")
    args = parser.parse_args(argv)

    # SIGTERM (e.g. from a test runner's timeout) unwinds like Ctrl-C, so the finally blocks
    # below stop the echo server and wstest instead of leaving them running.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    server = None
    try:
        python2 = find_python27()
        if python2 is None:
            raise HarnessError(
                f"Python 2.7 not found (looked at $AUTOBAHN_PYTHON2, $(pyenv root)/versions/{PY2_VERSION}/bin/python, "
                "python2.7 on PATH); wstest needs it"
            )
        wstest = ensure_venv2(python2, quiet=not args.verbose)
        if args.setup_only:
            print(f"wstest ready: {wstest}")
            return 0

        cases = parse_cases(args.cases)
        if args.full:
            cases += [c for c in COMPRESSION_GROUPS if c not in cases]
        exclude = [c for c in re.split(r"[,\s]+", args.exclude) if c]
        timeout = args.timeout or (1800.0 if any(c.split(".")[0] in ("12", "13") for c in cases) else 300.0)

        outdir = args.outdir.resolve()
        if outdir.exists():
            for entry in outdir.iterdir():  # only old results: keep setup.log
                if entry.is_file() and entry.suffix in (".json", ".html", ".log") and entry.name != "setup.log":
                    entry.unlink()
        outdir.mkdir(parents=True, exist_ok=True)

        port = free_port()
        _, path = SERVERS[args.server]
        url = f"ws://127.0.0.1:{port}{path}"
        server_log = outdir / "server.log"
        server = start_server(args.server, port, server_log)
        wait_until_ready(server, args.server, port, path, server_log, timeout=30)

        spec_path = outdir / "spec.json"
        write_spec(spec_path, args.server, url, cases, exclude, outdir)
        elapsed = run_wstest(wstest, spec_path, outdir / "wstest.log", timeout)
        if server.poll() is not None:
            print(
                f"warning: the {args.server} echo server exited with {server.returncode} during the run:\n"
                f"{_tail(server_log)}"
            )

        try:
            index = json.loads((outdir / "index.json").read_text())
        except (OSError, ValueError) as exc:
            raise HarnessError(f"no usable {outdir / 'index.json'}: {exc}\n{_tail(outdir / 'wstest.log')}") from None
        results = index.get(args.server) or {}
        if not results:
            raise HarnessError(f"index.json has no results for agent {args.server!r}")
        header = (
            f"Autobahn|Testsuite vs {args.server} ({url}), cases {','.join(cases)}"
            f"{' excluding ' + ','.join(exclude) if exclude else ''}: {len(results)} cases in {elapsed:.1f} s"
        )
        status = summarise(results, args.server, outdir, header, args.verbose)
        if status:
            _print_server_problems(server_log)
        return status
    except HarnessError as exc:
        print(f"compliance.run: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("compliance.run: interrupted", file=sys.stderr)
        return 130
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main())
