"""CPU accounting for run.sh: how much of the machine went to something else.

    python cpu_snapshot.py SERVER_PID > before.json   # then, after the run:
    python cpu_snapshot.py SERVER_PID before.json

Prints, for the interval between the two calls, the CPU-seconds of the whole machine
(/proc/stat), of the benchmark itself (the server and its workers, wrk, and PostgreSQL
backends of the benchmark database) and of everything else: other work on a shared
machine skews the figures, and this says by how much.
"""

import json
import os
import sys

HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, int, str]:
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12]), comm  # ppid, utime+stime


def snapshot(server_pid: int) -> dict:
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    busy = sum(cpu[:8]) - cpu[3] - cpu[4]  # minus idle and iowait; guest is in user
    procs = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid, ticks, comm = _stat(pid)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        procs[int(pid)] = (ppid, ticks, comm, cmd)
    mine = 0
    for pid, (ppid, ticks, comm, cmd) in procs.items():
        if pid == server_pid or ppid == server_pid or comm == "wrk" or "rolodex_bench" in cmd:
            mine += ticks
    return {"busy": busy, "mine": mine}


def main() -> None:
    now = snapshot(int(sys.argv[1]))
    if len(sys.argv) < 3:
        print(json.dumps(now))
        return
    with open(sys.argv[2]) as f:
        then = json.load(f)
    busy = (now["busy"] - then["busy"]) / HZ
    mine = (now["mine"] - then["mine"]) / HZ
    print(f"cpu-seconds: machine {busy:.1f}, benchmark {mine:.1f}, other {max(busy - mine, 0):.1f}")


if __name__ == "__main__":
    main()
