#!/usr/bin/env bash
# The Debian packages Cabinet's make targets need: Kafka runs on the JDK (its jars fetched
# with Maven), the web assets come from npm, and with --browser the browser tests drive
# Debian's Chromium. Run as root, it installs what is missing with apt-get; otherwise it
# prints one line saying what to install and fails.
set -euo pipefail

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need java openjdk-17-jre-headless
need mvn maven
need npm npm
if [ "${1:-}" = "--browser" ]; then
  need chromium chromium
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]}" >&2
  # Wait for another apt run (up to 20 minutes) rather than fail on its lock.
  apt-get -o DPkg::Lock::Timeout=1200 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=1200 install -y -qq "${missing[@]}"
else
  echo "Install these Debian packages first (as root): apt-get install ${missing[*]}" >&2
  exit 1
fi
