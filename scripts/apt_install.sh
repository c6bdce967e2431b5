#!/usr/bin/env bash
# apt-get install PACKAGES without starting their services: mapapp starts PostgreSQL and
# nginx itself, under a temporary folder, never as system services. A policy-rc.d that
# refuses every start is in place for the install only (unless one already is).
set -euo pipefail
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "apt_install: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
policy=/usr/sbin/policy-rc.d
made=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  made=1
fi
cleanup() { if [ -n "$made" ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "$@"
