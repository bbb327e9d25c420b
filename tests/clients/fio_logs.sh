#!/usr/bin/env bash
# report.fio_logs against the real clients: the logs nvmsim writes have the line shape of the logs
# real fio 3.x writes with the same options (fio --ioengine=null, log_avg_msec), their numbers
# agree with results.json, they are byte-identical across runs, and fio_generate_plots and
# fio2gnuplot (Debian fio, with gnuplot) read them and draw every plot.
#   tests/clients/fio_logs.sh NVMSIM SOURCE_DIR      exit 0 ok, 77 a client is missing, 1 failed
set -euo pipefail
NVMSIM=$1
SRC=$2
for tool in fio fio_generate_plots fio2gnuplot gnuplot python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/deps installs fio, gnuplot-nox and python3)"
    exit 77
  fi
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. nvmsim, two clones (thread numbers 1 and 2), twice with the same seed.
run() {
  "$NVMSIM" run "$SRC/scenarios/basic-2path.yaml" --quiet --out "$1" \
    --set report.fio_logs=true --set report.timeseries=100ms --set workloads.0.numjobs=2
}
run "$W/sim" && run "$W/sim2"
for job in 1 2; do
  for t in lat clat slat iops bw; do
    f=oltp_$t.$job.log
    [ -s "$W/sim/$f" ] || fail "nvmsim wrote no $f"
    cmp "$W/sim/$f" "$W/sim2/$f" || fail "$f differs between two runs with the same seed"
  done
done

# 2. Real fio with the same logs: the reference shape.
mkdir -p "$W/fio"
(cd "$W/fio" && fio --name=ref --ioengine=null --size=64m --rw=randrw --bs=4k --iodepth=4 \
  --runtime=1 --time_based --rate_iops=2000 --log_avg_msec=100 \
  --write_lat_log=ref --write_bw_log=ref --write_iops_log=ref --output=/dev/null)
for t in lat clat slat iops bw; do [ -s "$W/fio/ref_$t.1.log" ] || fail "fio wrote no ref_$t.1.log"; done

python3 - "$W" <<'PY' || exit 1
import json, re, sys
w = sys.argv[1]
LINE = re.compile(r"^(\d+), (\d+), ([012]), (\d+), (\d+)$")
def parse(path):
    rows = []
    for n, line in enumerate(open(path).read().splitlines(), 1):
        m = LINE.match(line)
        if not m:
            sys.exit(f"FAIL: {path}:{n}: '{line}' is not fio's 'time, value, ddir, bs, prio'")
        rows.append(tuple(int(x) for x in m.groups()))
    return rows
for t in ["lat", "clat", "slat", "iops", "bw"]:
    ref = parse(f"{w}/fio/ref_{t}.1.log")
    sim = parse(f"{w}/sim/oltp_{t}.1.log")
    # Averaged logs: fio leaves bs and prio at 0; both directions of a randrw job appear.
    for name, rows in (("fio", ref), ("nvmsim", sim)):
        if {r[3] for r in rows} != {0} or {r[4] for r in rows} != {0}:
            sys.exit(f"FAIL: {name} {t}: bs/prio columns are not all 0 with log_avg_msec")
        if {r[2] for r in rows} != {0, 1}:
            sys.exit(f"FAIL: {name} {t}: directions {sorted({r[2] for r in rows})}, expected read and write")
        times = [r[0] for r in rows]
        if times != sorted(times):
            sys.exit(f"FAIL: {name} {t}: times go backwards")
    # One line per direction per 100 ms window, as fio: ~10 per direction per second.
    per_s = sum(1 for r in sim if r[2] == 0) / (sim[-1][0] / 1000)
    if not 8 <= per_s <= 11:
        sys.exit(f"FAIL: nvmsim {t}: {per_s:.1f} read lines per second, expected ~10 (log_avg_msec=100)")
    if t in ("iops", "bw") and any(r[0] % 100 for r in sim):
        sys.exit(f"FAIL: nvmsim {t}: a rate line not on a 100 ms boundary")

# The numbers against results.json (job oltp.0 = thread 1).
res = json.load(open(f"{w}/sim/results.json"))
job = res["jobs"][0]
for ddir, key in ((0, "read"), (1, "write")):
    d = job[key]
    iops = [r for r in parse(f"{w}/sim/oltp_iops.1.log") if r[2] == ddir]
    bw = [r for r in parse(f"{w}/sim/oltp_bw.1.log") if r[2] == ddir]
    logged = sum(r[1] for r in iops) / 10          # ios in whole 100 ms windows
    if not (d["total_ios"] - max(r[1] for r in iops) / 10 - 1 <= logged <= d["total_ios"]):
        sys.exit(f"FAIL: {key}: iops log adds up to {logged} I/Os, results.json has {d['total_ios']}")
    logged_b = sum(r[1] for r in bw) * 1024 / 10
    if not (0.9 * d["io_bytes"] <= logged_b <= d["io_bytes"]):
        sys.exit(f"FAIL: {key}: bw log adds up to {logged_b} bytes, results.json has {d['io_bytes']}")
    for t, k in (("clat", "clat_ns"), ("lat", "lat_ns")):
        rows = [r for r in parse(f"{w}/sim/oltp_{t}.1.log") if r[2] == ddir]
        mean = sum(r[1] for r in rows) / len(rows)
        if abs(mean - d[k]["mean"]) > 0.05 * d[k]["mean"]:
            sys.exit(f"FAIL: {key} {t}: log mean {mean:.0f} ns, results.json {k}.mean {d[k]['mean']:.0f} ns")
print("fio log shapes and numbers ok")
PY

# 3. fio_generate_plots: one SVG per log type, each plotting both clones' logs.
(cd "$W/sim" && fio_generate_plots nvmsim >"$W/gen.out" 2>&1) || { cat "$W/gen.out"; fail "fio_generate_plots failed"; }
grep -q "No log files found" "$W/gen.out" && fail "fio_generate_plots found no logs"
grep -qiE "no valid points|bad data|cannot open" "$W/gen.out" && { cat "$W/gen.out"; fail "gnuplot could not read a log"; }
for t in lat clat slat iops bw; do
  svg="$W/sim/nvmsim-$t.svg"
  [ -s "$svg" ] || fail "fio_generate_plots drew no nvmsim-$t.svg"
  grep -q "<svg" "$svg" || fail "nvmsim-$t.svg is not an SVG"
  grep -q "oltp.2" "$svg" || fail "nvmsim-$t.svg does not plot the second clone's log"
done

# 4. fio2gnuplot: per-file 2D plots and the global min/avg/max/stddev plots, for bw, iops and lat.
set -f  # the -p pattern is fio2gnuplot's glob, not the shell's
for args in "-b" "-i" "-p *_lat.*.log"; do
  d="$W/f2g"; rm -rf "$d"; mkdir -p "$d"; find "$W/sim" -name '*.log' -exec cp {} "$d" \;
  # shellcheck disable=SC2086
  (cd "$d" && fio2gnuplot $args -g >"$W/f2g.out" 2>&1) || { cat "$W/f2g.out"; fail "fio2gnuplot $args failed"; }
  grep -q "Rendering traces are available" "$W/f2g.out" || { cat "$W/f2g.out"; fail "fio2gnuplot $args rendered nothing"; }
  compgen -G "$d/oltp_*.1-2Draw.png" >/dev/null || fail "fio2gnuplot $args drew no 2D plot of thread 1"
  compgen -G "$d/*average.png" >/dev/null || fail "fio2gnuplot $args drew no average plot"
done
set +f
echo "fio_generate_plots and fio2gnuplot read nvmsim's fio logs"
