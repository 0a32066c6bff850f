#!/usr/bin/env bash
# Run the tests on every Python duck supports that this machine has (CI runs the default python3
# only, through scripts/test.sh): for each of 3.10 and newer, found as a pyenv version or as
# python3.X on PATH, a virtual environment with duck installed there ('.[test]', editable), then
# mypy for that Python's version and pytest.
#
# Usage: bash scripts/test-pythons.sh [pytest args...]     e.g. -m "not slow" -x
# Environment: PYTHONS="3.10 3.13" picks the versions (default: 3.10 to 3.14, those found);
# DUCK_VENVS is where the environments live, outside the repository (default: $TMPDIR/duck-venvs),
# kept between runs so the next run only updates them.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=${PYTHONS:-"3.10 3.11 3.12 3.13 3.14"}
venvs=${DUCK_VENVS:-${TMPDIR:-/tmp}/duck-venvs}

# The interpreter of Python $1 (e.g. 3.13): pyenv's newest install of it, else python3.13 on PATH.
find_python() {
  local version=$1 candidate=""
  if command -v pyenv >/dev/null 2>&1; then
    candidate=$(ls -d "$(pyenv root)/versions/$version".*/bin/python"$version" 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  if [ -z "$candidate" ]; then
    candidate=$(command -v "python$version" || true)
  fi
  # A pyenv shim is on PATH for versions that are not selected: it must really run that version.
  if [ -n "$candidate" ] && "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" 2>/dev/null; then
    echo "$candidate"
  fi
}

bash scripts/debian-packages.sh
mkdir -p "$venvs"
results=()
status=0
ran=0
for version in $versions; do
  python=$(find_python "$version")
  if [ -z "$python" ]; then
    results+=("$version: not found")
    continue
  fi
  venv="$venvs/py$version"
  ran=$((ran + 1))
  echo "== Python $version ($python), environment $venv"
  if [ ! -x "$venv/bin/python" ] && ! "$python" -m venv "$venv"; then
    results+=("$version: cannot make a virtual environment (Debian: apt-get install python$version-venv)")
    status=1
    continue
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
  # The venv's bin first: tests that run `duck`, `pytest` or `ruff` get this Python's.
  if PATH="$venv/bin:$PATH" "$venv/bin/python" -m mypy --python-version "$version" \
    && PATH="$venv/bin:$PATH" "$venv/bin/python" -m pytest -p no:cacheprovider "$@"; then
    results+=("$version: passed")
  else
    results+=("$version: FAILED")
    status=1
  fi
done

echo "== Summary"
printf '%s\n' "${results[@]}"
[ "$ran" -gt 0 ] || { echo "No Python of $versions found."; status=1; }
exit $status
