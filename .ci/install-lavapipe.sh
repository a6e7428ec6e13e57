#!/usr/bin/env bash
# Installs Mesa 25's lavapipe (software Vulkan) from bookworm-backports so that Dawn finds an adapter
# on machines without a GPU. Debian bookworm's own Mesa 22 lacks a feature Dawn requires.
#
# Run as root (in a root shell: `.ci/install-lavapipe.sh`; as a user: `sudo .ci/install-lavapipe.sh`). It enables
# bookworm-backports itself: in the deb822 sources that Debian's images ship, or, on machines with a one-line
# sources.list, in a list file of its own.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then echo "install-lavapipe: run as root (sudo $0)" >&2; exit 1; fi
src=/etc/apt/sources.list.d/debian.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if grep -qs '^Suites: bookworm bookworm-updates$' "$src"; then
    sed -i 's/^Suites: bookworm bookworm-updates$/& bookworm-backports/' "$src"
  else
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/bookworm-backports.list
  fi
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
