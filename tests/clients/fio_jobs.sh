#!/usr/bin/env bash
# fio job files (workloads[].fio, nvmsim run --fio) against real fio: every job file in
# tests/fio/ is one `fio --parse-only` accepts and nvmsim runs with the options fio read (names,
# rw, bs, iodepth, clones, rate as results.json shows them); every file in tests/fio/bad/ is
# refused with exit 2 at the file:line:column its first line names, and its second line says
# whether real fio accepts it (most do: options fio has and nvmsim does not simulate).
#   tests/clients/fio_jobs.sh NVMSIM SOURCE_DIR      exit 0 ok, 77 fio is missing, 1 failed
set -euo pipefail
NVMSIM=$1
SRC=$2
for tool in fio python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/deps installs fio and python3)"; exit 77; }
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
D=$SRC/tests/fio

for f in "$D"/*.fio; do
  fio --parse-only "$f" >"$W/parse.out" 2>&1 || { cat "$W/parse.out"; fail "fio --parse-only rejects $f"; }
done

# Through the scenario (path relative to it) and through --fio: the same run.
"$NVMSIM" run "$D/oltp.yaml" --quiet --out "$W/yaml"
"$NVMSIM" run --fio "$D/oltp.fio" --scenario "$D/oltp.yaml" --quiet --out "$W/cli"
python3 - "$W" <<'PY' || exit 1
import json, sys
w = sys.argv[1]
def jobs(d):
    r = json.load(open(f"{w}/{d}/results.json"))
    return {j["jobname"]: j for j in r["jobs"]}
a, b = jobs("yaml"), jobs("cli")
if sorted(a) != ["log-writer", "oltp.0", "oltp.1"]:
    sys.exit(f"FAIL: jobs {sorted(a)}: expected the section [oltp] twice (numjobs=2) and [seqlog] named log-writer")
for name in a:
    if a[name]["read"] != b[name]["read"] or a[name]["write"] != b[name]["write"]:
        sys.exit(f"FAIL: {name}: workloads[].fio and --fio give different results")
o, l = a["oltp.0"], a["log-writer"]
opt = o["job options"]
# [global] applies to both jobs; the job's own options are its own.
want = {"rw": "randrw", "rwmixread": "70", "bs": "4k", "iodepth": "16", "size": "1g",
        "runtime": "1s", "continue_on_error": "read", "filename": "/dev/nvme0n1"}
for k, v in want.items():
    if opt.get(k) != v:
        sys.exit(f"FAIL: oltp option {k} = {opt.get(k)!r}, the job file says {v!r}")
# ramp_time=200ms: statistics start 200 ms after the job, runtime=1 s follows it.
if opt.get("ramp_time") != "200ms" or not 200 <= o["job_start"] <= 201 or o["read"]["runtime"] != 1000:
    sys.exit(f"FAIL: oltp ramp_time {opt.get('ramp_time')!r}, job_start {o['job_start']} ms, runtime {o['read']['runtime']} ms; expected 200ms, 200, 1000")
if l["job_start"] > 1:
    sys.exit(f"FAIL: log-writer has no ramp_time but starts its statistics at {l['job_start']} ms")
lo = l["job options"]
for k, v in {"rw": "write", "iodepth": "4", "bssplit": "4k/50:64k/50", "offset": "2g",
             "rate_iops": "2000", "fsync": "8"}.items():
    if lo.get(k) != v:
        sys.exit(f"FAIL: log-writer option {k} = {lo.get(k)!r}, the job file says {v!r}")
# What the options do: a 70 % read mix; a write-only job at 2000 IOPS for 1 s (minus connect time).
mix = o["read"]["total_ios"] / (o["read"]["total_ios"] + o["write"]["total_ios"])
if not 0.68 <= mix <= 0.72:
    sys.exit(f"FAIL: oltp read share {mix:.3f}, rwmixread=70")
if l["read"]["total_ios"] != 0 or not 1700 <= l["write"]["total_ios"] <= 2000:
    sys.exit(f"FAIL: log-writer: {l['read']['total_ios']} reads, {l['write']['total_ios']} writes at rate_iops=2000 for 1 s")
if l["sync"]["total_ios"] == 0:
    sys.exit("FAIL: log-writer issued no flush with fsync=8")
print("job files: options imported as fio reads them")
PY

# Bad job files: exit 2 at the place the header names.
n=0
for f in "$D"/bad/*.fio; do
  n=$((n + 1))
  head=$(sed -n 1p "$f")
  fio_says=$(sed -n 2p "$f")
  [[ $head =~ ^#\ expect-error:\ ([0-9]+):([0-9]+):\ (.+)$ ]] || fail "$f: first line must be '# expect-error: LINE:COL: text'"
  where="/$(basename "$f"):${BASH_REMATCH[1]}:${BASH_REMATCH[2]}: "
  text=${BASH_REMATCH[3]}
  case $fio_says in
    "# fio --parse-only: accepts") fio --parse-only "$f" >/dev/null 2>&1 || fail "$f: real fio rejects it, the header says it accepts" ;;
    "# fio --parse-only: rejects") if fio --parse-only "$f" >/dev/null 2>&1; then fail "$f: real fio accepts it, the header says it rejects"; fi ;;
    *) fail "$f: second line must be '# fio --parse-only: accepts' or '... rejects'" ;;
  esac
  rc=0
  "$NVMSIM" run --fio "$f" --scenario "$D/oltp.yaml" --quiet 2>"$W/err" || rc=$?
  [ "$rc" = 2 ] || { cat "$W/err"; fail "$f: exit $rc, expected 2"; }
  grep -qF -- "$where" "$W/err" || { cat "$W/err"; fail "$f: error not at $where"; }
  grep -qF -- "$text" "$W/err" || { cat "$W/err"; fail "$f: error does not say '$text'"; }
done
[ "$n" -gt 0 ] || fail "no bad job files in $D/bad"
echo "$n bad job files refused where they are wrong"
