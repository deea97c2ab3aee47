#!/usr/bin/env bash
# Install the real-network lab's server software from Debian's packages, only when missing.
#
#   bind9            authoritative name servers + the lab's recursive resolver (named)
#   bind9-utils      dnssec-keygen / dnssec-signzone (the lab signs gov.example for real)
#   bind9-dnsutils   dig, for people poking at the lab
#   nginx            dual-stack virtual hosts (HTTP + HTTPS)
#   nftables         make addresses drop (timeouts) or refuse (TCP reset)
#   exim4-daemon-light  a real SMTP listener for the MX scenarios
#   iproute2         ip netns / veth
#   postgresql       server binaries for tests/test_postgres.py (the PostgreSQL import path of the history)
#   chromium         headless browser for tests/test_html_pages.py (every HTML report page rendered, printed to A4)
#   strace           the benchmark's slow disk (bench --history-fsync-ms: every fsync made slower)
#
# Idempotent. Never fails CI for an environment reason: without root or apt it says why and
# exits 0, and tests/test_netlab.py then skips with a message naming what is missing.
# Services are never started on the host: a policy-rc.d that denies starting them is put in
# place for the install (unless one already exists) and removed afterwards.
set -uo pipefail

PACKAGES=(bind9 bind9-utils bind9-dnsutils nginx nftables exim4-daemon-light iproute2 postgresql chromium strace)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "netlab: server packages already installed"
    exit 0
fi
echo "netlab: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "netlab: not root, cannot install ${missing[*]}: the real-network lab tests will be skipped" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "netlab: no apt-get, cannot install ${missing[*]}: the real-network lab tests will be skipped" >&2
    exit 0
fi

policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# netlab/install-deps.sh: do not start services while installing\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
fi
cleanup() { if [ -n "$ours" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
    apt-get update -q || true   # a fresh image has no package lists yet
fi
apt_install() { apt-get install -y -q --no-install-recommends "${missing[@]}"; }
if ! apt_install; then
    echo "netlab: install failed, refreshing the package lists and trying again" >&2
    if ! { apt-get update -q && apt_install; }; then
        echo "netlab: could not install ${missing[*]}: the real-network lab tests will be skipped" >&2
        exit 0
    fi
fi
echo "netlab: installed ${missing[*]}"
