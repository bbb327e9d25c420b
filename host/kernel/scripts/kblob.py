#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Links and checks the nvmsim kernel-backend objects (called by host/kernel/CMakeLists.txt).

  kblob.py core-sub --roots core-roots.txt --out core_sub.o core_full.o
      ld -r --gc-sections -u ROOT... : the part of core.c reachable from the roots that
      core_full.o defines (a root it does not define, e.g. static in that version, is skipped).
  kblob.py blob --tag 6_12 --out ks-6_12.o multipath.o core_sub.o shim/*.o
      ld -r into one object (dropping .export_symbol and .discard.*), then objcopy
      --keep-global-symbols with the single entry ks_ops_TAG: every other defined symbol
      (jiffies, mutex_lock, ...) becomes local, so blobs of several kernel versions link into one
      binary; the __param section is renamed ks_param_TAG.
  kblob.py check --tag 6_12 --allow libc-allow.txt --report ks-6_12.check.txt [--undefined warn] ks-6_12.o
      fails on privileged or trapping instructions (cli, sti, hlt, ud2, ...), %gs accesses,
      32-bit absolute relocations in allocated sections (not PIE-safe), and on any defined global
      other than ks_ops_TAG; lists undefined symbols outside the allowlist and fails on them
      unless --undefined warn.

Tools come from the environment: LD, OBJCOPY, NM, OBJDUMP, READELF (defaults: the plain names).
"""
import argparse
import fnmatch
import os
import re
import subprocess
import sys

TOOLS = {t: os.environ.get(t.upper()) or t for t in ("ld", "objcopy", "nm", "objdump", "readelf")}


def run(*cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        sys.exit("kblob: failed (exit %d): %s" % (p.returncode, " ".join(cmd)))
    return p.stdout


def names(path):
    """Non-empty, non-comment lines of a list file (a '#' starts a comment)."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out.append(line)
    return out


def symbols(obj):
    """(defined globals, undefined) of an object, from nm."""
    defined, undefined = set(), {}
    for line in run(TOOLS["nm"], "-g", obj).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("U", "w", "v"):
            undefined[parts[1]] = parts[0]
        elif len(parts) == 3 and parts[1] not in ("U", "w", "v"):
            defined.add(parts[2])
    return defined, undefined


def replace(tmp, out):
    os.replace(tmp, out)


def core_sub(a):
    defined, _ = symbols(a.input)
    roots = names(a.roots)
    kept = [r for r in roots if r in defined]
    skipped = [r for r in roots if r not in defined]
    if not kept:
        sys.exit("kblob: %s defines none of the roots in %s" % (a.input, a.roots))
    tmp = a.out + ".tmp"
    run(TOOLS["ld"], "-r", "--gc-sections", *[x for r in kept for x in ("-u", r)], "-o", tmp, a.input)
    replace(tmp, a.out)
    if skipped:
        print("kblob core-sub: roots not defined by this core.c (skipped): %s" % " ".join(skipped))


def blob(a):
    entry = "ks_ops_" + a.tag
    tmp = a.out + ".tmp"
    # Kernel-image metadata that vmlinux.lds discards: .export_symbol (6.12's EXPORT_SYMBOL
    # records, read-only with absolute relocations: a text relocation in a PIE) and .discard.*.
    # (ld, not objcopy: the debug info refers to them and ld knows how to drop such references.)
    script = a.out + ".ld"
    with open(script, "w") as f:
        f.write("SECTIONS { /DISCARD/ : { *(.export_symbol) *(.discard) *(.discard.*) } }\n")
    run(TOOLS["ld"], "-r", "-T", script, "-o", tmp, *a.inputs)
    defined, _ = symbols(tmp)
    if entry not in defined:
        os.unlink(tmp)
        sys.exit("kblob: no shim object defines %s (the blob's single entry); inputs: %s" % (entry, " ".join(a.inputs)))
    keep = a.out + ".keep"
    with open(keep, "w") as f:
        f.write(entry + "\n")
    # The module-parameter table __param becomes ks_param_TAG, so that the final link gives each
    # blob its own __start_/__stop_ks_param_TAG bounds instead of one table mixing versions.
    run(TOOLS["objcopy"], "--keep-global-symbols=" + keep, "--rename-section", "__param=ks_param_" + a.tag,
        tmp, a.out + ".tmp2")
    os.unlink(tmp)
    replace(a.out + ".tmp2", a.out)


PRIVILEGED = re.compile(
    r"^\s*[0-9a-f]+:\s+(?:(?:lock|rep|repz|repnz|notrack|bnd|ds|cs)\s+)*"
    r"(cli|sti|hlt|ud0|ud1|ud2|in|ins[bwl]?|out|outs[bwl]?|rdmsr|wrmsr|lgdt|lidt|lldt|ltr|swapgs|"
    r"invlpg|invpcid|wbinvd|invd|clts|sysret[lq]?|iret[lqw]?|sysexit[lq]?|clac|stac|rdpmc|"
    r"monitor|mwait|xsetbv|vmcall|vmmcall|int3)\b")


def check(a):
    entry = "ks_ops_" + a.tag
    problems = []
    # 1. Instructions that trap or misbehave in user space, and per-CPU (%gs) accesses.
    fn = "?"
    bad = []
    for line in run(TOOLS["objdump"], "-d", "--no-show-raw-insn", a.object).splitlines():
        m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
        if m:
            fn = m.group(1)
            continue
        if PRIVILEGED.match(line) or "%gs:" in line:
            bad.append("%s: %s" % (fn, line.strip()))
    if bad:
        problems.append("privileged/trapping instructions or %%gs accesses (%d):\n    %s" % (len(bad), "\n    ".join(bad)))
    # 2. Relocations a PIE cannot take: 32-bit absolute ones in allocated sections, and absolute
    #    64-bit ones in read-only allocated sections (text relocations).
    flags = {}
    for line in run(TOOLS["readelf"], "-SW", a.object).splitlines():
        m = re.match(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+$", line)
        if m:
            flags[m.group(1)] = m.group(2)
    relocs = []
    section = target = None
    for line in run(TOOLS["readelf"], "-rW", a.object).splitlines():
        m = re.match(r"^Relocation section '([^']*)'", line)
        if m:
            section = m.group(1)
            target = re.sub(r"^\.rela?", "", section)
            continue
        f = flags.get(target, "")
        if section is None or "A" not in f:
            continue
        t = re.search(r"\bR_X86_64_(\w+)\b", line)
        if t and (t.group(1) in ("32", "32S", "16", "8") or (t.group(1) == "64" and "W" not in f)):
            relocs.append("%s: %s" % (section, " ".join(line.split()[2:5])))
    if relocs:
        problems.append("relocations not valid in a PIE (%d):\n    %s" % (len(relocs), "\n    ".join(relocs[:40])))
    # 3. Exactly one exported symbol.
    defined, undefined = symbols(a.object)
    if defined != {entry}:
        problems.append("defined globals must be exactly %s; found: %s" % (entry, " ".join(sorted(defined)) or "none"))
    # 4. Undefined symbols: only what libc provides.
    allow = names(a.allow)
    outside = sorted(s for s in undefined if not any(fnmatch.fnmatchcase(s, p) for p in allow))
    inside = sorted(s for s in undefined if s not in outside)
    report = ["blob %s: exports %s" % (a.object, " ".join(sorted(defined))),
              "undefined, allowed by %s (%d): %s" % (os.path.basename(a.allow), len(inside), " ".join(inside)),
              "undefined, NOT allowed (%d): %s" % (len(outside), " ".join(outside))]
    if outside:
        msg = ("%d undefined symbols of %s are not libc (allowlist %s); the shim must define them:\n    %s"
               % (len(outside), os.path.basename(a.object), a.allow, "\n    ".join(outside)))
        if a.undefined == "fatal":
            problems.append(msg)
        else:
            print("kblob check: warning: " + msg)
    if problems:
        for p in problems:
            print("kblob check: %s: %s" % (a.object, p), file=sys.stderr)
        if os.path.exists(a.report):
            os.unlink(a.report)
        return 1
    with open(a.report, "w") as f:
        f.write("\n".join(report) + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("core-sub")
    p.add_argument("--roots", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("input")
    p = sub.add_parser("blob")
    p.add_argument("--tag", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("inputs", nargs="+")
    p = sub.add_parser("check")
    p.add_argument("--tag", required=True)
    p.add_argument("--allow", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--undefined", choices=("fatal", "warn"), default="fatal")
    p.add_argument("object")
    a = ap.parse_args()
    return {"core-sub": core_sub, "blob": blob, "check": check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
