#!/usr/bin/env bash
# Installs Mesa 25's lavapipe (software Vulkan) from bookworm-backports so that Dawn finds an adapter
# on machines without a GPU. Debian bookworm's own Mesa 22 lacks a feature Dawn requires.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "install-lavapipe: run as root" >&2; exit 1; fi
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
  sed -i 's/^Suites: bookworm bookworm-updates$/& bookworm-backports/' "$src"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
