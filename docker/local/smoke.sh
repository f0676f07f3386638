#!/usr/bin/env bash
# A run through containers on one Docker host without a registry: builds the image from the local base (unless
# SISOM_SKIP_BUILD=1), then runs every role as its own container (--network host, read-only root file system, the
# image's user) against the PostgreSQL and RabbitMQ of the environment, drives a small run to completion with the CLI
# of the same image, and checks: non-root user, HEALTHCHECK healthy, no .NET SDK in the image, image size.
#   dockerd --storage-driver=vfs --iptables=false --bridge=none &        (Debian's docker.io, as root)
#   export $(cat .local/services.env)                                     (ConnectionStrings__Sisom, __RabbitMq)
#   docker/local/smoke.sh                                                 (docker/README.md "Without a registry")
# Isolation: a fresh PostgreSQL schema (Search Path) and queue prefix per run, both removed at the end; containers too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
image=${SISOM_IMAGE:-sisom-server:local}
max_mb=${SISOM_MAX_IMAGE_MB:-1200}
items=${SISOM_SMOKE_ITEMS:-600}
: "${ConnectionStrings__Sisom:?export the services first: export \$(cat .local/services.env)}"
: "${ConnectionStrings__RabbitMq:?export the services first}"
id=smoke$(date +%s)
work=$(mktemp -d)
chmod 755 "$work"
step() { echo "== $*" >&2; }
fail() { echo "SMOKE FAILED: $*" >&2; exit 1; }

# --- image ---
if [ "${SISOM_SKIP_BUILD:-0}" != 1 ]; then
  docker image inspect sisom-local/aspnet:10.0 >/dev/null 2>&1 || docker/local/build-base.sh
  step "docker build (BASE_REGISTRY=sisom-local)"
  time nice -n 5 docker build --network host --build-arg BASE_REGISTRY=sisom-local -f docker/Dockerfile -t "$image" .
fi

# --- database schema and pool files ---
psql_url() { # the Npgsql connection string as psql arguments
  local IFS=';' kv k v host=127.0.0.1 port=5432 user= pass= db=
  for kv in $ConnectionStrings__Sisom; do
    k=${kv%%=*}; v=${kv#*=}
    case ${k,,} in host) host=$v ;; port) port=$v ;; username|user\ id|userid) user=$v ;; password) pass=$v ;; database) db=$v ;; esac
  done
  echo "postgresql://$user:$pass@$host:$port/$db"
}
pg=$(psql_url)
psql -q "$pg" -c "CREATE SCHEMA $id" >/dev/null
connection="$ConnectionStrings__Sisom;Search Path=$id,public"
cleanup() {
  for c in $(docker ps -aq --filter "label=sisom.smoke=$id"); do docker rm -f "$c" >/dev/null; done
  psql -q "$pg" -c "DROP SCHEMA IF EXISTS $id CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "pool: $items embeddings (16-d, four clusters, the fourth unlabeled = OOD), 90 labels"
python3 - "$work" "$items" <<'PY'
import random, struct, sys
out, n, d = sys.argv[1], int(sys.argv[2]), 16
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
header += " " * (63 - (10 + len(header)) % 64) + "\n"
rnd = random.Random(7)
with open(f"{out}/emb.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    for i in range(n):
        f.write(struct.pack(f"<{d}f", *[rnd.random() * 0.6 + (2.0 if k % 4 == i % 4 else 0.0) for k in range(d)]))
with open(f"{out}/emb.ids.txt", "w") as f:
    f.writelines(f"item-{i:05d}\n" for i in range(n))
with open(f"{out}/labels.csv", "w") as f:
    f.write("item_id,label\n")
    f.writelines(f"item-{i:05d},{i % 4}\n" for i in [i for i in range(n) if i % 4 < 3][:90])
PY
chmod 644 "$work"/*

# --- the roles, one container each ---
base=$((20000 + RANDOM % 20000))
key="smoke-bootstrap-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
run_role() { # role port [extra docker args]
  local role=$1 port=$2; shift 2
  docker run -d --name "$id-$role" --label "sisom.smoke=$id" --network host --read-only --tmpfs /tmp \
    --mount type=tmpfs,destination=/var/cache/sisom/models,tmpfs-mode=1777 \
    -v "$work:/data:ro" \
    -e ConnectionStrings__Sisom="$connection" -e ConnectionStrings__RabbitMq="$ConnectionStrings__RabbitMq" \
    -e Server__QueuePrefix="$id" -e Pools__AllowedRoots__0=/data -e ASPNETCORE_HTTP_PORTS="$port" \
    -e Coordinator__LeaseCheckSeconds=2 -e Aggregator__SweepSeconds=2 \
    "$@" "$image" --roles "$role" >/dev/null
}

step "migrate (sisom-server migrate in a container)"
docker run --rm --label "sisom.smoke=$id" --network host -e ConnectionStrings__Sisom="$connection" "$image" migrate

step "roles: coordinator :$base, aggregator :$((base + 1)), worker :$((base + 2)), api :$((base + 3))"
run_role coordinator "$base"
run_role aggregator "$((base + 1))"
run_role worker "$((base + 2))"
run_role api "$((base + 3))" -e Api__BootstrapKey="$key"

server=http://127.0.0.1:$((base + 3))
for _ in $(seq 1 60); do curl -fsS "$server/healthz" >/dev/null 2>&1 && break; sleep 2; done
curl -fsS "$server/healthz" >/dev/null || { docker logs "$id-api" | tail -20; fail "the api did not become healthy"; }

cli() { docker run --rm --label "sisom.smoke=$id" --network host --read-only -v "$work:/data:ro" \
  -e SISOM_SERVER="$server" -e SISOM_API_KEY="$key" -e SISOM_CONFIG=/tmp/none.json --entrypoint /app/sisom "$image" "$@"; }

step "the CLI of the image drives a run"
cli pool add smoke /data/emb.npy
cli labels import --pool smoke /data/labels.csv
run=$(cli run start --pool smoke --budget 10 --shard-size 200)
echo "run $run" >&2
started=$(date +%s)
cli run watch "$run" --interval 2 || { for r in coordinator aggregator worker; do docker logs "$id-$r" 2>&1 | tail -15; done; fail "run $run did not complete"; }
echo "run completed in $(($(date +%s) - started)) s" >&2
cli run status "$run"
selected=$(cli select "$run" --format csv | tail -n +2 | wc -l)
[ "$selected" -eq 10 ] || fail "selection has $selected rows, not 10"
echo "selection: $selected items" >&2
cli drift "$run" --kind source

step "checks"
user=$(docker image inspect -f '{{.Config.User}}' "$image")
uid=$(docker exec "$id-api" id -u)
[ "$user" = 1654 ] && [ "$uid" = 1654 ] || fail "runs as user '$user' / uid $uid, not 1654"
echo "user: $user (uid $uid in the running api container)" >&2

for _ in $(seq 1 30); do
  states=$(for r in coordinator aggregator worker api; do docker inspect -f '{{.State.Health.Status}}' "$id-$r"; done | sort -u | tr '\n' ' ')
  [ "$states" = "healthy " ] && break
  sleep 3
done
docker inspect -f '{{.Name}} {{.State.Health.Status}} (HEALTHCHECK {{join .Config.Healthcheck.Test " "}})' "$id-coordinator" "$id-aggregator" "$id-worker" "$id-api" >&2
[ "$states" = "healthy " ] || fail "health: $states"

sdks=$(docker run --rm --entrypoint /bin/sh "$image" -c 'ls -d /usr/share/dotnet/sdk /usr/lib/dotnet/sdk 2>/dev/null; /usr/share/dotnet/dotnet --list-sdks 2>/dev/null' || true)
[ -z "$sdks" ] || fail "the runtime image holds an SDK: $sdks"
runtimes=$(docker run --rm --entrypoint /usr/share/dotnet/dotnet "$image" --list-runtimes | awk '{print $1" "$2}' | tr '\n' ' ')
echo "no SDK; runtimes: $runtimes" >&2

bytes=$(docker image inspect -f '{{.Size}}' "$image")
mb=$((bytes / 1024 / 1024))
echo "image $image: $mb MiB (limit $max_mb)" >&2
[ "$mb" -le "$max_mb" ] || fail "image is $mb MiB"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(sisom-server|sisom-local)' >&2
echo "SMOKE PASSED: run $run completed through containers ($selected selected)"
