#!/bin/sh
# Installs the external tools the observability tests need (test/observability/), from Debian, and only
# those that are missing, so it is cheap to call at the start of every CI run:
#
#   prometheus, promtool   package prometheus              (2.42 on Debian 12)
#   amtool                 package prometheus-alertmanager
#   docker-compose         package docker-compose          (1.29; validates the compose file only, no engine)
#   redis-server           package redis-server            (the cluster tests start their own, on loopback)
#
# --no-install-recommends keeps docker-compose from pulling in the Docker engine (docker.io), and the
# prometheus package from pulling in node-exporter.
set -eu

need=""
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need="$need prometheus"
command -v amtool >/dev/null 2>&1 || need="$need prometheus-alertmanager"
command -v docker-compose >/dev/null 2>&1 || need="$need docker-compose"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"

if [ -z "$need" ]; then
  echo "ci-install-tools: prometheus, promtool, amtool, docker-compose and redis-server are already installed"
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
