#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# report.py - the benchmarks' figures as a markdown report: the brief's
# bars first, then each benchmark's table with its ratios, then the raw
# figures. Usage: report.py RESULTS.txt (lines "name value unit").
import sys


def load(path):
    figures, header = {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                header.append(line[1:].strip())
                continue
            parts = line.split()
            if len(parts) >= 2:
                try:
                    figures[parts[0]] = float(parts[1])
                except ValueError:
                    pass
    return figures, header


def fmt(value, digits=1):
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return "{:,.0f}".format(value)
    return "{:.{}f}".format(value, digits)


def pct(a, b):
    if a is None or b in (None, 0):
        return None
    return 100.0 * a / b


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out) + "\n"


class Report:
    def __init__(self, figures):
        self.f = figures
        self.bars = []

    def get(self, name):
        return self.f.get(name)

    def bar(self, what, measured, target, met):
        state = "-" if met is None else ("yes" if met else "**no**")
        self.bars.append([what, measured, target, state])

    def datapath(self):
        packets = ["ipv4_allowed", "ipv4_denied", "ipv6_allowed",
                   "ipv6_denied"]
        if self.get("datapath.empty.ipv4_allowed") is None:
            return ""
        rows = []
        for p in packets:
            empty = self.get("datapath.empty." + p)
            cells = [p.replace("_", ", "), fmt(empty, 0)]
            for n in (10, 1000, 65000):
                cells.append(fmt(self.get("datapath.moat_%d.%s" % (n, p)), 0))
            big = self.get("datapath.moat_65000." + p)
            cells.append(fmt(None if big is None else big - empty, 0))
            rows.append(cells)
        return ("## Datapath: nanoseconds per packet\n\n"
                "The classifier under BPF_PROG_TEST_RUN (a million runs, "
                "median of five), with 100 CIDR rules and the number of "
                "learned addresses given; the baseline is a program that "
                "only returns. Allowed packets belong to an established "
                "flow; denied ones start a connection.\n\n" +
                table(["Packet", "Empty program", "10 learned",
                       "1,000 learned", "65,000 learned", "Added"], rows))

    def throughput(self):
        none = self.get("throughput.none")
        if none is None:
            return ""
        moat = self.get("throughput.moat")
        nft = self.get("throughput.nft")
        nat = self.get("throughput.nat")
        dnone = self.get("throughput.docker.none")
        dmoat = self.get("throughput.docker.moat")
        dnft = self.get("throughput.docker.nft")
        self.bar("TCP throughput, moat with 10,000 learned addresses, "
                 "against no filter", fmt(pct(moat, none)) + "%", ">= 97%",
                 pct(moat, none) >= 97)
        self.bar("... and against an nftables set filter",
                 fmt(pct(moat, nft)) + "%", ">= 100%",
                 pct(moat, nft) >= 100)
        self.bar("... on a host where conntrack is on already (Docker's "
                 "NAT, as on GitHub's runners), against no filter",
                 fmt(pct(dmoat, dnone)) + "%", ">= 97%",
                 None if dmoat is None else pct(dmoat, dnone) >= 97)
        self.bar("... and against the nftables filter there",
                 fmt(pct(dmoat, dnft)) + "%", ">= 100%",
                 None if dmoat is None else pct(dmoat, dnft) >= 100)
        rows = [["No filter", fmt(none, 2), "100.0%", fmt(dnone, 2),
                 "100.0%"],
                ["nftables set filter", fmt(nft, 2),
                 fmt(pct(nft, none)) + "%", fmt(dnft, 2),
                 fmt(pct(dnft, dnone)) + "%"],
                ["moat's DNS redirect rule alone (conntrack)", fmt(nat, 2),
                 fmt(pct(nat, none)) + "%", "-", "-"],
                ["moat, %s learned addresses" %
                 fmt(self.get("throughput.learned"), 0), fmt(moat, 2),
                 fmt(pct(moat, none)) + "%", fmt(dmoat, 2),
                 fmt(pct(dmoat, dnone)) + "%"]]
        return ("## Throughput\n\nOne iperf3 TCP stream across the lab's "
                "veth, in Gbit/s, median of the rounds, the set-ups "
                "alternating, each round starting with another. moat's "
                "DNS redirect is a NAT rule, and a NAT rule turns "
                "conntrack on for every flow of the namespace: on a bare "
                "host that is most of what moat costs a flow. Where "
                "conntrack runs already (Docker's masquerade rule, as on "
                "every GitHub-hosted runner, stands in for it in the "
                "second pair of columns) it costs moat nothing more.\n\n" +
                table(["Set-up", "Bare host", "Of no filter",
                       "With conntrack on", "Of no filter"], rows))

    def dns(self):
        if self.get("dns.upstream.cached.qps") is None:
            return ""
        rows = []
        for name, label in (("upstream", "The upstream (NSD), directly"),
                            ("moat", "moat's proxy"),
                            ("moat_nolog", "moat's proxy, audit log to "
                             "/dev/null"),
                            ("dnsmasq", "dnsmasq, forwarding"),
                            ("unbound", "unbound, forwarding")):
            cells = [label]
            for w in ("cached", "uncached"):
                cells += [fmt(self.get("dns.%s.%s.qps" % (name, w)), 0),
                          fmt(self.get("dns.%s.%s.p50" % (name, w)), 0),
                          fmt(self.get("dns.%s.%s.p99" % (name, w)), 0)]
            rows.append(cells)
        for w in ("cached", "uncached"):
            moat = self.get("dns.moat.%s.qps" % w)
            dnsmasq = self.get("dns.dnsmasq.%s.qps" % w)
            ratio = pct(moat, dnsmasq)
            self.bar("DNS queries per second against dnsmasq, %s names" %
                     w, fmt(ratio) + "%", ">= 100%",
                     None if ratio is None else ratio >= 100)
        return ("## DNS\n\nQueries per second from dnsperf (4 clients, "
                "200 queries in flight, median of the rounds), and latency "
                "percentiles in microseconds at a steady 1,000 queries a "
                "second. Cached: eight names asked again and again; "
                "uncached: a new name every query (NXDOMAIN from the "
                "upstream). Every query moat answers is also a line of its "
                "audit log, with the process that asked; the row with the "
                "log sent to /dev/null shows what writing it costs.\n\n" +
                table(["Resolver", "Cached q/s", "p50", "p99",
                       "Uncached q/s", "p50", "p99"], rows))

    def connect(self):
        none = self.get("connect.udp.none")
        if none is None:
            return ""
        rows, worst = [], 0
        for cfg, label in (("none", "No hooks"),
                           ("start_hooks", "moat start's hooks"),
                           ("run_hooks", "moat run's hooks")):
            udp = self.get("connect.udp." + cfg)
            tcp = self.get("connect.tcp." + cfg)
            dudp = udp - none
            dtcp = tcp - self.get("connect.tcp.none")
            if cfg != "none":
                worst = max(worst, dudp)
            rows.append([label, fmt(udp, 0), fmt(dudp, 0), fmt(tcp, 0),
                         fmt(dtcp, 0)])
        self.bar("Time socket hooks add to connect() (UDP, the worse of "
                 "moat start's and moat run's)", fmt(worst, 0) + " ns",
                 "< 1,000 ns", worst < 1000)
        return ("## connect()\n\nNanoseconds in connect() on loopback, in "
                "a network namespace of the benchmark's own, from cgroups "
                "with and without the hooks in turn (median of seven "
                "rounds of 20,000 UDP and 4,000 TCP calls). UDP's connect() is little but "
                "the hooks; TCP's waits for a handshake, which the egress "
                "hooks also see twice, and varies more.\n\n" +
                table(["Hooks", "UDP", "Added", "TCP", "Added"], rows))

    def startup(self):
        ready = self.get("startup.ready.median")
        if ready is None:
            return ""
        self.bar("moat start to the ready file", fmt(ready) + " ms",
                 "< 150 ms", ready < 150)
        rows = [["Start to the ready file", fmt(ready),
                 fmt(self.get("startup.ready.max"))],
                ["SIGTERM to a clean host", fmt(
                    self.get("startup.stop.median")),
                 fmt(self.get("startup.stop.max"))]]
        return ("## Start and stop\n\nMilliseconds, timed from outside the "
                "daemon over 15 runs in the lab; after each stop the lab's "
                "nftables and qdisc are checked to be as before.\n\n" +
                table(["", "Median ms", "Slowest ms"], rows))

    def memory(self):
        rss = self.get("memory.rss")
        if rss is None:
            return ""
        self.bar("Resident memory with 10,000 learned addresses and "
                 "100,000 events logged", fmt(rss) + " MiB", "< 10 MiB",
                 rss < 10)
        rows = [["Learned addresses", fmt(self.get("memory.learned"), 0)],
                ["DNS events logged", fmt(self.get("memory.events"), 0)],
                ["Resident (VmRSS), MiB", fmt(rss)],
                ["Peak resident (VmHWM), MiB", fmt(self.get("memory.peak"))]]
        return ("## Memory\n\nThe daemon's resident size after learning "
                "the addresses and answering the queries.\n\n" +
                table(["", "Figure"], rows))

    def rules(self):
        base = self.get("rules.match.10")
        if base is None:
            return ""
        rows = []
        for n in (10, 100, 1000, 10000):
            v = self.get("rules.match.%d" % n)
            rows.append(["{:,}".format(n), fmt(v, 0), fmt(pct(v, base)) +
                         "%"])
        big = pct(self.get("rules.match.10000"), base)
        self.bar("Name match with 10,000 rules against 10 rules "
                 "(must not grow linearly)", fmt(big) + "%",
                 "far below 1,000x", big is not None and big < 300)
        return ("## Hostname rules\n\nNanoseconds to match one name "
                "against every rule (a third exact, a third `*`, a third "
                "`**`; five names, some matching, some not).\n\n" +
                table(["Rules", "ns per match", "Of 10 rules"], rows))


def main():
    figures, header = load(sys.argv[1])
    r = Report(figures)
    sections = [r.datapath(), r.throughput(), r.dns(), r.connect(),
                r.startup(), r.memory(), r.rules()]
    print("# moat benchmarks\n")
    for h in header:
        print("- " + h)
    print("\nReproduce with `sudo make bench` (about eight minutes); "
          "figures are medians, measured side by side in one run.\n")
    if r.bars:
        print("## The brief's bars\n")
        print(table(["Bar", "Measured", "Target", "Met"], r.bars))
    for s in sections:
        if s:
            print(s)
    print("## Raw figures\n\n```")
    for name in sorted(figures):
        print("%s %s" % (name, figures[name]))
    print("```")


if __name__ == "__main__":
    main()
