#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Prepares one configured Linux tree for the nvmsim kernel backend, one step per call so that
# CMake can stamp each (host/kernel/CMakeLists.txt). KDIR gets src/ (the extracted tarball) and
# kbuild/ (kbuild's O= directory); a step's full output goes to KDIR/log/STEP.log.
#
#   ktree.sh extract   KDIR TARBALL   # extract, leaving out sources nothing here compiles
#   ktree.sh configure KDIR CC        # allnoconfig + NVMe multipath, SMP=n, HZ=1000, no mitigations
#   ktree.sh prepare   KDIR CC JOBS   # make prepare: generated headers, objtool
#   ktree.sh cmdfiles  KDIR CC JOBS   # build multipath.o and core.o once, for their .cmd flag lines
#
# KS_FULL_EXTRACT=1 extracts everything (about 1.5 GB instead of about 0.6 GB).
set -euo pipefail
step=$1 kdir=$2
src=$kdir/src kb=$kdir/kbuild log=$kdir/log
mkdir -p "$log"
# kbuild must not see an outer make's jobserver or a cross/LLVM setting from the environment.
# ARCH=x86 (what kbuild picks on an x86_64 host), not x86_64: allnoconfig then starts 32-bit and
# -e 64BIT flips it, the verified recipe. Its choices differ from an x86_64 allnoconfig, e.g.
# SPARSEMEM_VMEMMAP=y (virt_to_page via vmemmap_base/page_offset_base, not a mem_section table).
unset MAKEFLAGS MFLAGS MAKELEVEL ARCH CROSS_COMPILE LLVM KBUILD_OUTPUT KCONFIG_CONFIG
kmake() { make -C "$src" O="$kb" ARCH=x86 CC="$cc" KBUILD_ABS_SRCTREE=1 "$@"; }
run() {  # run CMD... with its output in the step's log; show the log's tail if it fails
  if ! "$@" >>"$log/$step.log" 2>&1; then
    tail -n 40 "$log/$step.log" >&2
    echo "ktree.sh $step failed: full log in $log/$step.log" >&2
    exit 1
  fi
}
: >"$log/$step.log"
start=$SECONDS
case $step in
  extract)
    tarball=$3
    rm -rf "$src" "$kb"
    mkdir -p "$src"
    top=$(basename "$tarball" .tar.xz)   # Debian: linux-source-V/ inside linux-source-V.tar.xz
    ex=()
    if [[ "${KS_FULL_EXTRACT:-0}" != 1 ]]; then
      # Sources of other architectures and of the largest driver trees: kconfig still reads
      # their Kconfig files and Makefiles, which are kept.
      for d in 'arch/[a-w]*' arch/xtensa drivers/gpu drivers/net drivers/media drivers/staging sound; do
        for p in '*.[chS]' '*.dts' '*.dtsi'; do ex+=("--exclude=$top/$d/$p"); done
      done
    fi
    run tar -xf "$tarball" -C "$src" --strip-components=1 "${ex[@]}"
    [[ -f $src/drivers/nvme/host/multipath.c ]] || { echo "ktree.sh: $tarball has no drivers/nvme/host/multipath.c" >&2; exit 1; }
    ;;
  configure)
    cc=$3
    mkdir -p "$kb"
    run kmake allnoconfig
    run "$src/scripts/config" --file "$kb/.config" \
      -e 64BIT -e BLOCK -e PCI -e BLK_DEV_NVME -e NVME_CORE -e NVME_MULTIPATH -d CPU_MITIGATIONS \
      -d HZ_100 -d HZ_250 -d HZ_300 -e HZ_1000
    run kmake olddefconfig
    # What the shim and the override headers rely on; fail here rather than at run time.
    for want in CONFIG_64BIT=y CONFIG_NVME_CORE=y CONFIG_NVME_MULTIPATH=y CONFIG_HZ=1000 \
                '# CONFIG_SMP is not set' '# CONFIG_PARAVIRT is not set' '# CONFIG_TRACEPOINTS is not set' \
                '# CONFIG_JUMP_LABEL is not set' '# CONFIG_STACKPROTECTOR is not set'; do
      if [[ $want == '#'* ]]; then
        name=${want#\# }; name=${name%% *}
        ! grep -q "^$name=" "$kb/.config" || { echo "ktree.sh: $kb/.config has $name set" >&2; exit 1; }
      else
        grep -qx "$want" "$kb/.config" || { echo "ktree.sh: $kb/.config lacks $want" >&2; exit 1; }
      fi
    done
    ;;
  prepare)
    cc=$3
    run kmake -j"$4" prepare
    ;;
  cmdfiles)
    cc=$3
    run kmake -j"$4" drivers/nvme/host/multipath.o drivers/nvme/host/core.o
    ;;
  *)
    echo "ktree.sh: unknown step $step" >&2; exit 2 ;;
esac
echo "ktree.sh $step $(basename "$kdir"): $((SECONDS - start)) s"
