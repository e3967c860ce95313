#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# startup.py - moat start to its ready file, and SIGTERM to a host left
# as it was, timed from outside the daemon, run after run.
# Usage: startup.py MOAT NETNS LABDIR CGROUP RUNS
import os
import signal
import subprocess
import sys
import time


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def in_netns(netns, *cmd):
    return subprocess.run(["nsenter", "--net=/run/netns/" + netns, *cmd],
                          capture_output=True, text=True).stdout


def host_is_clean(netns):
    return ("moat" not in in_netns(netns, "nft", "list", "tables") and
            not in_netns(netns, "tc", "filter", "show", "dev", "mr0",
                         "egress").strip())


def one_run(moat, netns, labdir, cgroup):
    ready = os.path.join(labdir, "bench.ready")
    pidfile = os.path.join(labdir, "bench.pid")
    for f in (ready, pidfile):
        if os.path.exists(f):
            os.unlink(f)
    t0 = time.monotonic_ns()
    # nsenter only enters the network namespace and then execs moat.
    daemon = subprocess.Popen(
        ["nsenter", "--net=/run/netns/" + netns, moat, "start",
         "--interface", "mr0", "--cgroup", cgroup, "--upstream",
         "192.0.2.53", "--allow", "lab.test", "--pid-file", pidfile,
         "--ready-file", ready],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(ready):
        if daemon.poll() is not None:
            sys.exit("startup.py: moat exited before it was ready")
        time.sleep(0.0005)
    t1 = time.monotonic_ns()
    daemon.send_signal(signal.SIGTERM)
    daemon.wait()
    t2 = time.monotonic_ns()
    if not host_is_clean(netns):
        sys.exit("startup.py: moat left something behind")
    return (t1 - t0) / 1e6, (t2 - t1) / 1e6


def main():
    moat, netns, labdir, cgroup, runs = sys.argv[1:6]
    starts, stops = [], []
    for _ in range(int(runs)):
        start, stop = one_run(moat, netns, labdir, cgroup)
        starts.append(start)
        stops.append(stop)
    print("startup.ready.median %.1f ms" % median(starts))
    print("startup.ready.max %.1f ms" % max(starts))
    print("startup.stop.median %.1f ms" % median(stops))
    print("startup.stop.max %.1f ms" % max(stops))


if __name__ == "__main__":
    main()
