#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Rewrites the gcc command line that kbuild recorded for one object (its .cmd file) into a gcc
response file for compiling that code into user space (docs: host/kernel/NOTICE, and the
kernel-in-the-loop reference, section 3(b)).

  kflags.py --cmd KBUILD/drivers/nvme/host/.multipath.o.cmd --objtree KBUILD \
            --override DIR --out multipath.rsp

Dropped: kernel code-model and hardening flags that do not run in user space (-mcmodel=kernel,
-mindirect-branch*, -mfunction-return*, -mpreferred-stack-boundary=3, -mskip-rax-setup,
-mno-red-zone, -fno-PIE, -Werror, -fstack-protector*, -pg, -mfentry, -mrecord-mcount, ...), and
kbuild's own -Wp,-MMD, -c, -o and source operands. Kept: -nostdinc, the kernel -I paths (made
absolute), -include kconfig.h/compiler_types.h, -D__KERNEL__ and the warning set. Added:
-I<override> before the first -I (so before arch/x86/include), and -fPIE -ffunction-sections
-fdata-sections -g at the end. Every argument is written backslash-escaped, one per line.
"""
import argparse
import fnmatch
import os
import re
import shlex
import sys

DROP = [
    "-mcmodel=kernel", "-mindirect-branch*", "-mfunction-return*", "-mpreferred-stack-boundary=*",
    "-mskip-rax-setup", "-mno-red-zone", "-fno-PIE", "-fno-pie", "-Werror", "-fstack-protector*",
    "-mstack-protector-guard*", "-pg", "-mfentry", "-mrecord-mcount", "-mnop-mcount",
    "-fpatchable-function-entry=*", "-mharden-sls=*", "-fzero-call-used-regs=*",
    "-mindirect-branch-cs-prefix", "-fsanitize=*", "-fsanitize-coverage=*",
]
# Options whose value is the next argument (a path for the first group).
PATH_ARG = {"-I", "-include", "-imacros", "-isystem", "-iquote", "-idirafter"}
PATH_JOINED = ("-I", "-isystem", "-iquote", "-idirafter")
# What must never reach the output (checked after rewriting).
FORBIDDEN = re.compile(r"^(-mcmodel=kernel|-mno-red-zone|-mpreferred-stack-boundary=3|-fno-PIE|-pg|-mfentry)$")


def read_cmd(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"^(?:saved)?cmd_\S+\s*:=\s*(.*)$", line)
            if m:
                return m.group(1)
    sys.exit("kflags: no cmd_/savedcmd_ line in %s" % path)


def escape(arg):
    return re.sub(r"([^\w@%+=:,./-])", r"\\\1", arg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cmd", required=True, help="kbuild .cmd file of one object")
    ap.add_argument("--objtree", required=True, help="the O= directory kbuild ran in")
    ap.add_argument("--override", required=True, help="include directory placed before arch/x86/include")
    ap.add_argument("--out", required=True, help="response file to write")
    a = ap.parse_args()
    objtree = os.path.abspath(a.objtree)

    words = shlex.split(read_cmd(a.cmd))
    # Only the compiler invocation: kbuild may chain more commands (objtool) after ';'.
    for i, w in enumerate(words):
        if w in (";", "&&", "||") or w.endswith(";"):
            words = words[:i] + ([w[:-1]] if w.endswith(";") and w != ";" else [])
            break
    words = words[1:]  # the compiler itself is chosen by CMake (NVMSIM_KERNEL_CC)

    def absolute(p):
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(objtree, p))

    out = []
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in ("-c",):
            continue
        if w == "-o":
            i += 1
            continue
        if w.startswith("-Wp,-M") or w in ("-MD", "-MMD"):
            continue
        if w in ("-MF", "-MT", "-MQ"):
            i += 1
            continue
        if not w.startswith("-") and re.search(r"\.[cS]$", w):
            continue  # the source operand
        if any(fnmatch.fnmatchcase(w, pat) for pat in DROP):
            continue
        if w in PATH_ARG:
            out += [w, absolute(words[i])]
            i += 1
            continue
        j = next((p for p in PATH_JOINED if w.startswith(p) and len(w) > len(p)), None)
        if j:
            out.append(j + absolute(w[len(j):]))
            continue
        out.append(w)

    first_i = next((k for k, w in enumerate(out) if w == "-I" or w.startswith("-I")), None)
    if first_i is None:
        sys.exit("kflags: no -I in %s" % a.cmd)
    out.insert(first_i, "-I" + os.path.abspath(a.override))
    out += ["-fPIE", "-ffunction-sections", "-fdata-sections", "-g"]

    bad = [w for w in out if FORBIDDEN.match(w)]
    if bad:
        sys.exit("kflags: kernel-only flags survived: %s" % " ".join(bad))
    if "-nostdinc" not in out or "-D__KERNEL__" not in out:
        sys.exit("kflags: %s does not look like a kbuild compile line" % a.cmd)

    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(escape(w) + "\n" for w in out))
    os.replace(tmp, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
