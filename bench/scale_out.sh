#!/usr/bin/env bash
# Several servers on one PostgreSQL (issue 10), measured in one invocation beside the SQLite
# single server. Not a timed test: it prints what it measured and what limits it.
#
#   (a) no-op throughput: one job of N instances over 4 pools (p1..p4, N/4 each, command `true`),
#       2 agents --no-exec --cores 256 serving every pool, submit -> succeeded, best of REPS; then
#       submit latency (bench submit_latency: 1000 jobs x 10 tasks, one request at a time) against
#       the first server. Three setups: 1 server on SQLite, 1 server on PostgreSQL, 3 servers on
#       PostgreSQL (agent 1 talks to s1, agent 2 to s2; the job goes in through s1).
#   (b) scheduling cycle: 100,000 pending instances over 4 pools (25,000 each) and 400 hand-
#       registered hosts (100 per pool, 250 cores each: room for all), 1 server vs 3 on PostgreSQL:
#       submit -> all 100,000 placed as the first server sees it, and each server's cycle time.
#   (c) takeover, TAKEOVERS times (20), with the advisory-lock detector and with --no-lease-lock
#       (ttl 5 s): kill -9 the holder of pool `render` (real agents run `sleep 0.1` there without a
#       pause), then the time to the lease taken (as a survivor's GET /v1/servers says, polled
#       every 10 ms) and to the first placement in render by another server (the ts_us of the
#       first task.started after the kill); p50/p99. The killed server is started again each time.
#
# Usage: bench/scale_out.sh ROTA_BIN [N=20000]
# Env: REPS (2), TAKEOVERS (20), PARTS (a,b,c), SUBMIT_LATENCY (default: next to ROTA_BIN),
#      KEEP_SCRATCH=1. Runs itself under scripts/with-postgres when POSTGRES_TEST_URL is not set.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${POSTGRES_TEST_URL:-}" ]; then exec "$HERE/../scripts/with-postgres" "$0" "$@"; fi
ROTA=$(realpath "${1:?usage: scale_out.sh ROTA_BIN [N=20000]}")
N=${2:-20000}
REPS=${REPS:-2}
TAKEOVERS=${TAKEOVERS:-20}
PARTS=${PARTS:-a,b,c}
LATENCY_BIN=${SUBMIT_LATENCY:-$(dirname "$ROTA")/submit_latency}
PY=/usr/bin/python3
PSQL=/usr/lib/postgresql/15/bin/psql
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-scale-out.XXXXXX")
chmod 0755 "$W"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then echo "scratch kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
calc() { echo "$*" | bc -l; }
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
new_database() {  # $1 = name: an empty database on the private cluster; prints its URL
  $PSQL -q "$POSTGRES_TEST_URL" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${POSTGRES_TEST_URL%/*}/$1"
}
pg_connections() { $PSQL -Atq "$POSTGRES_TEST_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'rota-%'"; }

# --- servers and agents --------------------------------------------------------------------------
# SERVER_URL[i], SERVER_PID[i], SERVER_ARGS[i]; URLS = every URL, comma-separated.
declare -a SERVER_URL SERVER_PID SERVER_ARGS
start_server() {  # $1 = index: (re)starts it with its args, on its port; waits until it answers
  local i=$1 dir="$W/s$1"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  "$ROTA" server ${SERVER_ARGS[$i]} -q >>"$dir/server.log" 2>&1 &
  disown $!   # a kill -9 of it is no news worth a line
  SERVER_PID[$i]=$!
  PIDS+=("${SERVER_PID[$i]}")
  for _ in $(seq 200); do
    curl -sf "${SERVER_URL[$i]}/healthz" >/dev/null 2>&1 && return 0
    kill -0 "${SERVER_PID[$i]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "server $i did not start:" >&2; tail -20 "$dir/server.log" >&2; exit 1
}
setup_servers() {  # $1 = count, $2 = store (sqlite | a postgres URL), then extra server flags
  local count=$1 store=$2; shift 2
  SERVER_URL=(); SERVER_PID=(); SERVER_ARGS=(); URLS=""
  local i
  for i in $(seq 0 $((count - 1))); do
    local port; port=$(free_port)
    SERVER_URL[$i]="http://127.0.0.1:$port"
    local store_flag="--db $W/s$i/rota.db"
    [ "$store" = sqlite ] || store_flag="--store $store --name s$((i + 1))"
    SERVER_ARGS[$i]="--listen 127.0.0.1:$port $store_flag --log-dir $W/s$i/logs $*"
    URLS+="${URLS:+,}${SERVER_URL[$i]}"
  done
  for i in $(seq 0 $((count - 1))); do start_server "$i"; done
}
rotated_urls() {  # $1 = index: every URL, starting with server $1's
  local n=${#SERVER_URL[@]} out="" k
  for k in $(seq 0 $((n - 1))); do out+="${out:+,}${SERVER_URL[$(( (k + $1) % n ))]}"; done
  echo "$out"
}
AGENT_PIDS=()
start_agent() {  # $1 = name, $2 = its server list, then extra flags
  local name=$1 urls=$2; shift 2
  mkdir -p "$W/$name"
  "$ROTA" agent --server "$urls" --name "$name" --work-dir "$W/$name/work" -q "$@" >>"$W/$name/agent.log" 2>&1 &
  AGENT_PIDS+=($!); PIDS+=($!)
  disown $!
}
wait_hosts() {  # $1 = how many alive, as server 0 says
  for _ in $(seq 200); do
    local alive
    alive=$(curl -sf "${SERVER_URL[0]}/v1/hosts" | $PY -c 'import json,sys; print(sum(h["state"]=="alive" for h in json.load(sys.stdin)["hosts"]))' 2>/dev/null || echo 0)
    [ "$alive" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "hosts did not register" >&2; exit 1
}
stop_all() {
  local p
  for p in "${AGENT_PIDS[@]}" "${SERVER_PID[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${AGENT_PIDS[@]}" "${SERVER_PID[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$p" 2>/dev/null || true
  done
  AGENT_PIDS=()
}
wait_leases() {  # every one of $@ held by a live server, as server 0 says
  for _ in $(seq 300); do
    if curl -sf "${SERVER_URL[0]}/v1/servers" | $PY -c 'import json,sys
held={l["name"] for l in json.load(sys.stdin)["leases"] if l["holder"] and not l.get("expired")}
sys.exit(0 if set(sys.argv[1:]) <= held else 1)' "$@" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "leases $* were not all taken" >&2; exit 1
}
lease_holders() {  # "name=holder@epoch ..." as server $1 sees them
  curl -sf "${SERVER_URL[$1]}/v1/servers" |
    $PY -c 'import json,sys; print(" ".join("%s=%s@%d" % (l["name"], l["holder"], l["epoch"]) for l in json.load(sys.stdin)["leases"]))'
}
four_pools() {  # $1 = file, $2 = instances per pool
  printf 'name: four-pools\ntasks:\n' > "$1"
  local p
  for p in 1 2 3 4; do printf '  - {name: t%d, pool: p%d, frames: "1-%d", command: "true"}\n' "$p" "$p" "$2" >> "$1"; done
}
server_cpu_ms() {  # user+sys of every server process so far, in ms
  local s=0 p
  for p in "${SERVER_PID[@]}"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
  echo $((s * 1000 / $(getconf CLK_TCK)))
}
percentiles() {  # stdin: one number per line -> "p50=X p99=Y max=Z n=N" (nearest rank)
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n=0"; exit }
    r50 = int(0.50 * NR + 0.999999); r99 = int(0.99 * NR + 0.999999)
    printf "p50=%.3f p99=%.3f max=%.3f n=%d", v[r50], v[r99], v[NR], NR }'
}

echo "scale out: N=$N, best of $REPS, $TAKEOVERS takeovers, $(nproc) cpus, $("$ROTA" --version 2>/dev/null || echo rota), PostgreSQL $($PSQL -Atq "$POSTGRES_TEST_URL" -c 'SHOW server_version'), scratch $W"

# --- (a) throughput and submit latency -------------------------------------------------------------
declare -A RATE LATENCY
throughput_setup() {  # $1 = label, $2 = server count, $3 = store
  local label=$1 count=$2 store=$3
  setup_servers "$count" "$store" --heartbeat-timeout 60s
  start_agent a1 "$(rotated_urls 0)" --no-exec --cores 256
  start_agent a2 "$(rotated_urls $((1 % count)))" --no-exec --cores 256
  wait_hosts 2
  [ "$count" = 1 ] || wait_leases '*farm'
  four_pools "$W/four.yaml" $((N / 4))
  local best="" rep
  for rep in $(seq "$REPS"); do
    local c0 t0 t1 id c1
    c0=$(server_cpu_ms); t0=$(now)
    id=$("$ROTA" submit "$W/four.yaml" --server "$URLS")
    "$ROTA" wait "$id" --server "$URLS" --timeout 10m >/dev/null
    t1=$(now); c1=$(server_cpu_ms)
    local wall; wall=$(calc "$t1 - $t0")
    printf '  %s rep %d: %d instances in %.3f s = %.0f/s; servers used %d ms of cpu (%.1f us/instance)\n' \
      "$label" "$rep" $((N / 4 * 4)) "$wall" "$(calc "$N / $wall")" $((c1 - c0)) "$(calc "($c1 - $c0) * 1000 / $N")"
    if [ -z "$best" ] || (( $(calc "$wall < $best") )); then best=$wall; fi
  done
  [ "$count" = 1 ] || { sleep 1.2; echo "  leases: $(lease_holders 0)"; }   # s1's view, renewed each second
  RATE[$label]=$(calc "$N / $best")
  if [ -x "$LATENCY_BIN" ]; then
    "$LATENCY_BIN" "${SERVER_URL[0]}" 1000 10 > "$W/latency.out"
    LATENCY[$label]=$(sed -n 's/^submit latency ms: \(p50=[^ ]* p90=[^ ]* p99=[^ ]*\).*/\1/p' "$W/latency.out")
    echo "  $label submit latency ms: ${LATENCY[$label]}"
  fi
  stop_all
}
if has_part a; then
  echo "== (a) no-op throughput: one job of $N instances over 4 pools, 2 agents --no-exec; then submit latency"
  throughput_setup "sqlite-1" 1 sqlite
  throughput_setup "postgres-1" 1 "$(new_database rota_bench_a1)"
  throughput_setup "postgres-3" 3 "$(new_database rota_bench_a3)"
  for l in sqlite-1 postgres-1 postgres-3; do
    printf 'RATE %-10s %6.0f completions/s (x%.2f of sqlite-1); submit latency %s ms\n' "$l" "${RATE[$l]}" \
      "$(calc "${RATE[$l]} / ${RATE[sqlite-1]}")" "${LATENCY[$l]:-not measured}"
  done
fi

# --- (b) the scheduling cycle of 100,000 pending instances -------------------------------------------
register_hosts() {  # 100 hosts per pool p1..p4, 250 cores each, registered with server 0 and never polling
  $PY - "${SERVER_URL[0]}" <<'PYEOF'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
for p in range(1, 5):
    for h in range(100):
        body = json.dumps({"name": f"h{p}-{h:03d}", "cores": 250, "memory": 1 << 40, "gpus": 0, "tags": [],
                           "pools": [f"p{p}"], "running": []})
        c.request("POST", "/v1/agents/register", body, {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status != 200: sys.exit(f"register: {r.status}")
PYEOF
}
running_instances() {  # as server $1 says
  curl -sf "${SERVER_URL[$1]}/metrics" | awk '$1 == "rota_instances{state=\"running\"}" { print $2 }'
}
cycle_stats() {  # server $1: "count sum" of rota_cycle_seconds, then of rota_sched_duration_seconds
  curl -sf "${SERVER_URL[$1]}/metrics" | awk '
    $1 == "rota_cycle_seconds_count" { c = $2 } $1 == "rota_cycle_seconds_sum" { s = $2 }
    $1 == "rota_sched_duration_seconds_count" { dc = $2 } $1 == "rota_sched_duration_seconds_sum" { ds = $2 }
    END { print c + 0, s + 0, dc + 0, ds + 0 }'
}
declare -A CYCLE_WALL
cycle_setup() {  # $1 = label, $2 = server count
  local label=$1 count=$2
  setup_servers "$count" "$(new_database "rota_bench_b$count")" --heartbeat-timeout 10m
  register_hosts
  for i in $(seq 0 $((count - 1))); do
    for _ in $(seq 100); do
      [ "$(curl -sf "${SERVER_URL[$i]}/v1/hosts" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["hosts"]))')" = 400 ] && break
      sleep 0.1
    done
  done
  four_pools "$W/cycle.yaml" 25000
  [ "$count" = 1 ] || wait_leases '*farm'
  local -a before
  for i in $(seq 0 $((count - 1))); do before[$i]=$(cycle_stats "$i"); done
  local t0 t1 c0 c1
  c0=$(server_cpu_ms); t0=$(now)
  "$ROTA" submit "$W/cycle.yaml" --server "$URLS" >/dev/null
  for _ in $(seq 6000); do
    [ "$(running_instances 0)" = 100000 ] && break
    sleep 0.02
  done
  t1=$(now); c1=$(server_cpu_ms)
  local placed; placed=$(running_instances 0)
  CYCLE_WALL[$label]=$(calc "$t1 - $t0")
  printf '  %s: submit -> %d of 100000 placed (as s1 sees it) in %.3f s; servers used %d ms of cpu\n' \
    "$label" "$placed" "${CYCLE_WALL[$label]}" $((c1 - c0))
  for i in $(seq 0 $((count - 1))); do
    local n0 s0 d0 e0 n1 s1 d1 e1
    read -r n0 s0 d0 e0 <<<"${before[$i]}"; read -r n1 s1 d1 e1 <<<"$(cycle_stats "$i")"
    printf '    s%d: %d scheduling cycles, %.0f ms in them (%.1f ms each); %d loop batches that appended, %.0f ms (with the commits)\n' \
      $((i + 1)) $((d1 - d0)) "$(calc "($e1 - $e0) * 1000")" "$(calc "($e1 - $e0) * 1000 / ($d1 - $d0 + ($d1 == $d0))")" \
      $((n1 - n0)) "$(calc "($s1 - $s0) * 1000")"
  done
  [ "$count" = 1 ] || { sleep 1.2; echo "  leases: $(lease_holders 0)"; }
  stop_all
}
if has_part b; then
  echo "== (b) 100,000 pending instances over 4 pools, 400 hand-registered hosts: 1 server vs 3 on PostgreSQL"
  cycle_setup "postgres-1" 1
  cycle_setup "postgres-3" 3
  printf 'CYCLE 100000 placed: 1 server %.3f s, 3 servers %.3f s (x%.2f)\n' "${CYCLE_WALL[postgres-1]}" \
    "${CYCLE_WALL[postgres-3]}" "$(calc "${CYCLE_WALL[postgres-1]} / ${CYCLE_WALL[postgres-3]}")"
fi

# --- (c) takeover -------------------------------------------------------------------------------------
takeover_series() {  # $1 = label, then extra server flags
  local label=$1; shift
  local db; db=$(new_database "rota_bench_c_${label//-/_}")
  setup_servers 3 "$db" --heartbeat-timeout 30s "$@"
  start_agent r1 "$(rotated_urls 0)" --cores 8 --pools render
  start_agent r2 "$(rotated_urls 1)" --cores 8 --pools render
  wait_hosts 2
  printf 'name: endless\ntasks:\n  - {name: plate, pool: render, frames: "1-1000000", command: "sleep 0.1"}\n' > "$W/endless.yaml"
  "$ROTA" submit "$W/endless.yaml" --server "$URLS" >/dev/null
  wait_leases render
  : > "$W/$label.taken"; : > "$W/$label.placed"
  # The lease as the database has it: holder, epoch, and when it was taken (a take sets
  # expires_at to now() + ttl; looked at well within the first renewal, a second later).
  render_lease() {
    $PSQL -Atq -F ' ' "$db" -c "SELECT holder, epoch, (extract(epoch FROM expires_at) * 1000000)::bigint - 5000000 FROM leases WHERE name = 'render'"
  }
  local k
  for k in $(seq "$TAKEOVERS"); do
    local holder epoch victim survivor since
    read -r holder epoch _ <<<"$(render_lease)"
    victim=$(( ${holder#s} - 1 )); survivor=$(( (victim + 1) % 3 ))
    since=$(curl -sf "${SERVER_URL[$survivor]}/v1/events?follow=0&since=0" | awk '/^id: / { s = $2 } END { print s + 0 }')
    local t_kill t_taken="" new_holder new_epoch taken_us
    t_kill=$(date +%s%6N)
    kill -KILL "${SERVER_PID[$victim]}"
    for _ in $(seq 2000); do
      read -r new_holder new_epoch taken_us <<<"$(render_lease)"
      if [ "$new_epoch" -gt "$epoch" ]; then t_taken=$taken_us; break; fi
      sleep 0.005
    done
    [ -n "$t_taken" ] || { echo "takeover $k: render was not taken from $holder" >&2; exit 1; }
    # The first placement under the new epoch: the first task.started proposed after the take.
    local t_placed=""
    for _ in $(seq 1000); do
      t_placed=$(curl -sf "${SERVER_URL[$survivor]}/v1/events?follow=0&since=$since" |
        $PY -c 'import json,sys
t0 = int(sys.argv[1])
for line in sys.stdin:
    if line.startswith("data: "):
        e = json.loads(line[6:])
        if e["type"] == "task.started" and e["ts_us"] >= t0:
            print(e["ts_us"]); break' "$t_taken")
      [ -n "$t_placed" ] && break
      sleep 0.02
    done
    [ -n "$t_placed" ] || { echo "takeover $k: nothing placed in render after the kill" >&2; exit 1; }
    calc "($t_taken - $t_kill) / 1000000" >> "$W/$label.taken"
    calc "($t_placed - $t_kill) / 1000000" >> "$W/$label.placed"
    printf '  %s %2d: kill -9 %s (render@%d); %s took it at epoch %d after %.3f s, placed in it after %.3f s\n' "$label" "$k" \
      "$holder" "$epoch" "$new_holder" "$new_epoch" "$(calc "($t_taken - $t_kill) / 1000000")" "$(calc "($t_placed - $t_kill) / 1000000")"
    while kill -0 "${SERVER_PID[$victim]}" 2>/dev/null; do sleep 0.01; done
    start_server "$victim"
    sleep 1.5   # the restarted server renews before the next kill
  done
  echo "TAKEOVER $label: lease taken $(percentiles < "$W/$label.taken") s; first placement $(percentiles < "$W/$label.placed") s"
  stop_all
}
if has_part c; then
  echo "== (c) takeover of pool render after kill -9 of its holder, $TAKEOVERS times each (3 servers, lease ttl 5 s)"
  takeover_series lock
  takeover_series no-lock --no-lease-lock
  echo "  targets: p99 < 1 s with the lock, < ttl + 1 s = 6 s without"
fi
