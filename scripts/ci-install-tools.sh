#!/bin/sh
# Installs the external tools the observability and browser tests need (test/observability/,
# test/status/*.browser.test.ts), from Debian, and only
# those that are missing, so it is cheap to call at the start of every CI run:
#
#   prometheus, promtool   package prometheus              (2.42 on Debian 12)
#   amtool                 package prometheus-alertmanager
#   docker-compose         package docker-compose          (1.29; validates the compose file only, no engine)
#   openssl                package openssl                 (throw-away CA and certificates for the TLS tests)
#   chromium               package chromium                (the status page's browser tests, via playwright-core)
#   g++, make, python3     packages g++ make python3       (build better-sqlite3's native module in `npm ci`
#                                                           when no prebuilt binary can be downloaded)
#   redis-server           package redis-server            (the cluster tests start their own, on loopback)
#
# --no-install-recommends keeps docker-compose from pulling in the Docker engine (docker.io), and the
# prometheus package from pulling in node-exporter.
set -eu

need=""
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need="$need prometheus"
command -v amtool >/dev/null 2>&1 || need="$need prometheus-alertmanager"
command -v docker-compose >/dev/null 2>&1 || need="$need docker-compose"
# openssl: the TLS tests make a throwaway CA and server certificate (test/support/throwaway-ca.ts).
command -v openssl >/dev/null 2>&1 || need="$need openssl"
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need="$need chromium"
command -v g++ >/dev/null 2>&1 || need="$need g++"
command -v make >/dev/null 2>&1 || need="$need make"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"

if [ -z "$need" ]; then
  echo "ci-install-tools: prometheus, promtool, amtool, docker-compose, openssl, chromium, redis-server and a C++ toolchain are already installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "ci-install-tools: need root (or sudo) to install:$need" >&2
  exit 1
fi

echo "ci-install-tools: installing$need"
$as_root apt-get update
# shellcheck disable=SC2086 # $need is a list of package names
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
