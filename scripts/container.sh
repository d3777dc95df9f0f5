#!/usr/bin/env bash
# Build the trialex image with podman on this machine, run it, check it from outside, clean up.
#
#   sudo bash scripts/container.sh            # (as root) build, run, check, remove the container
#   KEEP_IMAGES=0 bash scripts/container.sh   # also remove the images afterwards
#
# No container registry can be reached here (only PyPI and Debian's packages), so
# python:3.11-slim cannot be pulled.  Instead a minimal Debian bookworm root file system
# with python3 + python3-venv is made with debootstrap from Debian's packages and imported
# as a local image ($BASE_IMAGE), which the Dockerfile takes as its BASE_IMAGE build arg.
# Builds use runc and chroot isolation (no nested namespaces needed); pip inside the build
# trusts the host's CA bundle (mounted read-only for the RUN steps, not baked into a layer).
# What this printed on the project's machine: docs/deployment.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BASE_IMAGE="${BASE_IMAGE:-localhost/debian-python:bookworm}"
IMAGE="${IMAGE:-localhost/trialex:latest}"
NAME="${NAME:-trialex-smoke}"
PORT="${PORT:-18000}"                      # published on 127.0.0.1 only
WORKERS="${WORKERS:-2}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
HOST_CA="${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}"
KEEP_IMAGES="${KEEP_IMAGES:-1}"
RUNTIME=(--runtime runc)
# podman (as root) raises RLIMIT_NOFILE and RLIMIT_NPROC in a container; without
# CAP_SYS_RESOURCE (as on this machine) runc fails with "error setting rlimit type 7" (then
# "type 6"): keep this shell's open-files limit and ask for at most 32768 processes.
ULIMITS=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit "nproc=32768:32768")
NOHC=(--no-healthcheck)  # one-off runs: no healthcheck timer (there is no systemd here)
WORK="$(mktemp -d /var/tmp/trialex-container.XXXXXX)"
IMAGES_BEFORE=""
NETWORK_MODE=bridge

say() { printf '[container.sh %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
cleanup() {
    local rc=$?
    if podman container exists "$NAME" 2>/dev/null; then
        say "removing container $NAME"
        podman rm -f "$NAME" >/dev/null 2>&1 || true
    fi
    if [ "$KEEP_IMAGES" = 0 ] && command -v podman >/dev/null; then
        # every image this run made (the two tagged ones, build-stage and cached layers), no other
        local new
        new=$(comm -13 <(printf '%s\n' "$IMAGES_BEFORE") <(podman images -qa --no-trunc | sort -u) | tr '\n' ' ')
        say "removing the $(wc -w <<<"$new") images this run made (KEEP_IMAGES=0)"
        [ -n "${new// /}" ] && podman rmi -f $new >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    [ $rc = 0 ] && say "OK" || say "FAILED (exit $rc)"
}
trap cleanup EXIT

if [ "$(id -u)" != 0 ]; then
    say "needs root (apt-get, debootstrap, rootful podman)"; exit 1
fi

# 1. Tools ------------------------------------------------------------------------------
missing=()
for tool in podman buildah runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah runc debootstrap >/dev/null
fi
say "$(podman --version), $(buildah --version | cut -d' ' -f1-3), $(runc --version | head -1)"
IMAGES_BEFORE=$(podman images -qa --no-trunc | sort -u)

# 2. Base image: Debian bookworm + python3 + venv, made with debootstrap ------------------
if podman image exists "$BASE_IMAGE"; then
    say "base image $BASE_IMAGE already present"
else
    say "debootstrap bookworm (minbase + python3 python3-venv ca-certificates) from $MIRROR"
    t0=$(date +%s)
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; exit 1; }
    chroot "$WORK/rootfs" apt-get clean
    rm -rf "$WORK/rootfs/var/lib/apt/lists/"* "$WORK/rootfs/var/cache/apt/"*.bin
    tar -C "$WORK/rootfs" --numeric-owner -c . \
        | podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
            - "$BASE_IMAGE" >"$WORK/import.log" 2>&1
    rm -rf "$WORK/rootfs"
    say "imported $BASE_IMAGE in $(( $(date +%s) - t0 ))s: $(podman run --rm "${RUNTIME[@]}" "${ULIMITS[@]}" "${NOHC[@]}" --network none "$BASE_IMAGE" python3 --version)"
fi

# 3. Build -----------------------------------------------------------------------------
# pip in the build stage verifies TLS against /etc/ssl/certs/ca-certificates.crt (the
# Dockerfile's PIP_CERT); for the RUN steps the host's bundle is bind-mounted over that file
# (needed where TLS to PyPI is intercepted).  The file exists in the base, so the mount leaves
# nothing behind in any layer.
build_mounts=()
if [ -r "$HOST_CA" ]; then
    build_mounts=(--volume "$HOST_CA:/etc/ssl/certs/ca-certificates.crt:ro")
fi
say "podman build $IMAGE (BASE_IMAGE=$BASE_IMAGE, runc, chroot isolation)"
t0=$(date +%s)
podman build "${RUNTIME[@]}" "${ULIMITS[@]}" --isolation chroot --format docker --layers \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" "${build_mounts[@]}" \
    --tag "$IMAGE" --file "$ROOT/Dockerfile" "$ROOT" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log"; exit 1; }
grep -x 'warm-up ok' "$WORK/build.log" | sed 's/^/    build: /' || true
say "built in $(( $(date +%s) - t0 ))s; $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}')"
say "image user: $(podman image inspect "$IMAGE" --format '{{.Config.User}}'), healthcheck: $(podman image inspect "$IMAGE" --format '{{json .Config.Healthcheck.Test}}')"

# 4. No network needed at start: extract inside a container that has no network at all -----
say "offline check: podman run --network none ... trialex extract"
echo 'MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。' \
    | podman run --rm -i "${RUNTIME[@]}" "${ULIMITS[@]}" "${NOHC[@]}" --network none "$IMAGE" trialex extract \
    | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); assert [p["value"] for p in r["p_values"]]==[0.003], r; print("    offline extract: p_values", [p["text"] for p in r["p_values"]], "trial_sizes", [t["n"] for t in r["trial_sizes"]])'

# 5. Run and check from outside ------------------------------------------------------------
podman rm -f "$NAME" >/dev/null 2>&1 || true
run_common=("${RUNTIME[@]}" "${ULIMITS[@]}" -d --name "$NAME" -e "TRIALEX_WORKERS=$WORKERS")
say "podman run $NAME (TRIALEX_WORKERS=$WORKERS, port 127.0.0.1:$PORT -> 8000)"
if ! podman run "${run_common[@]}" -p "127.0.0.1:$PORT:8000" "$IMAGE" >"$WORK/run.log" 2>&1; then
    say "bridge network unavailable ($(tail -1 "$WORK/run.log")); falling back to --network host bound to 127.0.0.1"
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    NETWORK_MODE=host
    podman run "${run_common[@]}" --network host "$IMAGE" \
        /opt/trialex/bin/trialex serve --host 127.0.0.1 --port "$PORT" >/dev/null
fi
URL="http://127.0.0.1:$PORT"
t0=$(date +%s)
until curl -fsS "$URL/ready" >/dev/null 2>&1; do
    if [ "$(podman inspect "$NAME" --format '{{.State.Running}}')" != true ]; then
        podman logs "$NAME" | tail -30; say "container stopped"; exit 1
    fi
    if [ $(( $(date +%s) - t0 )) -gt 180 ]; then podman logs "$NAME" | tail -30; say "not ready after 180s"; exit 1; fi
    sleep 1
done
say "ready after $(( $(date +%s) - t0 ))s ($NETWORK_MODE network): /health $(curl -fsS "$URL/health")"
say "user in container: $(podman exec "$NAME" id -un) (uid $(podman exec "$NAME" id -u)); uvicorn worker processes: $(podman top "$NAME" args | grep -c 'spawn_main'); pipelines loaded: $(podman logs "$NAME" 2>&1 | grep -c '"pipelines loaded"') times"
if podman healthcheck run "$NAME" >/dev/null 2>&1; then say "podman healthcheck run: healthy"; else say "podman healthcheck run: FAILED"; exit 1; fi

body='{"id": "smoke-ja", "text": "MMF 群では 185 例中 104 例（56.2%）が完全寛解に至った（log-rank test P＝0.003）。MMF は 1 日 3,000mg を投与した。"}'
say "POST $URL/v1/extract (Japanese)"
curl -fsS "$URL/v1/extract" -H 'content-type: application/json' -H 'x-request-id: container-smoke-1' \
    --data-binary "$body" >"$WORK/result.json"
python3 - "$WORK/result.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
p = r["p_values"]
assert [x["value"] for x in p] == [0.003], p
assert r["lang"] == "ja" and r["trial_sizes"][0]["n"] == 185 and r["response_rates"][0]["percent"] == 56.2, r
print("    result: lang", r["lang"], "| drugs", [d["name"] for d in r["drugs"]],
      "| doses", [(d["text"], d["normalized"]["min"], d["normalized"]["unit"]) for d in r["doses"]],
      "| trial_sizes", [t["n"] for t in r["trial_sizes"]],
      "| response_rates", [x["percent"] for x in r["response_rates"]],
      "| p_values", [(x["text"], x["value"]) for x in p])
EOF
say "log line of that request:"
podman logs "$NAME" 2>&1 | grep 'container-smoke-1' | head -1 | sed 's/^/    /'
say "bad input: $(curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/extract" -H 'content-type: application/json' --data-binary '{"text": "  "}') for blank text; /health after it: $(curl -fsS "$URL/health")"
