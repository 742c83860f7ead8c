#!/usr/bin/env bash
# Server-mode throughput: rota server + 2 agents against Dask distributed and Slurm on the same
# work, in one invocation (DESIGN section 9: >= 10,000 task completions/s through server and agents
# with no-op runs). Not a timed test: it prints what it measured.
#
#   (a) rota, agents with --no-exec --cores 256: one job of N no-op instances (`frames: 1-N`,
#       chunk 1, command `true`), submit -> job succeeded (`rota wait`), best of REPS, same server;
#       then bench submit_latency (1000 jobs x 10 tasks) against that server.
#   (b) Dask LocalCluster(2 workers x 1 thread, processes): client.map(noop) over N, best of REPS.
#   (c) Slurm 22.05 (slurmctld + slurmd + munge on localhost, as root, everything in the scratch
#       dir): an array of min(N, 2000) `true` tasks on an oversubscribed partition.
#   (d) real processes: the spawn floor first (bench/spawn_floor: 2 streams of posix_spawn +
#       waitpid of `/bin/sh -c true`, nothing else, best of REPS), then rota with 2 agents of 2
#       cores running N/10 instances of the shell command `true` (so each run is that same
#       `/bin/sh -c true`), best of REPS, and the ratio (target >= 0.80); Dask's
#       subprocess.run(["true"]) over N/10 beside it.
# For each rota repetition it also prints where the CPU went (server loop/io threads, agents, from
# /proc/PID/task/*/schedstat) and what /metrics counted (work replies, status posts, cycles).
#
# Usage: bench/server_throughput.sh ROTA_BIN [N=20000]
# Env: REPS (3), SUBMIT_LATENCY (default: submit_latency next to ROTA_BIN), SPAWN_FLOOR (default:
#      spawn_floor next to ROTA_BIN), NO_DASK=1, NO_SLURM=1,
#      KEEP_SCRATCH=1 (keep the scratch dir: server logs, dbs).
set -euo pipefail
ROTA=$(realpath "${1:?usage: server_throughput.sh ROTA_BIN [N=20000]}")
N=${2:-20000}
REPS=${REPS:-3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LATENCY_BIN=${SUBMIT_LATENCY:-$(dirname "$ROTA")/submit_latency}
FLOOR_BIN=${SPAWN_FLOOR:-$(dirname "$ROTA")/spawn_floor}
PY=/usr/bin/python3
NS=$((N / 10)); [ "$NS" -ge 1 ] || NS=1
SLURM_N=$((N < 2000 ? N : 2000))
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-throughput.XXXXXX")

PIDS=()       # every daemon started here, stopped by PID on exit
GROUPS_=()    # process groups started with setsid (Dask: the client and its worker processes)
cleanup() {
  local p
  for p in "${GROUPS_[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${GROUPS_[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  # slurmstepd detaches from slurmd: ones left by an interrupted array hold files of $W open.
  for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
    if ls -l "/proc/$p/fd" 2>/dev/null | grep -qF "$W/"; then kill -KILL "$p" 2>/dev/null || true; fi
  done
  if [ "${KEEP_SCRATCH:-0}" = 1 ]; then echo "scratch kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
calc() { echo "$*" | bc -l; }
fmt() { printf "%.${2:-0}f" "$1"; }   # fmt NUMBER [DECIMALS]
forget_pid() {  # $1 is gone: drop it from PIDS and GROUPS_ so that cleanup never signals a reused pid
  local p kept=() kept_groups=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  for p in "${GROUPS_[@]}"; do [ "$p" = "$1" ] || kept_groups+=("$p"); done
  PIDS=("${kept[@]}"); GROUPS_=("${kept_groups[@]}")
}
stop_pid() {  # stop one daemon of ours and wait for it
  kill -TERM "$1" 2>/dev/null || true
  local _
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# --- rota helpers ------------------------------------------------------------------------------
start_server() {  # $1 = dir; sets SERVER_PID and URL
  mkdir -p "$1"
  "$ROTA" server --listen 127.0.0.1:0 --db "$1/rota.db" >"$1/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=""
  for _ in $(seq 100); do
    URL=$(sed -n 's/^rota server: listening on \(http:[^,]*\),.*/\1/p' "$1/server.log")
    [ -n "$URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "rota server did not start:" >&2; cat "$1/server.log" >&2; exit 1
}
start_agent() {  # $1 = dir, $2 = name, then extra flags; appends to AGENT_PIDS
  mkdir -p "$1"
  local dir=$1 name=$2; shift 2
  "$ROTA" agent --server "$URL" --name "$name" --work-dir "$dir/$name" -q "$@" >"$dir/$name.log" 2>&1 &
  AGENT_PIDS+=($!)
  PIDS+=($!)
}
wait_agents() {  # $1 = how many must be alive
  for _ in $(seq 100); do
    local alive
    alive=$("$ROTA" hosts --server "$URL" --json 2>/dev/null |
      $PY -c 'import json,sys; print(sum(h["state"]=="alive" for h in json.load(sys.stdin)["hosts"]))' 2>/dev/null || echo 0)
    [ "$alive" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "agents did not register" >&2; exit 1
}
metrics() { curl -sf "$URL/metrics"; }
cpu_ns() {  # $1 = pid, $2 = all|main|others: on-CPU nanoseconds of its threads (schedstat)
  local pid=$1 which=$2 total=0 t v
  for t in /proc/"$pid"/task/*; do
    case $which in
      main) [ "${t##*/}" = "$pid" ] || continue ;;
      others) [ "${t##*/}" != "$pid" ] || continue ;;
    esac
    read -r v _ < "$t/schedstat" 2>/dev/null || continue
    total=$((total + v))
  done
  echo "$total"
}
busy_ticks() { awk 'NR == 1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }  # all cpus, not idle/iowait
child_ticks() { awk '{print $16 + $17}' "/proc/$1/stat"; }  # reaped children's user+sys ticks
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
agents_ns() { local s=0 p; for p in "${AGENT_PIDS[@]}"; do s=$((s + $(cpu_ns "$p" all))); done; echo $s; }
agents_child_ns() { local s=0 p; for p in "${AGENT_PIDS[@]}"; do s=$((s + $(child_ticks "$p") * TICK_NS)); done; echo $s; }

# metric_delta BEFORE AFTER: "route count sum" lines of rota_http_request_seconds (code kept) and
# a "cycles count sum" line, as differences.
metric_delta() {
  awk '
    FNR == 1 { file++ }
    /^rota_http_request_seconds_(count|sum)\{/ || /^rota_cycle_seconds_(count|sum) / {
      key = $1; val = $2
      kind = (key ~ /_count/) ? "count" : "sum"
      if (key ~ /^rota_cycle/) name = "cycles"
      else { name = key; sub(/^[^{]*\{/, "", name); sub(/\}$/, "", name) }
      v[file, name, kind] = val; names[name] = 1
    }
    END {
      for (n in names) {
        c = v[2, n, "count"] - v[1, n, "count"]; s = v[2, n, "sum"] - v[1, n, "sum"]
        if (c > 0) printf "%s %d %.6f\n", n, c, s
      }
    }' "$1" "$2"
}
route_count() { awk -v r="$2" 'index($1, "route=\"" r "\"") { c += $2 } END { print c + 0 }' "$1"; }
route_sum() { awk -v r="$2" 'index($1, "route=\"" r "\"") { s += $3 } END { print s + 0 }' "$1"; }
# The same, for one method only.
method_route_count() { awk -v m="$2" -v r="$3" 'index($1, "method=\"" m "\",route=\"" r "\"") { c += $2 } END { print c + 0 }' "$1"; }
method_route_sum() { awk -v m="$2" -v r="$3" 'index($1, "method=\"" m "\",route=\"" r "\"") { s += $3 } END { print s + 0 }' "$1"; }

job_server_seconds() {  # $1 = job id: finished_us - submitted_us as the server recorded them
  "$ROTA" jobs --server "$URL" --json |
    $PY -c 'import json,sys
j=[x for x in json.load(sys.stdin)["jobs"] if x["id"]==int(sys.argv[1])][0]
print((j["finished_us"]-j["submitted_us"])/1e6)' "$1"
}

# rota_rep LABEL SPEC COUNT: one submit -> succeeded measurement; prints a line and the profile;
# sets LAST_WALL.
rota_rep() {
  local label=$1 spec=$2 count=$3 m0="$W/m0" m1="$W/m1" d="$W/mdelta"
  metrics > "$m0"
  local s_loop0 s_io0 a0 c0 t0 t1 id
  s_loop0=$(cpu_ns "$SERVER_PID" main); s_io0=$(cpu_ns "$SERVER_PID" others)
  a0=$(agents_ns); c0=$(agents_child_ns)
  local b0; b0=$(busy_ticks)
  t0=$(now)
  id=$("$ROTA" submit "$spec" --server "$URL")
  if ! "$ROTA" wait "$id" --server "$URL" --timeout 10m >"$W/wait.out" 2>&1; then
    echo "$label: job $id did not succeed: $(cat "$W/wait.out")" >&2; exit 1
  fi
  t1=$(now)
  local b1; b1=$(busy_ticks)
  local s_loop=$(( $(cpu_ns "$SERVER_PID" main) - s_loop0 )) s_io=$(( $(cpu_ns "$SERVER_PID" others) - s_io0 ))
  local ag=$(( $(agents_ns) - a0 )) ch=$(( $(agents_child_ns) - c0 ))
  local busy=$(( (b1 - b0) * TICK_NS ))
  metrics > "$m1"
  metric_delta "$m0" "$m1" > "$d"
  LAST_WALL=$(calc "$t1 - $t0")
  local srv; srv=$(job_server_seconds "$id")
  printf '%s: %d instances, submit -> succeeded %.3f s = %.0f/s (server-side submitted->finished %.3f s)\n' \
    "$label" "$count" "$LAST_WALL" "$(calc "$count / $LAST_WALL")" "$srv"
  local works posts cycles
  # Agents report exits in a POST for work (the next runs come back in its answer); the status
  # route is what a stopping agent, or an older one, uses.
  works=$(route_count "$d" "/v1/agents/{id}/work")
  posts=$(( $(method_route_count "$d" POST "/v1/agents/{id}/work") + $(route_count "$d" "/v1/agents/{id}/status") ))
  cycles=$(awk '$1 == "cycles" { print $2 }' "$d"); cycles=${cycles:-0}
  local cyc_s; cyc_s=$(awk '$1 == "cycles" { print $3 }' "$d"); cyc_s=${cyc_s:-0}
  printf '  cpu: server %.0f ms (loop thread %.0f, io thread %.0f) = %.1f us/instance; agents %.0f ms = %.1f us/instance' \
    "$(calc "($s_loop + $s_io) / 1000000")" "$(calc "$s_loop / 1000000")" "$(calc "$s_io / 1000000")" \
    "$(calc "($s_loop + $s_io) / 1000 / $count")" "$(calc "$ag / 1000000")" "$(calc "$ag / 1000 / $count")"
  if [ "$ch" -gt 0 ]; then
    printf '; their children %.0f ms = %.1f us/run' "$(calc "$ch / 1000000")" "$(calc "$ch / 1000 / $count")"
  fi
  printf ' (wall x %d cpus = %.0f ms)\n' "$(nproc)" "$(calc "$LAST_WALL * 1000 * $(nproc)")"
  printf '  http: %d work replies (%.1f assignments each), %d of them and status posts carried reports (%.1f each; %.2f ms per request); other: %s\n' \
    "$works" "$(calc "$count / ($works + ($works == 0))")" "$posts" "$(calc "$count / ($posts + ($posts == 0))")" \
    "$(calc "1000 * ($(method_route_sum "$d" POST "/v1/agents/{id}/work") + $(route_sum "$d" "/v1/agents/{id}/status")) / ($posts + ($posts == 0))")" \
    "$(awk '$1 != "cycles" && $1 !~ /agents.*id.*(work|status)/ {
        r = $1; sub(/.*route="/, "", r); sub(/".*/, "", r); m = $1; sub(/^method="/, "", m); sub(/".*/, "", m)
        o = o sep m " " r " x" $2; sep = ", " } END { print (o == "" ? "none" : o) }' "$d")"
  printf '  machine: %.0f%% of %d cpus busy during the rep, %.0f ms of it not by this server, its agents or their children (the rota submit/wait clients, and any other load, which skews the figure)\n' \
    "$(calc "100 * $busy / ($LAST_WALL * 1000000000 * $(nproc))")" "$(nproc)" \
    "$(calc "($busy - $s_loop - $s_io - $ag - $ch) / 1000000")"
  printf '  cycles with changes (each ends in one store commit): %d, %.0f ms in all (%.2f ms each, %.0f%% of wall)\n' \
    "$cycles" "$(calc "$cyc_s * 1000")" "$(calc "1000 * $cyc_s / ($cycles + ($cycles == 0))")" \
    "$(calc "100 * $cyc_s / $LAST_WALL")"
}

min() { if [ -z "$1" ] || (( $(echo "$2 < $1" | bc -l) )); then echo "$2"; else echo "$1"; fi; }

echo "server throughput: N=$N, best of $REPS, $(nproc) cpus, $("$ROTA" --version 2>/dev/null || echo rota) ($ROTA), scratch $W"

# --- (a) rota --no-exec ------------------------------------------------------------------------
printf 'name: tp-noexec\ntasks:\n  - name: noop\n    frames: "1-%d"\n    chunk: 1\n    command: "true"\n' "$N" > "$W/noexec.yaml"
AGENT_PIDS=()
start_server "$W/a"
start_agent "$W/a" a1 --cores 256 --no-exec
start_agent "$W/a" a2 --cores 256 --no-exec
wait_agents 2
echo "== (a) rota server $URL, 2 agents --no-exec --cores 256, one job of $N instances"
best_a=""
for rep in $(seq "$REPS"); do
  rota_rep "rota no-exec rep $rep" "$W/noexec.yaml" "$N"
  best_a=$(min "$best_a" "$LAST_WALL")
done
rate_a=$(calc "$N / $best_a")
printf 'RATE rota no-exec (best of %d): %d instances in %.3f s = %.0f completions/s (target >= 10000/s: %s)\n' \
  "$REPS" "$N" "$best_a" "$rate_a" "$( (( $(calc "$rate_a >= 10000") )) && echo met || echo 'NOT met')"

lat_line=""
if [ -x "$LATENCY_BIN" ]; then
  echo "== submit latency against the same server (agents --no-exec, so the jobs also run)"
  m0="$W/lm0"; m1="$W/lm1"; metrics > "$m0"
  "$LATENCY_BIN" "$URL" 1000 10 | tee "$W/latency.out"
  metrics > "$m1"; metric_delta "$m0" "$m1" > "$W/lmdelta"
  printf '  server-side POST /v1/jobs: %.2f ms mean over %d\n' \
    "$(calc "1000 * $(route_sum "$W/lmdelta" "/v1/jobs\",code=\"201") / ($(route_count "$W/lmdelta" "/v1/jobs\",code=\"201") + 0.000001)")" \
    "$(route_count "$W/lmdelta" "/v1/jobs\",code=\"201")"
  lat_line=$(sed -n 's/^submit latency ms: \(p50=[^ ]* p90=[^ ]* p99=[^ ]* max=[^ ]*\).*/\1/p' "$W/latency.out")
  lat_rate=$(sed -n 's/^submit rate: \([0-9]*\) submissions.*/\1/p' "$W/latency.out")
  lat_line="submit latency $lat_line ms, $lat_rate submissions/s"
else
  echo "submit latency: skipped ($LATENCY_BIN not built: cmake --build BUILD --target submit_latency)"
fi
for p in "${AGENT_PIDS[@]}" "$SERVER_PID"; do stop_pid "$p"; done

# --- (b) + the Dask half of (d) ----------------------------------------------------------------
rate_b=""; rate_db=""
if [ "${NO_DASK:-0}" = 1 ]; then
  echo "== (b) Dask: skipped (NO_DASK=1)"
elif ! $PY -c 'import distributed' 2>/dev/null; then
  echo "== (b) Dask: skipped (python3-distributed is not installed: scripts/deps bench)"
else
  echo "== (b) Dask LocalCluster 2 workers x 1 thread: client.map(noop) x $N; then (d) subprocess.run([\"true\"]) x $NS"
  mkdir -p "$W/dask"
  DASK_LOCAL_DIR="$W/dask" TMPDIR="$W/dask" setsid "$PY" "$HERE/dask_throughput.py" "$N" "$NS" "$REPS" \
    >"$W/dask.out" 2>"$W/dask.err" &
  dpid=$!; GROUPS_+=("$dpid"); PIDS+=("$dpid")
  if ! wait "$dpid"; then echo "Dask failed:" >&2; tail -20 "$W/dask.err" >&2; exit 1; fi
  kill -TERM -- "-$dpid" 2>/dev/null || true   # a worker process that outlived the client
  forget_pid "$dpid"
  grep -v '^DASK .* best ' "$W/dask.out" | sed 's/^/  /'
  rate_b=$(awk '$1 == "DASK" && $2 == "noop" && $3 == "best" { sub("rate=", "", $6); print $6 }' "$W/dask.out")
  rate_db=$(awk '$1 == "DASK" && $2 == "shell" && $3 == "best" { sub("rate=", "", $6); print $6 }' "$W/dask.out")
  printf 'RATE dask noop (best of %d): %.0f tasks/s\n' "$REPS" "$rate_b"
  printf 'RATIO rota no-exec / dask noop = %.2f\n' "$(calc "$rate_a / $rate_b")"
fi

# --- (c) Slurm ---------------------------------------------------------------------------------
rate_c=""; slurm_note=""
slurm_bench() {
  local S="$W/slurm"
  mkdir -p "$S"/{state,spool,log}; chmod 0700 "$S"
  local host cpus mem conf
  host=$(hostname -s); cpus=$(nproc)
  mem=$(awk '/MemTotal/{printf "%d", $2/1024*0.9}' /proc/meminfo)
  conf="$S/slurm.conf"
  export SLURM_CONF="$conf"
  mungekey -c -k "$S/munge.key" -b 1024 2>/dev/null || dd if=/dev/urandom of="$S/munge.key" bs=1 count=1024 2>/dev/null
  chmod 0400 "$S/munge.key"
  munged -F --force --num-threads=10 --key-file="$S/munge.key" --socket="$S/munge.sock" \
    --pid-file="$S/munged.pid" --log-file="$S/log/munged.log" --seed-file="$S/munged.seed" 2>>"$S/log/munged.stderr" &
  local munge=$!
  PIDS+=("$munge")
  for _ in $(seq 50); do [ -S "$S/munge.sock" ] && break; sleep 0.1; done
  local ports; ports=$($PY -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]; print(*[x.getsockname()[1] for x in s])')
  local ctld_port=${ports% *} slurmd_port=${ports#* }
  # The peer's "htc" profile (slurm_bench.sh): FIFO scheduler, little logging, no scheduling delays.
  cat > "$conf" <<CONFEOF
ClusterName=rota
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge.sock
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
SlurmctldDebug=error
SlurmdDebug=error
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,default_queue_depth=1000
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MaxJobCount=100000
MaxArraySize=100001
ReturnToService=2
MinJobAge=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=over Nodes=ALL Default=NO MaxTime=INFINITE State=UP OverSubscribe=FORCE:64
CONFEOF
  slurmctld -D -c -f "$conf" > "$S/log/slurmctld.stdout" 2>&1 &
  PIDS+=($!); local ctld=$!
  slurmd -D -f "$conf" > "$S/log/slurmd.stdout" 2>&1 &
  PIDS+=($!); local sd=$!
  local ok=0 until=$((SECONDS + 30))
  while [ $SECONDS -lt $until ]; do
    if sinfo -h -o '%t' 2>/dev/null | grep -qx idle; then ok=1; break; fi
    sleep 0.3
  done
  if [ $ok != 1 ]; then
    slurm_note="did not come up within 30 s (sinfo: $(sinfo -h 2>&1 | tail -1))"
    tail -5 "$S"/log/*.log "$S"/log/*.stdout 2>/dev/null | sed 's/^/  /' || true
    stop_pid "$sd"; stop_pid "$ctld"; stop_pid "$munge"
    return 0
  fi
  echo "  $(sbatch --version), host $host, $cpus cpus, htc profile, partition over (OverSubscribe=FORCE:64)"
  local limit=$((SLURM_N / 5 > 120 ? SLURM_N / 5 : 120))   # seconds; Slurm's 1 s passes make it slow, not stuck
  wait_empty() {
    local until=$((SECONDS + limit))
    while [ -n "$(squeue -h -o %i 2>/dev/null | head -1)" ]; do
      [ $SECONDS -lt $until ] || { echo "Slurm jobs still queued after ${limit}s" >&2; return 1; }
      sleep 0.05
    done
  }
  if ! { sbatch -Q -p over --chdir="$S" -o /dev/null --wrap=true >/dev/null && wait_empty; }; then  # warm-up
    slurm_note="the warm-up job failed or did not finish"; stop_pid "$sd"; stop_pid "$ctld"; stop_pid "$munge"; return 0
  fi
  local t0 t1 t2
  t0=$(now)
  sbatch -Q -p over --chdir="$S" -o /dev/null --array=0-$((SLURM_N - 1)) --wrap=true >/dev/null
  t1=$(now)
  if ! wait_empty; then slurm_note="the array did not finish in ${limit}s"; stop_pid "$sd"; stop_pid "$ctld"; stop_pid "$munge"; return 0; fi
  t2=$(now)
  rate_c=$(calc "$SLURM_N / ($t2 - $t0)")
  printf '  array of %d: submit %.3f s, all finished after %.2f s\n' "$SLURM_N" "$(calc "$t1 - $t0")" "$(calc "$t2 - $t0")"
  stop_pid "$sd"; stop_pid "$ctld"; stop_pid "$munge"
}
if [ "${NO_SLURM:-0}" = 1 ]; then
  slurm_note="skipped (NO_SLURM=1)"
elif [ "$(id -u)" != 0 ]; then
  slurm_note="skipped (not root: the single-node setup runs slurmctld/slurmd as root)"
elif ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  slurm_note="skipped (slurm-wlm or munge is not installed: scripts/deps bench)"
else
  echo "== (c) Slurm: array of $SLURM_N \`true\` tasks, oversubscribed partition"
  slurm_bench
fi
if [ -n "$rate_c" ]; then
  printf 'RATE slurm array (%d tasks, oversubscribed): %.1f tasks/s\n' "$SLURM_N" "$rate_c"
  printf 'RATIO rota no-exec / slurm array = %.1f\n' "$(calc "$rate_a / $rate_c")"
else
  echo "RATE slurm: $slurm_note"
fi

# --- (d) rota with real processes ----------------------------------------------------------------
rate_floor=""
if [ -x "$FLOOR_BIN" ]; then
  echo "== (d) the spawn floor: 2 streams of posix_spawn + waitpid of /bin/sh -c true, $((NS / 2)) each"
  for rep in $(seq "$REPS"); do
    r=$("$FLOOR_BIN" 2 $((NS / 2)) /bin/sh -c true)
    echo "spawn floor rep $rep: $r/s"
    if [ -z "$rate_floor" ] || [ "$r" -gt "$rate_floor" ]; then rate_floor=$r; fi
  done
  printf 'RATE spawn floor /bin/sh -c true, 2 streams (best of %d): %d/s\n' "$REPS" "$rate_floor"
else
  echo "spawn floor: skipped ($FLOOR_BIN not built: cmake --build BUILD --target spawn_floor)"
fi
printf 'name: tp-true\ntasks:\n  - name: run\n    frames: "1-%d"\n    chunk: 1\n    command: "true"\n' "$NS" > "$W/true.yaml"
AGENT_PIDS=()
start_server "$W/d"
start_agent "$W/d" x1 --cores 2
start_agent "$W/d" x2 --cores 2
wait_agents 2
echo "== (d) rota server $URL, 2 agents --cores 2 (real processes), one job of $NS instances of the command \`true\` (each a /bin/sh -c true)"
best_d=""
for rep in $(seq "$REPS"); do
  rota_rep "rota true rep $rep" "$W/true.yaml" "$NS"
  best_d=$(min "$best_d" "$LAST_WALL")
done
for p in "${AGENT_PIDS[@]}" "$SERVER_PID"; do stop_pid "$p"; done
rate_d=$(calc "$NS / $best_d")
printf 'RATE rota true processes (best of %d): %d runs in %.3f s = %.0f/s\n' "$REPS" "$NS" "$best_d" "$rate_d"
if [ -n "$rate_floor" ]; then
  ratio_floor=$(calc "$rate_d / $rate_floor")
  printf 'RATIO rota true processes / spawn floor = %.2f (target >= 0.80: %s)\n' "$ratio_floor" \
    "$( (( $(calc "$ratio_floor >= 0.80") )) && echo met || echo 'NOT met')"
fi
if [ -n "$rate_db" ]; then
  printf 'RATE dask subprocess.run(["true"]) (best of %d): %.0f tasks/s\n' "$REPS" "$rate_db"
  printf 'RATIO rota true / dask shell = %.2f\n' "$(calc "$rate_d / $rate_db")"
fi

# --- summary ------------------------------------------------------------------------------------
fig="FIGURE rota server (2 agents, 2 cpus): no-exec $(fmt "$rate_a")/s"
[ -n "$rate_b" ] && fig+=", dask noop $(fmt "$rate_b")/s (x$(fmt "$(calc "$rate_a / $rate_b")" 2))"
if [ -n "$rate_c" ]; then
  fig+=", slurm array $(fmt "$rate_c" 1)/s (x$(fmt "$(calc "$rate_a / $rate_c")" 0))"
else
  fig+=", slurm $slurm_note"
fi
fig+="; true processes $(fmt "$rate_d")/s"
[ -n "$rate_floor" ] && fig+=" = $(fmt "$(calc "$rate_d / $rate_floor")" 2) of the spawn floor $rate_floor/s"
[ -n "$rate_db" ] && fig+=", dask shell $(fmt "$rate_db")/s (x$(fmt "$(calc "$rate_d / $rate_db")" 2))"
[ -n "$lat_line" ] && fig+="; $lat_line"
echo "$fig"
