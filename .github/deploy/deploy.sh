#!/usr/bin/env bash
# Deploys one image tag of threatmatrix with docker compose on this host (the EC2 instance's
# self-hosted runner calls it), waits for /readyz, and rolls back to the previous tag if the new
# one does not come up.
#
#   deploy.sh <image> <tag>
#
# Environment: TM_HOME (default /opt/threatmatrix) holds .env (the stack's settings and secrets,
# see compose/.env.example) and current-tag (written after each good deploy); TM_COMPOSE_FILE
# (default: compose/docker-compose.yml next to this script); READY_TIMEOUT seconds (default 300);
# READY_POLL seconds between /readyz tries (default 5); KEEP_IMAGES (default 3) images of the
# repository kept on the host.
set -euo pipefail

image="${1:?usage: deploy.sh <image> <tag>}"
tag="${2:?usage: deploy.sh <image> <tag>}"
home="${TM_HOME:-/opt/threatmatrix}"
compose_file="${TM_COMPOSE_FILE:-$(cd "$(dirname "$0")/../.." && pwd)/compose/docker-compose.yml}"
env_file="$home/.env"
ready_timeout="${READY_TIMEOUT:-300}"
ready_poll="${READY_POLL:-5}"
keep="${KEEP_IMAGES:-3}"

[ -f "$env_file" ] || { echo "deploy: $env_file is missing (start from compose/.env.example)" >&2; exit 2; }
port="$(sed -n 's/^TM_PORT=//p' "$env_file" | tail -n 1)"
port="${port:-8080}"
previous="$(cat "$home/current-tag" 2>/dev/null || true)"

compose() {
  TM_IMAGE="$image" TM_TAG="$1" docker compose --project-name threatmatrix --env-file "$env_file" -f "$compose_file" "${@:2}"
}

# /readyz answers 200 once Redis answers and a production model is loaded.
wait_ready() {
  local deadline=$((SECONDS + ready_timeout))
  until curl -fsS --max-time 5 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then return 1; fi
    sleep "$ready_poll"
  done
}

echo "deploy: $image:$tag (previous: ${previous:-none})"
compose "$tag" pull api worker import bootstrap mlflow
compose "$tag" up -d --no-build --remove-orphans
if wait_ready; then
  echo "$tag" > "$home/current-tag"
  echo "deploy: $tag is ready on :$port"
else
  echo "deploy: $tag did not become ready within ${ready_timeout}s" >&2
  compose "$tag" logs --tail 100 api worker bootstrap >&2 || true
  if [ -n "$previous" ] && [ "$previous" != "$tag" ]; then
    echo "deploy: rolling back to $previous" >&2
    compose "$previous" up -d --no-build --remove-orphans
    if wait_ready; then echo "deploy: $previous serves again" >&2; else echo "deploy: $previous did not come back either" >&2; fi
  fi
  exit 1
fi

# Prune: keep the newest $keep images of this repository (the one just deployed and the ones to
# roll back to), never the MLflow server's (mlflow-*), then dangling layers.
docker image ls "$image" --format '{{.Tag}}' | grep -vxF "$tag" | grep -v '^mlflow-' | tail -n +"$keep" | while read -r old; do
  if docker image rm "$image:$old" >/dev/null 2>&1; then echo "deploy: pruned $image:$old"; fi
done
docker image prune -f >/dev/null
