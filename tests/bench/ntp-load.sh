#!/usr/bin/env bash
# The appliance as a LAN time server under NTP load (issue 16). NOT part of tests/run.sh: it
# prints figures (no pass/fail beyond exit 1 when it cannot run) and takes about
#   6 rates x (2 x duration + ~15 s) + 3 NTS client counts x (2 x duration + ~25 s)
#   + ~30 s lab start  (~9.5 min with the default 20 s; `--rates ''` or `--nts-clients 0` skips
#   a part).
#
#   bash tests/bench/ntp-load.sh [--duration SECONDS] [--rates 0,5000,...,max] [--threads N]
#                                [--nts-clients 16,80,160] [--keep]
#
# What runs (all on this machine, as root):
#  - the lab (timed-lab): timed-sim (the simulated receiver and PPS pin), timed (release build)
#    and a real chronyd 4.3 (-x: never steers this machine's clock) serving NTP on port 123 inside
#    a server network namespace; timed feeds it over the SOCK refclocks (PPS selected, poll 2);
#  - ntp-load (timed/lab/src/load): plain NTPv4 client requests (48 bytes, mode 3) at a fixed
#    rate from a client namespace over a veth link, replies matched by origin timestamp, KoD
#    counted; it stops by itself after the window;
#  - NTS (nts=1 lines): the generator has no NTS (see timed/lab/src/load/mod.rs for why), so
#    the NTS load is REAL chronyd 4.3 NTS clients (timed/lab/src/nts_fleet.rs): each its own
#    `chronyd -d -x` (private config, command socket, pid file, ntsdumpdir; `port 0`) with
#    `server <lab> iburst nts minpoll -7 maxpoll -7` (chrony's fastest poll: 128 requests/s),
#    `ntstrustedcerts` the lab's certificate only and `nosystemcert`, spread over seven more
#    client namespaces. The lab's chronyd then binds 0.0.0.0 (one `allow` per link) and serves
#    NTS-KE with a certificate and key made by the appliance's own systemd/nts/timed-nts-cert.
#    Clients are added up to each count of --nts-clients and keep polling through both windows
#    of that count. rate/served/loss are the clients' own counters (chronyc ntpdata: total TX,
#    total valid RX; an NTS source accepts only authenticated replies), read just outside the
#    window; chronyd_req/chronyd_auth are chronyd's serverstats (NTP requests received and
#    authenticated ones, per second) and nke its NTS-KE connections in the window;
#    clients_cpu is all the clients' CPU (% of one core).
#    What bounds it here is the CLIENTS' CPU, not chronyd's: a chronyd client spends ~4x what
#    the server spends per NTS request (measured: 200 clients, ~22 800 req/s, took ~125 % of a
#    core against chronyd's ~32 %) on the same 2 shared cores, so the NTS figures are a LOWER
#    BOUND of what chrony serves with NTS here, not its capacity, and the clients' CPU (not
#    chronyd's NTS work) is what delays timed's edges in those windows (docs/benchmarks.md);
#  - for each rate (and each NTS client count), two windows: chronyd alone (timed and the simulator stopped; `local stratum 1`
#    keeps it serving stratum 1), then with the simulator and timed running (started afresh and
#    settled for ~8 edges before the window).
# chrony.conf has no `ratelimit` line (chrony then limits no one) and the default
# `clientloglimit`: one generator address must be answered, not rate limited.
#
# The PPS is SIMULATED: timed-sim sends each edge as a datagram on a unix socket carrying the
# edge's time (no kernel PPS here: no /dev/pps in this VM). So:
#  - pps_p99_us is timed's own edge-to-datagram latency (from the edge's datagram received to
#    its sample handed to chronyd's SOCK), i.e. how load delays timed's handling, not an
#    interrupt's latency: the upper bound of the bucket of timed's edge histogram (snapshot
#    stats.edge_latency[].histogram, buckets 10/20/50/100/150/200/300/500 us, 1/2/5/10/50/100/
#    500 ms) holding the 99th percentile of the window's edges (pps_edges of them, nearest rank:
#    with under 100 edges the p99 is the slowest edge's bucket; pps_over_200us counts the edges
#    that took longer than 200 us);
#  - pps_sigma_ns (std dev of chrony's raw PPS offsets in refclocks.log over the window) shows
#    whether chrony's reading of timed's samples changes under load; the simulated edge carries
#    its time, so scheduling delay does not move the offsets as a kernel timestamp's would.
# timed_cpu and chronyd_cpu: utime+stime from /proc/PID/stat over the window, % of one core.
# drops_at_chronyd / drops_at_generator: UDP RcvbufErrors in the server / client namespace over
# the window (a full socket receive buffer: whose socket lost the requests or replies).
#
# Output: one line per window,
#   NTPLOAD rate=<sent/s> served=<answered/s> loss=<%> nts=0 pps_p99_us=… pps_sigma_ns=… timed_cpu=<%>
#           timed=<1|0> target=<asked rate> kod=<n> chronyd_cpu=<%> pps_edges=<n> pps_over_200us=<n>
#           drops_at_chronyd=<n> drops_at_generator=<n>
#           [nts=1 lines: clients=<n> authenticated=<n> clients_cpu=<%> chronyd_req=<req/s>
#            chronyd_auth=<req/s> nke=<n>; their target is <clients>x128]
# with-timed lines first, then the same loads without timed, then for plain (nts=0) and NTS (nts=1)
#   RATIO served_with_timed=<served with / without> rate=<highest fixed load chronyd alone answered
#         with under 5 % loss (this shared 2-core machine drops datagrams whenever a process waits)>
#         served=<what chronyd alone served there, /s> nts=<0|1>
#   RATIO_MAX served_with_timed=<the same at --rate max>
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
    # Network namespaces and chronyd on port 123 need root.
    exec sudo -E bash "$0" "$@"
fi
. tests/lib/setup.sh
ensure_apt chrony iproute2 openssl
ensure_rust
if pgrep -x chronyd >/dev/null && ! pgrep -a chronyd | grep -q -- ' -x '; then
    echo "ntp-load: a system chronyd (without -x) is running; stop it first" >&2
    exit 1
fi
echo "ntp-load: building (release)" >&2
cargo build --release --locked --quiet -p timed --bin timed -p timed-sim --bin timed-sim \
    -p timed-lab --bin ntp-load --bin ntp-load-bench
echo "ntp-load: load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)" >&2
# The bench stops its chronyds and deletes its namespaces itself, also when it fails; if it is
# killed instead, whatever still runs in its namespaces (named after its process id) is stopped
# here and the namespaces deleted.
bench= done=
cleanup() {
    [ -n "$bench" ] || return 0
    local id=$((bench % 100000)) ns kids
    if [ -z "$done" ]; then
        # Killed, the bench runs no destructors: stop its children (timed, timed-sim, chronyd) too.
        kids=$(pgrep -P "$bench" || true)
        kill -TERM "$bench" $kids 2>/dev/null || true
        sleep 3
        # ... nor removes its scratch directories (named after its process id).
        rm -rf "${TMPDIR:-/tmp}"/timed-{lab,ntp-load,nts-client,nts-fleet}-"$bench"-[0-9]*
    fi
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^timed-load-(srv|c[0-9]+)-$id\$"); do
        ip netns pids "$ns" | xargs -r kill -TERM 2>/dev/null || true
        sleep 0.5
        ip netns pids "$ns" | xargs -r kill -KILL 2>/dev/null || true
        ip netns del "$ns" || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
status=0
target/release/ntp-load-bench "$@" &
bench=$!
wait "$bench" || status=$?
done=1
echo "ntp-load: load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $status
