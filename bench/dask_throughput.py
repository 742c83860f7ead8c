#!/usr/bin/python3
"""Dask distributed on the two workloads of bench/server_throughput.sh (the approach of
/work/shared/peers/dask_bench.py): LocalCluster(n_workers=2, threads_per_worker=1, processes=True).

  noop  : client.map(noop, range(N))                        best of REPS
  shell : client.map(subprocess.run(["true"]), range(NS))   best of REPS

Usage: /usr/bin/python3 dask_throughput.py N NS [REPS=3]
Prints one `DASK <workload> rep=<i> tasks=<n> wall=<s> rate=<tasks/s>` line per repetition and
one `DASK <workload> best ...` line each, for the shell script to parse.
"""
import os
import subprocess
import sys
import time

os.environ.setdefault("DASK_DISTRIBUTED__WORKER__DAEMON", "False")

import dask  # noqa: E402
import distributed  # noqa: E402
from distributed import Client, LocalCluster, wait  # noqa: E402


def noop(x):
    return x


def run_true(_):
    return subprocess.run(["true"]).returncode


def timed(client, fn, n, check):
    t0 = time.perf_counter()
    futs = client.map(fn, range(n), pure=False)
    wait(futs)
    dt = time.perf_counter() - t0
    if check:
        bad = [x for x in client.gather(futs) if x != 0]
        assert not bad, f"{len(bad)} `true` runs failed"
    del futs
    return dt


def main():
    n = int(sys.argv[1])
    ns = int(sys.argv[2])
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    print(f"dask {dask.__version__}, distributed {distributed.__version__}, "
          f"python {sys.version.split()[0]}, cpus={os.cpu_count()}", flush=True)
    local_dir = os.environ.get("DASK_LOCAL_DIR") or None
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, local_directory=local_dir) as cluster, \
            Client(cluster) as client:
        wait(client.map(noop, range(200), pure=False))  # warm-up: imports, connections
        for name, fn, count, check in (("noop", noop, n, False), ("shell", run_true, ns, True)):
            best = None
            for rep in range(1, reps + 1):
                dt = timed(client, fn, count, check)
                best = dt if best is None else min(best, dt)
                print(f"DASK {name} rep={rep} tasks={count} wall={dt:.3f} rate={count / dt:.0f}",
                      flush=True)
            print(f"DASK {name} best tasks={count} wall={best:.3f} rate={count / best:.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
