#!/usr/bin/env bash
# The Debian packages Cabinet's make targets need: Kafka runs on the JDK (its jars fetched
# with Maven), the web assets come from npm, receipts are read with Tesseract; with
# --browser the browser tests drive Debian's Chromium; with --postgres production mode and
# the tests run Debian's PostgreSQL 15 server; with --images `make images` and tests/images
# build and run containers with Debian's tools (no image registry is reachable: the base
# is made with mmdebstrap; runc because crun refuses hybrid cgroup layouts such as these
# machines'). Run as root, it installs what is missing with apt-get; otherwise it prints
# one line saying what to install and fails. (SYSTEM_ROOT: where the files it looks for
# live, / unless a test says otherwise.)
set -euo pipefail

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need java openjdk-17-jre-headless
need mvn maven
need npm npm
# Reading receipts: Tesseract with its English data; the tests draw receipts in DejaVu.
need tesseract tesseract-ocr
root="${SYSTEM_ROOT:-}"
compgen -G "$root/usr/share/tesseract-ocr/*/tessdata/eng.traineddata" >/dev/null || missing+=(tesseract-ocr-eng)
[ -f "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ] || missing+=(fonts-dejavu-core)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
case "${1:-}" in
  --browser) need chromium chromium ;;
  --postgres) [ -x "$root/usr/lib/postgresql/15/bin/initdb" ] || missing+=(postgresql-15) ;;
  --images)
    for tool in mmdebstrap buildah podman runc; do need "$tool" "$tool"; done
    for package in uidmap fuse-overlayfs; do installed "$package" || missing+=("$package"); done
    ;;
esac
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
