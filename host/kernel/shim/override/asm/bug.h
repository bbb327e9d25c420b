/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvmsim kernel backend: replaces arch/x86/include/asm/bug.h (this directory is searched before
 * arch/x86/include). The x86 header turns BUG() and WARN*() into ud2 plus a __bug_table entry,
 * which a trap handler decodes; user space has no such handler. Defining neither HAVE_ARCH_BUG
 * nor __WARN_FLAGS selects the asm-generic forms: WARN*() calls warn_slowpath_fmt() and BUG()
 * calls printk() and panic(), all supplied by the shim.
 */
#ifndef NVMSIM_OVERRIDE_ASM_BUG_H
#define NVMSIM_OVERRIDE_ASM_BUG_H
#define _ASM_X86_BUG_H /* keep the real header out should anything name it by its guard */

#include <linux/stringify.h>
#include <linux/instrumentation.h>
#include <linux/objtool.h>

#include <asm-generic/bug.h>

#endif /* NVMSIM_OVERRIDE_ASM_BUG_H */
