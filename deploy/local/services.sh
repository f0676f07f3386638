#!/usr/bin/env bash
# Local development services for SisomCluster:
#   * PostgreSQL 15 + pgvector  on 127.0.0.1:${SISOM_PG_PORT:-55432}
#   * RabbitMQ 3.10 (+ management) on 127.0.0.1:${SISOM_AMQP_PORT:-5672} / :${SISOM_AMQP_MGMT_PORT:-15672}
#   * an S3 API (s3rver, npm, deploy/local/s3) on 127.0.0.1:${SISOM_S3_PORT:-4569}, for s3:// pools
#
# Usage: deploy/local/services.sh up|down|status|env|rabbitmq-up|rabbitmq-down|pg-up|pg-down|s3-up|s3-down
#
#   up      install missing Debian packages (and build pgvector from the Debian 13
#           source package if needed), start both services, create users and
#           databases, then print the env lines (same as `env`). Idempotent.
#   down    stop what `up` started (by pid files). No-op when nothing runs.
#   status  report both services; exit 0 if both run, 3 otherwise.
#   env     print connection settings as NAME=VALUE lines on stdout.
#   rabbitmq-up / rabbitmq-down
#           start (and provision) or stop only the RabbitMQ node for SISOM_AMQP_PORT;
#           the fault tests use them to run and restart a broker of their own.
#   pg-up / pg-down
#           start (and provision) or stop only the PostgreSQL cluster for SISOM_PG_PORT;
#           the chaos benchmark (sisom bench chaos) stops and restarts a database of its own.
#   s3-up / s3-down
#           start or stop only the loopback S3 server (s3rver, credentials S3RVER/S3RVER) for
#           SISOM_S3_PORT; `up` starts it too (npm ci in deploy/local/s3 once, then offline).
#
# A port other than the default (SISOM_PG_PORT, SISOM_AMQP_PORT) gets a state directory of its own
# (.local/pg-<port>, .local/rabbitmq-<port>), so a private server never touches the shared one.
#
# Load the settings into a shell with:   export $(deploy/local/services.sh env)
# (Not `eval`: the values contain ';', which the shell would treat as a separator.)
#
# All state lives in <repo>/.local/ (git-ignored). Progress goes to stderr.
#
# !!! DEV-ONLY SETUP: PostgreSQL uses `trust` authentication for the unix socket
# !!! and 127.0.0.1 (any local user can connect as any role without a password),
# !!! and the RabbitMQ user sisom/sisom is an administrator. Both listen on
# !!! 127.0.0.1 only. Never use this for anything reachable from outside.
#
# Target: Debian 12 (bookworm), run as root.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
LOCAL_DIR=$REPO_ROOT/.local

LISTEN_ADDR=127.0.0.1
PG_PORT=${SISOM_PG_PORT:-55432}
AMQP_PORT=${SISOM_AMQP_PORT:-5672}
MGMT_PORT=${SISOM_AMQP_MGMT_PORT:-15672}
S3_PORT=${SISOM_S3_PORT:-4569}

DB_USER=sisom
DB_PASS=sisom
DB_NAMES=(sisom sisom_test)
MQ_USER=sisom
MQ_PASS=sisom

WAIT_SECS=60

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_CONFIG=$PG_BIN/pg_config
PG_OS_USER=postgres                     # postgres refuses to run as root
# One data directory per PostgreSQL port besides the default, like RabbitMQ below: the chaos benchmark stops and
# restarts a cluster of its own without touching the shared one.
if [[ $PG_PORT == 55432 ]]; then PG_ROOT=$LOCAL_DIR/pg; else PG_ROOT=$LOCAL_DIR/pg-$PG_PORT; fi
PG_DATA=$PG_ROOT/data
PG_LOGDIR=$PG_ROOT/log
PG_LOG=$PG_LOGDIR/postgresql.log
PG_SOCKDIR=$PG_ROOT/run
VECTOR_CONTROL=/usr/share/postgresql/$PG_VERSION/extension/vector.control

RMQ_BIN=/usr/lib/rabbitmq/bin
# One directory per AMQP port besides the default, so a second broker (the RabbitMQ-restart fault test starts
# its own) never shares pid files or configuration with the main one.
if [[ $AMQP_PORT == 5672 ]]; then RMQ_ROOT=$LOCAL_DIR/rabbitmq; else RMQ_ROOT=$LOCAL_DIR/rabbitmq-$AMQP_PORT; fi
RMQ_HOME=$RMQ_ROOT/home                 # holds the private .erlang.cookie
RMQ_MNESIA=$RMQ_ROOT/mnesia
RMQ_LOGDIR=$RMQ_ROOT/log
RMQ_PIDFILE=$RMQ_ROOT/rabbitmq.pid
RMQ_CONF=$RMQ_ROOT/rabbitmq.conf
RMQ_ADV_CONF=$RMQ_ROOT/advanced.config
RMQ_PLUGINS_FILE=$RMQ_ROOT/enabled_plugins
RMQ_ENV_FILE=$RMQ_ROOT/rabbitmq-env.conf
RMQ_NODENAME=sisom-$AMQP_PORT@localhost   # one node per port: two checkouts on one machine do not collide in epmd
RMQ_PROVISIONED=$RMQ_MNESIA/.$RMQ_NODENAME.provisioned   # per node: each node name has its own database
EPMD_PIDFILE=$RMQ_ROOT/epmd.pid
EPMD_FOREIGN=$RMQ_ROOT/epmd.not-ours    # epmd existed before us: never kill it

# s3rver: one data directory per port, like the others. DEV-ONLY: its fixed keys are S3RVER/S3RVER.
S3_APP=$SCRIPT_DIR/s3
if [[ $S3_PORT == 4569 ]]; then S3_ROOT=$LOCAL_DIR/s3; else S3_ROOT=$LOCAL_DIR/s3-$S3_PORT; fi
S3_DATA=$S3_ROOT/data
S3_LOG=$S3_ROOT/s3rver.log
S3_PIDFILE=$S3_ROOT/s3rver.pid
S3_KEY=S3RVER

APT_DIR=$LOCAL_DIR/apt
BUILD_DIR=$LOCAL_DIR/build
LOCK_FILE=$LOCAL_DIR/.services.lock

REQUIRED_PKGS=(
  postgresql-$PG_VERSION
  postgresql-server-dev-$PG_VERSION
  build-essential
  dpkg-dev
  rabbitmq-server
  dataset-fashion-mnist
  python3-sklearn
  chromium          # the dashboard test drives headless Chromium
  chromium-driver   # through its chromedriver (Selenium; no driver download)
)

# ---------------------------------------------------------------- helpers ---

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "'$1' must run as root (it installs packages and switches to the '$PG_OS_USER' user)"
}

check_port_var() {
  local name=$1 value=$2
  [[ $value =~ ^[0-9]+$ ]] && ((value > 0 && value < 65536)) || die "$name must be a TCP port number, got '$value'"
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$LISTEN_ADDR/$1" 2>/dev/null
}

proc_comm() { cat "/proc/$1/comm" 2>/dev/null; }

# True when /proc/$1/environ contains the exact entry $2 (root can read any).
proc_has_env() {
  [[ -r /proc/$1/environ ]] || return 1
  { tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null | grep -qxF -- "$2"
}

# Print pids of all processes with the given comm.
pids_by_comm() {
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $(proc_comm "$pid") == "$1" ]] && echo "$pid"
  done
  return 0
}

read_pidfile() {
  local pid
  [[ -f $1 ]] || return 1
  pid=$(head -n1 "$1" 2>/dev/null | tr -d '[:space:]') || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

tail_log() {
  local f=$1
  if [[ -f $f ]]; then
    log "---- last lines of $f ----"
    tail -n 40 "$f" >&2 || true
    log "---- end of $f ----"
  else
    log "(no log file at $f)"
  fi
}

print_env() {
  printf 'ConnectionStrings__Sisom=Host=%s;Port=%s;Database=sisom;Username=%s;Password=%s\n' \
    "$LISTEN_ADDR" "$PG_PORT" "$DB_USER" "$DB_PASS"
  printf 'ConnectionStrings__SisomTest=Host=%s;Port=%s;Database=sisom_test;Username=%s;Password=%s\n' \
    "$LISTEN_ADDR" "$PG_PORT" "$DB_USER" "$DB_PASS"
  printf 'ConnectionStrings__RabbitMq=amqp://%s:%s@%s:%s/\n' "$MQ_USER" "$MQ_PASS" "$LISTEN_ADDR" "$AMQP_PORT"
  printf 'SISOM_RABBITMQ_MANAGEMENT=http://%s:%s/\n' "$LISTEN_ADDR" "$MGMT_PORT"
  printf 'S3__ServiceUrl=http://%s:%s\n' "$LISTEN_ADDR" "$S3_PORT"
  printf 'S3__ForcePathStyle=true\n'
  printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$S3_KEY" "$S3_KEY"
}

# Serialise up/down between concurrent callers. fd 9 must not leak into the
# daemons we start (they would hold the lock forever), so every command that
# may leave a process behind is run with `9>&-`.
take_lock() {
  mkdir -p "$LOCAL_DIR"
  exec 9>"$LOCK_FILE"
  if ! flock -w 900 9; then
    die "another services.sh up/down is still running (lock $LOCK_FILE)"
  fi
}

# --------------------------------------------------------------- packages ---

pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

ensure_packages() {
  local missing=() p
  for p in "${REQUIRED_PKGS[@]}"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  apt-get update 9>&-
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" 9>&-
  for p in "${missing[@]}"; do
    if [[ $p == rabbitmq-server ]]; then
      disable_debian_rabbitmq
    fi
  done
}

# The Debian package's own RabbitMQ service (user rabbitmq, node rabbit@host)
# would occupy port 5672; make sure it is not running and does not start at boot.
disable_debian_rabbitmq() {
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    if systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
      log "stopping the Debian rabbitmq-server systemd service"
      systemctl stop rabbitmq-server 9>&- || true
    fi
  elif [[ -x /etc/init.d/rabbitmq-server ]] && debian_rabbitmq_running; then
    log "stopping the Debian rabbitmq-server init service"
    service rabbitmq-server stop 9>&- || true
  fi
  # Keep it from starting at boot (systemctl disable also works offline, e.g.
  # in a container where systemd is installed but not running).
  if command -v systemctl >/dev/null && systemctl is-enabled --quiet rabbitmq-server 2>/dev/null; then
    log "disabling the Debian rabbitmq-server systemd unit"
    systemctl disable rabbitmq-server >&2 2>&1 9>&- || true
  fi
  if [[ -x /etc/init.d/rabbitmq-server ]]; then
    update-rc.d rabbitmq-server disable >/dev/null 2>&1 || true
  fi
}

# A beam.smp owned by the 'rabbitmq' system user is the Debian service's node.
debian_rabbitmq_running() {
  local uid pid
  uid=$(id -u rabbitmq 2>/dev/null) || return 1
  for pid in $(pids_by_comm beam.smp); do
    if [[ $(stat -c %u "/proc/$pid" 2>/dev/null) == "$uid" ]]; then
      return 0
    fi
  done
  return 1
}

# Base URI of the system's main Debian mirror (deb822 or one-line format).
debian_mirror() {
  local uri=""
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk '
      function flush() { if (uris != "" && suites !~ /-security/ && uris !~ /security/ && out == "") { split(uris, u, " "); out = u[1] } uris = ""; suites = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/   { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      END { flush(); print out }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($i !~ /security/ && $(i+1) !~ /-security/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# pgvector is not packaged for Debian 12: build 0.8.0 from the Debian 13 (trixie)
# source package, fetched through a private apt configuration (/etc/apt untouched).
ensure_pgvector() {
  if [[ -f $VECTOR_CONTROL ]]; then
    return 0
  fi
  local parts=$APT_DIR/parts lists=$APT_DIR/lists cache=$APT_DIR/cache work=$BUILD_DIR/pgvector mirror
  mirror=$(debian_mirror)
  log "building pgvector from the trixie source package (mirror $mirror)"
  mkdir -p "$parts" "$lists/partial" "$cache/archives/partial"
  cat >"$parts/trixie-src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local aptopts=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$parts"
    -o "Dir::State::Lists=$lists"
    -o "Dir::Cache=$cache"
    -o "APT::Sandbox::User=root"
  )
  apt-get "${aptopts[@]}" update 9>&-
  rm -rf "$work"
  mkdir -p "$work"
  (cd "$work" && apt-get "${aptopts[@]}" source --download-only pgvector 9>&-)
  local dsc
  dsc=$(find "$work" -maxdepth 1 -name 'pgvector_*.dsc' | head -n1)
  [[ -n $dsc ]] || die "apt-get source did not download a pgvector .dsc into $work"
  (cd "$work" && dpkg-source --no-check -x "$(basename "$dsc")" src >&2)
  log "compiling pgvector ($(basename "$dsc" .dsc))"
  make -C "$work/src" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >&2 9>&-
  make -C "$work/src" PG_CONFIG="$PG_CONFIG" install >&2 9>&-
  [[ -f $VECTOR_CONTROL ]] || die "pgvector install did not produce $VECTOR_CONTROL"
}

# ------------------------------------------------------------- postgresql ---

as_pg() { (cd / && runuser -u "$PG_OS_USER" -- "$@"); }

is_our_postgres() {
  local pid=$1
  [[ $(proc_comm "$pid") == postgres ]] && [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$PG_DATA" ]]
}

# Prints the postmaster pid when our cluster runs.
pg_running_pid() {
  local pid
  pid=$(read_pidfile "$PG_DATA/postmaster.pid") || return 1
  is_our_postgres "$pid" || return 1
  echo "$pid"
}

# Leftovers of a crashed (kill -9) postmaster: orphaned children still attached
# to the old shared memory, a stale postmaster.pid and socket lock files.
pg_cleanup_stale() {
  local pid orphans i
  orphans=()
  for pid in $(pids_by_comm postgres); do
    is_our_postgres "$pid" && orphans+=("$pid")
  done
  if ((${#orphans[@]} > 0)); then
    log "waiting for orphaned postgres processes to exit: ${orphans[*]}"
    for ((i = 0; i < 20; i++)); do
      local alive=()
      for pid in "${orphans[@]}"; do is_our_postgres "$pid" && alive+=("$pid"); done
      ((${#alive[@]} == 0)) && break
      sleep 0.5
    done
    for pid in "${orphans[@]}"; do
      if is_our_postgres "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    done
    sleep 0.5
  fi
  if [[ -f $PG_DATA/postmaster.pid ]]; then
    log "removing stale $PG_DATA/postmaster.pid"
    rm -f "$PG_DATA/postmaster.pid"
  fi
  rm -f "$PG_SOCKDIR"/.s.PGSQL.*
}

pg_write_conf() {
  cat >"$PG_DATA/sisom.conf" <<EOF
# Written by deploy/local/services.sh on every 'up' -- do not edit.
listen_addresses = '$LISTEN_ADDR'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
EOF
  chown "$PG_OS_USER:" "$PG_DATA/sisom.conf"
  if ! grep -qxF "include_if_exists = 'sisom.conf'" "$PG_DATA/postgresql.conf"; then
    echo "include_if_exists = 'sisom.conf'" >>"$PG_DATA/postgresql.conf"
  fi
}

pg_up() {
  local pid
  if pid=$(pg_running_pid); then
    log "postgresql already running (pid $pid)"
    return 0
  fi
  [[ -x $PG_BIN/postgres ]] || die "$PG_BIN/postgres not found (postgresql-$PG_VERSION not installed?)"
  local sock="$PG_SOCKDIR/.s.PGSQL.$PG_PORT"
  ((${#sock} < 100)) || die "unix socket path too long for the OS: $sock (move the repo to a shorter path)"

  mkdir -p "$PG_ROOT" "$PG_DATA" "$PG_LOGDIR" "$PG_SOCKDIR"
  chown -R "$PG_OS_USER:" "$PG_ROOT"
  chmod 700 "$PG_DATA"
  if ! as_pg test -x "$PG_ROOT"; then
    die "user '$PG_OS_USER' cannot reach $PG_ROOT (a parent directory is not world-executable)"
  fi

  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    if [[ -n $(ls -A "$PG_DATA") ]]; then
      log "removing half-initialised data directory $PG_DATA"
      find "$PG_DATA" -mindepth 1 -delete
    fi
    log "initdb $PG_DATA (trust auth -- dev only)"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$PG_LOGDIR/initdb.log" 2>&1 ||
      { tail_log "$PG_LOGDIR/initdb.log"; die "initdb failed"; }
  fi
  pg_write_conf
  pg_cleanup_stale

  if port_open "$PG_PORT"; then
    die "port $LISTEN_ADDR:$PG_PORT is already in use by another program (set SISOM_PG_PORT to use another port)"
  fi

  log "starting postgresql on $LISTEN_ADDR:$PG_PORT"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$WAIT_SECS" start >&2 9>&-; then
    tail_log "$PG_LOG"
    die "postgresql did not start within ${WAIT_SECS}s"
  fi
}

pg_wait_ready() {
  local i
  for ((i = 0; i < WAIT_SECS; i++)); do
    if "$PG_BIN/pg_isready" -q -h "$LISTEN_ADDR" -p "$PG_PORT" -t 2; then
      return 0
    fi
    sleep 1
  done
  tail_log "$PG_LOG"
  die "postgresql does not answer on $LISTEN_ADDR:$PG_PORT after ${WAIT_SECS}s"
}

pg_psql() {
  as_pg env PGOPTIONS='-c client_min_messages=warning' \
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres "$@"
}

pg_provision() {
  pg_psql -d postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASS';
  END IF;
END
\$\$;
SQL
  local db
  for db in "${DB_NAMES[@]}"; do
    pg_psql -d postgres >&2 <<SQL
SELECT 'CREATE DATABASE $db OWNER $DB_USER'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db')\gexec
SQL
    pg_psql -d "$db" -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2
  done
}

pg_down() {
  local pid
  if pid=$(pg_running_pid); then
    log "stopping postgresql (pid $pid)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$WAIT_SECS" stop >&2; then
      log "pg_ctl stop failed; killing pid $pid"
      kill -9 "$pid" 2>/dev/null || true
    fi
  else
    log "postgresql not running"
  fi
}

# --------------------------------------------------------------- rabbitmq ---

# Environment for every RabbitMQ script (server and CLI): never /etc/rabbitmq.
rmq_export_env() {
  export HOME=$RMQ_HOME
  export RABBITMQ_CONF_ENV_FILE=$RMQ_ENV_FILE
  export RABBITMQ_NODENAME=$RMQ_NODENAME
  export RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_NODE_IP_ADDRESS=$LISTEN_ADDR
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$((AMQP_PORT + 20000))
  export RABBITMQ_MNESIA_BASE=$RMQ_MNESIA
  export RABBITMQ_LOG_BASE=$RMQ_LOGDIR
  export RABBITMQ_PID_FILE=$RMQ_PIDFILE
  export RABBITMQ_CONFIG_FILE=$RMQ_CONF
  export RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_ADV_CONF
  export RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_PLUGINS_FILE
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=$LISTEN_ADDR
  export ERL_CRASH_DUMP=$RMQ_LOGDIR/erl_crash.dump
}

# rmq SECONDS SCRIPT ARGS...: run a RabbitMQ script from /usr/lib/rabbitmq/bin
# with our private environment, killed after SECONDS.
rmq() {
  local secs=$1 cmd=$2
  shift 2
  (
    rmq_export_env
    cd "$RMQ_ROOT"
    exec timeout "$secs" "$RMQ_BIN/$cmd" "$@"
  )
}

is_our_beam() {
  local pid=$1
  [[ $(proc_comm "$pid") == beam.smp ]] && proc_has_env "$pid" "HOME=$RMQ_HOME"
}

is_our_epmd() {
  local pid=$1
  [[ $(proc_comm "$pid") == epmd ]] && proc_has_env "$pid" "HOME=$RMQ_HOME"
}

# Prints the beam.smp pid when our node runs. Falls back to a /proc scan when
# the pid file is missing (e.g. deleted by hand) and rewrites it.
rmq_running_pid() {
  local pid
  if pid=$(read_pidfile "$RMQ_PIDFILE") && is_our_beam "$pid"; then
    echo "$pid"
    return 0
  fi
  for pid in $(pids_by_comm beam.smp); do
    if is_our_beam "$pid"; then
      [[ -d $RMQ_ROOT ]] && echo "$pid" >"$RMQ_PIDFILE"
      echo "$pid"
      return 0
    fi
  done
  return 1
}

rmq_write_conf() {
  mkdir -p "$RMQ_ROOT" "$RMQ_HOME" "$RMQ_MNESIA" "$RMQ_LOGDIR"
  chmod 700 "$RMQ_HOME"
  if [[ ! -s $RMQ_HOME/.erlang.cookie ]]; then
    (umask 077 && head -c 30 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 40 >"$RMQ_HOME/.erlang.cookie")
  fi
  chmod 400 "$RMQ_HOME/.erlang.cookie"
  cat >"$RMQ_ENV_FILE" <<'EOF'
# Intentionally (almost) empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of the
# picture. Everything is set through environment variables by services.sh.
EOF
  cat >"$RMQ_CONF" <<EOF
# Written by deploy/local/services.sh on every 'up' -- do not edit.
# AMQP listener comes from RABBITMQ_NODE_IP_ADDRESS / RABBITMQ_NODE_PORT.
management.tcp.ip = $LISTEN_ADDR
management.tcp.port = $MGMT_PORT
log.file.level = info
log.console = false
EOF
  echo '[].' >"$RMQ_ADV_CONF"
  echo '[rabbitmq_management].' >"$RMQ_PLUGINS_FILE"
}

# After our node is up, remember the epmd it uses if (and only if) we started it.
rmq_record_epmd() {
  local pid
  for pid in $(pids_by_comm epmd); do
    if is_our_epmd "$pid"; then
      echo "$pid" >"$EPMD_PIDFILE"
      rm -f "$EPMD_FOREIGN"
      return 0
    fi
  done
  rm -f "$EPMD_PIDFILE"
  echo "epmd was already running before services.sh up; it is not ours, down leaves it alone" >"$EPMD_FOREIGN"
  log "using a pre-existing epmd (not started by us; down will leave it running)"
}

rmq_wait_ready() {
  local deadline=$((SECONDS + WAIT_SECS)) pid
  while ((SECONDS < deadline)); do
    if ! pid=$(rmq_running_pid); then
      # The pid file appears only a moment after -detached returns.
      if ((SECONDS + WAIT_SECS - deadline > 10)); then
        tail_log "$RMQ_LOGDIR/$RMQ_NODENAME.log"
        tail_log "$RMQ_LOGDIR/startup.log"
        die "rabbitmq node $RMQ_NODENAME is not running"
      fi
      sleep 1
      continue
    fi
    if rmq 30 rabbitmqctl -q await_startup --timeout 20 >/dev/null 2>&1 9>&-; then
      if port_open "$AMQP_PORT" && port_open "$MGMT_PORT"; then
        return 0
      fi
    fi
    sleep 1
  done
  tail_log "$RMQ_LOGDIR/$RMQ_NODENAME.log"
  tail_log "$RMQ_LOGDIR/startup.log"
  die "rabbitmq does not answer on $LISTEN_ADDR:$AMQP_PORT / :$MGMT_PORT after ${WAIT_SECS}s"
}

rmq_up() {
  local pid
  if pid=$(rmq_running_pid); then
    log "rabbitmq already running (pid $pid)"
    return 0
  fi
  [[ -x $RMQ_BIN/rabbitmq-server ]] || die "$RMQ_BIN/rabbitmq-server not found (rabbitmq-server not installed?)"
  rm -f "$RMQ_PIDFILE"
  rmq_write_conf

  if port_open "$AMQP_PORT" || port_open "$MGMT_PORT"; then
    if debian_rabbitmq_running; then
      log "the Debian rabbitmq-server service holds the RabbitMQ ports"
      disable_debian_rabbitmq
      sleep 2
    fi
    if port_open "$AMQP_PORT"; then
      die "port $LISTEN_ADDR:$AMQP_PORT is already in use by another program (set SISOM_AMQP_PORT to use another port)"
    fi
    if port_open "$MGMT_PORT"; then
      die "port $LISTEN_ADDR:$MGMT_PORT is already in use by another program (set SISOM_AMQP_MGMT_PORT to use another port)"
    fi
  fi

  log "starting rabbitmq node $RMQ_NODENAME on $LISTEN_ADDR:$AMQP_PORT (management :$MGMT_PORT)"
  rmq 60 rabbitmq-server -detached </dev/null >"$RMQ_LOGDIR/startup.log" 2>&1 9>&- ||
    { tail_log "$RMQ_LOGDIR/startup.log"; die "rabbitmq-server -detached failed"; }
  rmq_wait_ready
  rmq_record_epmd
}

rmq_provision() {
  if [[ -f $RMQ_PROVISIONED ]]; then
    return 0
  fi
  log "creating rabbitmq user $MQ_USER"
  if ! rmq 90 rabbitmqctl -q list_users 9>&- | awk '{print $1}' | grep -qxF "$MQ_USER"; then
    rmq 90 rabbitmqctl -q add_user "$MQ_USER" "$MQ_PASS" >&2 9>&-
  fi
  rmq 90 rabbitmqctl -q set_user_tags "$MQ_USER" administrator >&2 9>&-
  rmq 90 rabbitmqctl -q set_permissions -p / "$MQ_USER" '.*' '.*' '.*' >&2 9>&-
  touch "$RMQ_PROVISIONED"
}

rmq_down() {
  local pid i
  if pid=$(rmq_running_pid); then
    log "stopping rabbitmq (pid $pid)"
    if ! rmq "$WAIT_SECS" rabbitmqctl -q stop "$RMQ_PIDFILE" >&2; then
      log "rabbitmqctl stop failed; sending SIGTERM to $pid"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    for ((i = 0; i < WAIT_SECS * 2; i++)); do
      is_our_beam "$pid" || break
      sleep 0.5
    done
    if is_our_beam "$pid"; then
      log "rabbitmq pid $pid still alive; SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
  else
    log "rabbitmq not running"
  fi
  rm -f "$RMQ_PIDFILE"

  if pid=$(read_pidfile "$EPMD_PIDFILE"); then
    if is_our_epmd "$pid"; then
      log "stopping epmd (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do
        is_our_epmd "$pid" || break
        sleep 0.25
      done
      if is_our_epmd "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$EPMD_PIDFILE"
  fi
}

# ---------------------------------------------------------------------- s3 ---

# s3rver from deploy/local/s3 (package-lock.json): npm ci only when node_modules is missing or older
# than the lock file, so later runs need no network.
s3_install() {
  if ! command -v npm >/dev/null; then
    log "installing nodejs and npm (for s3rver)"
    apt-get update 9>&-
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm 9>&-
  fi
  if [[ ! -f $S3_APP/node_modules/.package-lock.json || $S3_APP/package-lock.json -nt $S3_APP/node_modules/.package-lock.json ]]; then
    log "npm ci in $S3_APP (s3rver)"
    (cd "$S3_APP" && npm ci --no-audit --no-fund --loglevel=error >&2 9>&-)
  fi
}

is_our_s3rver() {
  local pid=$1
  [[ $(proc_comm "$pid") == node ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-d $S3_DATA "
}

s3_running_pid() {
  local pid
  pid=$(read_pidfile "$S3_PIDFILE") || return 1
  is_our_s3rver "$pid" || return 1
  echo "$pid"
}

s3_up() {
  local pid i
  if pid=$(s3_running_pid); then
    log "s3rver already running (pid $pid)"
    return 0
  fi
  s3_install
  if port_open "$S3_PORT"; then
    die "port $LISTEN_ADDR:$S3_PORT is already in use by another program (set SISOM_S3_PORT to use another port)"
  fi
  mkdir -p "$S3_DATA"
  log "starting s3rver on $LISTEN_ADDR:$S3_PORT (data $S3_DATA)"
  setsid node "$S3_APP/node_modules/s3rver/bin/s3rver.js" -d "$S3_DATA" -a "$LISTEN_ADDR" -p "$S3_PORT" \
    --no-vhost-buckets --silent </dev/null >"$S3_LOG" 2>&1 9>&- &
  echo $! >"$S3_PIDFILE"
  for ((i = 0; i < WAIT_SECS * 2; i++)); do
    port_open "$S3_PORT" && return 0
    s3_running_pid >/dev/null || break
    sleep 0.5
  done
  tail_log "$S3_LOG"
  die "s3rver does not answer on $LISTEN_ADDR:$S3_PORT"
}

s3_down() {
  local pid i
  if pid=$(s3_running_pid); then
    log "stopping s3rver (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      is_our_s3rver "$pid" || break
      sleep 0.25
    done
    if is_our_s3rver "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  else
    log "s3rver not running"
  fi
  rm -f "$S3_PIDFILE"
}

# --------------------------------------------------------------- commands ---

cmd_up() {
  require_root up
  take_lock
  {
    ensure_packages
    ensure_pgvector
    pg_up
    pg_wait_ready
    pg_provision
    rmq_up
    rmq_provision
    s3_up
    log "all services up"
  } >&2
  print_env
}

cmd_down() {
  require_root down
  take_lock
  {
    pg_down
    rmq_down
    s3_down
  } >&2
}

cmd_s3_up() {
  take_lock
  s3_up >&2
}

cmd_s3_down() {
  take_lock
  s3_down >&2
}

cmd_rabbitmq_up() {
  require_root rabbitmq-up
  take_lock
  {
    [[ -x $RMQ_BIN/rabbitmq-server ]] || ensure_packages
    rmq_up
    rmq_provision
  } >&2
}

cmd_rabbitmq_down() {
  require_root rabbitmq-down
  take_lock
  rmq_down >&2
}

cmd_pg_up() {
  require_root pg-up
  take_lock
  {
    [[ -x $PG_BIN/postgres && -f $VECTOR_CONTROL ]] || { ensure_packages; ensure_pgvector; }
    pg_up
    pg_wait_ready
    pg_provision
  } >&2
}

cmd_pg_down() {
  require_root pg-down
  take_lock
  pg_down >&2
}

cmd_status() {
  local rc=0 pid
  if pid=$(pg_running_pid); then
    if "$PG_BIN/pg_isready" -q -h "$LISTEN_ADDR" -p "$PG_PORT" -t 2; then
      echo "postgresql: running (pid $pid, $LISTEN_ADDR:$PG_PORT, data $PG_DATA)"
    else
      echo "postgresql: process running (pid $pid) but not accepting connections on $LISTEN_ADDR:$PG_PORT"
      rc=3
    fi
  else
    echo "postgresql: stopped"
    rc=3
  fi
  if pid=$(rmq_running_pid); then
    if port_open "$AMQP_PORT"; then
      echo "rabbitmq:   running (pid $pid, node $RMQ_NODENAME, amqp $LISTEN_ADDR:$AMQP_PORT, management http://$LISTEN_ADDR:$MGMT_PORT/)"
    else
      echo "rabbitmq:   process running (pid $pid) but not accepting connections on $LISTEN_ADDR:$AMQP_PORT"
      rc=3
    fi
  else
    echo "rabbitmq:   stopped"
    rc=3
  fi
  if pid=$(s3_running_pid) && port_open "$S3_PORT"; then
    echo "s3:         running (pid $pid, s3rver http://$LISTEN_ADDR:$S3_PORT/, data $S3_DATA)"
  else
    echo "s3:         stopped"
    rc=3
  fi
  return "$rc"
}

usage() {
  echo "usage: $0 up|down|status|env|rabbitmq-up|rabbitmq-down|pg-up|pg-down|s3-up|s3-down" >&2
  exit 2
}

main() {
  (($# == 1)) || usage
  check_port_var SISOM_PG_PORT "$PG_PORT"
  check_port_var SISOM_AMQP_PORT "$AMQP_PORT"
  check_port_var SISOM_AMQP_MGMT_PORT "$MGMT_PORT"
  check_port_var SISOM_S3_PORT "$S3_PORT"
  case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) print_env ;;
    rabbitmq-up) cmd_rabbitmq_up ;;
    rabbitmq-down) cmd_rabbitmq_down ;;
    pg-up) cmd_pg_up ;;
    pg-down) cmd_pg_down ;;
    s3-up) cmd_s3_up ;;
    s3-down) cmd_s3_down ;;
    *) usage ;;
  esac
}

main "$@"
