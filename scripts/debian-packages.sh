#!/usr/bin/env bash
# Install, from Debian's packages, the real peers the test suite runs against, when missing:
# redis-server, chromium, openssl, curl, nginx and PostgreSQL's server binaries.
# Usage: bash scripts/debian-packages.sh (scripts/test.sh and scripts/test-pythons.sh run it)
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# TLS tests: openssl makes the certificate (the command docs/deployment.md gives), curl is a real https client.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# A real reverse proxy in front of duck runserver (tests/interop/test_nginx_proxy.py): Debian's nginx.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# PostgreSQL's server binaries (the tests start their own cluster in a temporary folder).
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
