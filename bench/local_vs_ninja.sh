#!/usr/bin/env bash
# rota run vs ninja on the same work, in one invocation (DESIGN section 9):
#   indep: N independent `true` tasks;  chain: an N-task chain.
# Both run with 2 parallel jobs, output discarded; runs alternate, best wall time of REPS each.
# Prints each wall time and the ratio rota/ninja (targets: <= 1.10 indep, <= 1.20 chain).
# Usage: bench/local_vs_ninja.sh PATH_TO_ROTA [N] [REPS]
set -euo pipefail
ROTA=$(realpath "${1:?usage: local_vs_ninja.sh PATH_TO_ROTA [N] [REPS]}")
N=${2:-10000}
REPS=${3:-3}
command -v ninja >/dev/null || { echo "ninja is missing: run scripts/deps" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/rota-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

gen() {  # $1 = indep|chain: writes $W/$1/build.ninja and $W/$1/spec.yaml
  local d="$W/$1"; mkdir -p "$d"
  awk -v kind="$1" -v n="$N" -v dir="$d" 'BEGIN {
    nf = dir "/build.ninja"; sf = dir "/spec.yaml";
    print "rule r\n  command = true\n" > nf;
    print "name: bench-" kind "\ntasks:" > sf;
    for (i = 0; i < n; i++) {
      if (kind == "chain" && i > 0) {
        printf "build t%d: r t%d\n", i, i - 1 > nf;
        printf "  - {name: t%d, command: \"true\", requires: [t%d]}\n", i, i - 1 > sf;
      } else {
        printf "build t%d: r\n", i > nf;
        printf "  - {name: t%d, command: \"true\"}\n", i > sf;
      }
    }
    if (kind == "chain") { printf "build all: phony t%d\n", n - 1 > nf }
    else { printf "build all: phony" > nf; for (i = 0; i < n; i++) printf " t%d", i > nf; print "" > nf }
    print "default all" > nf;
  }'
}

run_once() {  # runs "$@" once in the current directory; prints its wall seconds
  local t0 t1
  rm -rf .ninja_log .ninja_deps .rota
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || (( $(echo "$2 < $1" | bc -l) )); then echo "$2"; else echo "$1"; fi; }

echo "rota vs ninja: N=$N, -j2, best of $REPS, $(nproc) cpus, ninja $(ninja --version)"
declare -A target=([indep]=1.10 [chain]=1.20)
for kind in indep chain; do
  gen "$kind"
  cd "$W/$kind"
  # Interleaved, so that a slow spell of the machine hits both alike; best of REPS each.
  tn=""; tr=""
  for _ in $(seq "$REPS"); do
    tn=$(min "$tn" "$(run_once ninja -j2)")
    tr=$(min "$tr" "$(run_once "$ROTA" run spec.yaml --jobs 2 --quiet)")
  done
  ratio=$(echo "$tr / $tn" | bc -l)
  verdict=$( (( $(echo "$ratio <= ${target[$kind]}" | bc -l) )) && echo "met" || echo "NOT met")
  printf '%-6s ninja %6.3fs (%5.0f/s)   rota %6.3fs (%5.0f/s)   ratio %.3f (target <= %s: %s)\n' \
    "$kind" "$tn" "$(echo "$N / $tn" | bc -l)" "$tr" "$(echo "$N / $tr" | bc -l)" "$ratio" \
    "${target[$kind]}" "$verdict"
  cd - >/dev/null
done
