#!/usr/bin/env bash
# Make sure the servers the tests use are installed and running on this machine:
# PostgreSQL (127.0.0.1:5432, database `test`, trust auth for postgres), Redis
# (127.0.0.1:6379), and the Dovecot, Chromium and w3m binaries (the tests start
# Dovecot themselves), and docker-compose (its `config` checks docker-compose.yml). Installs from Debian's packages when something is missing.
set -euo pipefail

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v w3m >/dev/null || need+=(w3m)
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(npm)
command -v docker-compose >/dev/null || need+=(docker-compose)  # `docker-compose config`
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  echo "installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

pg_ready() { psql "postgresql://postgres@127.0.0.1:5432/test" -qtAc 'select 1' >/dev/null 2>&1; }
if ! pg_ready; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  if ! pg_ready; then
    # A fresh Debian cluster: let postgres in over loopback without a password, create `test`.
    hba=/etc/postgresql/$version/main/pg_hba.conf
    grep -q 'focalbot-tests' "$hba" || sed -i '1i host all postgres 127.0.0.1/32 trust # focalbot-tests' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    su postgres -c "psql -qtAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
      || su postgres -c "createdb test"
  fi
  pg_ready || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/focalbot-tests.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
echo "test servers ready: PostgreSQL, Redis; Dovecot $(/usr/sbin/dovecot --version | cut -d' ' -f1)"
