#!/usr/bin/env bash
# Installs the servers the tests talk to, from the distribution's packages,
# when they are missing: redis-server (queue), dovecot-imapd (IMAP tests),
# chromium (dashboard browser test). Safe to run again.
set -euo pipefail
want=()
command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
[ -x /usr/sbin/dovecot ] || want+=(dovecot-imapd)
command -v chromium >/dev/null 2>&1 || want+=(chromium)
[ ${#want[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: please install: ${want[*]} (no apt-get here)" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "test-deps: installing ${want[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# Install what can be installed; a missing optional server only skips its tests.
$sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
for p in "${want[@]}"; do
  [ "$p" = redis-server ] && continue
  $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null || echo "test-deps: could not install $p; its tests will be skipped" >&2
done
# The packages may start system services; the tests start their own servers.
for s in redis-server dovecot; do
  $sudo service "$s" stop >/dev/null 2>&1 || true
done
