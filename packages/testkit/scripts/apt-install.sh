# apt-install.sh - sourced by the install-*.sh scripts beside it (Debian/Ubuntu).
#
#   install_packages [--debconf SELECTION] "what to install by hand without apt-get" PACKAGE...
#
# Installs the packages as root, non-interactively, without starting any system service: the test
# kit runs its own servers in temporary directories, so policy-rc.d answers 101 ("action forbidden")
# to invoke-rc.d while apt-get runs, and is removed again on exit unless it was there before.
install_packages() {
  local selection=''
  if [ "$1" = --debconf ]; then selection=$2; shift 2; fi
  local what=$1
  shift
  local script
  script=$(basename "$0")
  [ "$(id -u)" = 0 ] || { echo "$script: needs root (try: sudo $0)" >&2; exit 1; }
  command -v apt-get >/dev/null 2>&1 || { echo "$script: apt-get not found; install $what with your package manager" >&2; exit 1; }
  if [ -n "$selection" ]; then echo "$selection" | debconf-set-selections; fi
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600)
  # From the package index the image has first (fast when it has one), then from a refreshed one.
  "${apt[@]}" "$@" || { apt-get update -q && "${apt[@]}" "$@"; }
}
