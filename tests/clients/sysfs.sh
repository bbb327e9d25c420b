#!/usr/bin/env bash
# `nvmsim topology --sysfs` against real nvme-cli: at three times of a failover
# (tests/clients/sysfs-failover.yaml: all live; a controller connecting; a path ANA inaccessible),
# the tree nvmsim writes is mounted over /sys in a private mount namespace and `nvme list-subsys`
# and `nvme list-subsys -o json` must print the controllers, addresses, states, host NQN and ID
# that `nvmsim topology` says; the ANA states (which nvme-cli 2.3 shows only for namespaces it
# can open) are read through the mounted /sys/block.
#   tests/clients/sysfs.sh NVMSIM SOURCE_DIR      exit 0 ok, 77 nvme-cli or unshare missing, 1 failed
set -euo pipefail
NVMSIM=$1
SRC=$2
for tool in nvme unshare python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/deps installs nvme-cli)"; exit 77; }
done
if ! unshare -m --propagation private true 2>/dev/null; then
  echo "SKIP: unshare -m is not permitted here (needs root or user namespaces)"
  exit 77
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
S=$SRC/tests/clients/sysfs-failover.yaml
for t in 500ms 1500ms 4500ms; do
  "$NVMSIM" topology "$S" --at "$t" -o json --sysfs "$W/sys-$t" >"$W/nvmsim-$t.json"
  unshare -m --propagation private sh -c '
    mount --bind "$1" /sys
    nvme list-subsys -o json >"$2/nvme-$3.json"
    nvme list-subsys >"$2/nvme-$3.txt"
    for d in /sys/block/nvme*c*n*; do printf "%s %s\n" "${d##*/}" "$(cat "$d/ana_state")"; done >"$2/ana-$3.txt"
  ' sh "$W/sys-$t" "$W" "$t"
done
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
# What the scenario must show (so that agreeing on nothing cannot pass).
want = {
    "500ms": {"nvme0": ("live", "optimized"), "nvme1": ("live", "optimized")},
    "1500ms": {"nvme0": ("connecting", "optimized"), "nvme1": ("live", "optimized")},
    "4500ms": {"nvme0": ("live", "optimized"), "nvme1": ("live", "inaccessible")},
}
addr = {"nvme0": "traddr=10.20.30.40,trsvcid=4421", "nvme1": "traddr=192.168.1.2,trsvcid=4420"}
for t, states in want.items():
    sim = json.load(open(f"{w}/nvmsim-{t}.json"))[0]
    cli = json.load(open(f"{w}/nvme-{t}.json"))
    if len(cli) != 1:
        sys.exit(f"FAIL {t}: nvme list-subsys -o json shows {len(cli)} hosts, expected 1")
    cli = cli[0]
    if cli["HostNQN"] != sim["HostNQN"] or cli.get("HostID") != "4c4c4544-0035-4710-8031-b7c04f4e4a32":
        sys.exit(f"FAIL {t}: host {cli['HostNQN']} / {cli.get('HostID')}, nvmsim says {sim['HostNQN']} and hostid 4c4c4544-...")
    if cli["HostNQN"] != "nqn.2014-08.org.nvmexpress:uuid:4c4c4544-0035-4710-8031-b7c04f4e4a32":
        sys.exit(f"FAIL {t}: hostnqn {cli['HostNQN']} is not made of the hostid")
    subs = [(s["Name"], s["NQN"]) for s in cli["Subsystems"]]
    if subs != [(s["Name"], s["NQN"]) for s in sim["Subsystems"]] or subs != [("nvme-subsys0", "nqn.2026-01.io.nvmsim:array1")]:
        sys.exit(f"FAIL {t}: subsystems {subs}, nvmsim says {[(s['Name'], s['NQN']) for s in sim['Subsystems']]}")
    key = lambda p: (p["Name"], p["Transport"], p["Address"], p["State"])
    got = sorted(key(p) for p in cli["Subsystems"][0]["Paths"])
    exp = sorted(key(p) for p in sim["Subsystems"][0]["Paths"])
    if got != exp:
        sys.exit(f"FAIL {t}: nvme list-subsys -o json paths {got}, nvmsim topology says {exp}")
    if got != sorted((c, "tcp", addr[c], s[0]) for c, s in states.items()):
        sys.exit(f"FAIL {t}: paths {got}, the scenario should give {states}")
    text = open(f"{w}/nvme-{t}.txt").read()
    for c, tr, a, st in exp:
        if f" +- {c} {tr} {a} {st}\n" not in text:
            sys.exit(f"FAIL {t}: nvme list-subsys does not print ' +- {c} {tr} {a} {st}':\n{text}")
    if not text.startswith("nvme-subsys0 - NQN=nqn.2026-01.io.nvmsim:array1\n"):
        sys.exit(f"FAIL {t}: nvme list-subsys starts '{text.splitlines()[0]}'")
    ana = dict(line.split() for line in open(f"{w}/ana-{t}.txt"))
    sim_ana = {p["Name"]: p["ANAState"] for p in sim["Subsystems"][0]["Paths"]}
    for c, (_, st) in states.items():
        disk = f"nvme0c{c[-1]}n1"
        if ana.get(disk) != st or sim_ana[c] != st:
            sys.exit(f"FAIL {t}: /sys/block/{disk}/ana_state {ana.get(disk)!r}, nvmsim {sim_ana[c]!r}, expected {st!r}")
    print(f"{t}: nvme list-subsys shows {', '.join(f'{c} {s[0]}/{s[1]}' for c, s in states.items())}")
PY
# Every transport (fc, pcie, rdma addresses) and several hosts: one tree per host, each read by
# nvme list-subsys -o json as nvmsim topology -o json says.
M=$SRC/tests/clients/sysfs-transports.yaml
"$NVMSIM" topology "$M" -o json --sysfs "$W/mix" >"$W/mix.json"
for h in h1 h2; do
  unshare -m --propagation private sh -c 'mount --bind "$1" /sys && nvme list-subsys -o json' sh "$W/mix/$h" >"$W/mix-$h.json"
done
python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
key = lambda p: (p["Name"], p["Transport"], p["Address"], p["State"])
transports = set()
for host in json.load(open(f"{w}/mix.json")):
    name = host["HostName"]
    cli = json.load(open(f"{w}/mix-{name}.json"))[0]
    if cli["HostNQN"] != host["HostNQN"]:
        sys.exit(f"FAIL {name}: nvme-cli host {cli['HostNQN']}, nvmsim {host['HostNQN']}")
    got = sorted(key(p) for s in cli["Subsystems"] for p in s["Paths"])
    exp = sorted(key(p) for s in host["Subsystems"] for p in s["Paths"])
    if got != exp:
        sys.exit(f"FAIL {name}: nvme list-subsys -o json {got}, nvmsim {exp}")
    transports |= {p[1] for p in got}
if transports != {"fc", "pcie", "rdma"}:
    sys.exit(f"FAIL: transports seen {sorted(transports)}")
print("fc, pcie and rdma controllers on two hosts read as nvmsim says")
PY

# The parts of the tree nvme-cli 2.3 does not print: hidden path disks and the head's links.
R=$W/sys-500ms
fail() { echo "FAIL: $*"; exit 1; }
[ "$(cat "$R/block/nvme0n1/hidden")" = 0 ] || fail "the head disk nvme0n1 is hidden"
[ "$(cat "$R/block/nvme0c0n1/hidden")" = 1 ] || fail "the path disk nvme0c0n1 is not hidden"
[ "$(ls "$R/block/nvme0n1/slaves" | tr '\n' ' ')" = "nvme0c0n1 nvme0c1n1 " ] || fail "nvme0n1/slaves: $(ls "$R/block/nvme0n1/slaves")"
[ "$(cat "$R/block/nvme0c1n1/holders/nvme0n1/nsid")" = 1 ] || fail "nvme0c1n1/holders/nvme0n1 does not lead to the head"
[ "$(cat "$R/class/nvme-subsystem/nvme-subsys0/model")" = "nvmsim test array" ] || fail "subsystem model"
[ "$(cat "$R/class/nvme/nvme1/ana_grpid" 2>/dev/null || cat "$R/class/nvme/nvme1/nvme0c1n1/ana_grpid")" = 1 ] || fail "ana_grpid"
echo "sysfs tree: hidden path disks, slaves/holders links, attributes ok"
