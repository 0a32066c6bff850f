#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then lint and run the tests.
# Usage: bash scripts/test.sh [pytest args...]
# (On the default python3 only: scripts/test-pythons.sh runs the tests on every Python duck supports.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/debian-packages.sh
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
python3 -m pytest "$@"
