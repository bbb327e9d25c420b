/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nvmsim kernel backend: replaces arch/x86/include/asm/irqflags.h (this directory is searched
 * before arch/x86/include). Kernel code runs in user space here, where cli/sti/hlt/pushf-based
 * interrupt control would fault or lie, so the interrupt-enable state is a plain variable.
 *
 * ksim_irqflags holds X86_EFLAGS_IF while "interrupts" are enabled. The shim defines it once for
 * the whole blob and starts it at X86_EFLAGS_IF. Single-threaded discrete-event use only.
 */
#ifndef NVMSIM_OVERRIDE_ASM_IRQFLAGS_H
#define NVMSIM_OVERRIDE_ASM_IRQFLAGS_H
#define _X86_IRQFLAGS_H_ /* keep the real header out should anything name it by its guard */

#include <asm/processor-flags.h>

#ifndef __ASSEMBLY__

#include <linux/types.h>
#include <asm/nospec-branch.h>

#ifdef CONFIG_PARAVIRT_XXL
#error "nvmsim kernel backend: CONFIG_PARAVIRT_XXL must be off"
#endif

#ifndef __cpuidle /* 6.1 defines it here, 6.12 in compiler_types.h */
#define __cpuidle __section(".cpuidle.text")
#endif

extern unsigned long ksim_irqflags;

static __always_inline unsigned long native_save_fl(void)
{
	return READ_ONCE(ksim_irqflags);
}

static __always_inline void native_irq_disable(void)
{
	WRITE_ONCE(ksim_irqflags, ksim_irqflags & ~X86_EFLAGS_IF);
}

static __always_inline void native_irq_enable(void)
{
	WRITE_ONCE(ksim_irqflags, ksim_irqflags | X86_EFLAGS_IF);
}

static __always_inline int native_irqs_disabled_flags(unsigned long flags)
{
	return (flags & X86_EFLAGS_IF) == 0;
}

static __always_inline unsigned long native_local_irq_save(void)
{
	unsigned long flags = native_save_fl();

	native_irq_disable();
	return flags;
}

static __always_inline void native_local_irq_restore(unsigned long flags)
{
	if (!native_irqs_disabled_flags(flags))
		native_irq_enable();
}

/* No idle loop in user space: halting just re-enables, it never stops the CPU. */
static __always_inline void native_safe_halt(void)
{
	native_irq_enable();
}

static __always_inline void native_halt(void)
{
}

static __always_inline unsigned long arch_local_save_flags(void)
{
	return native_save_fl();
}

static __always_inline void arch_local_irq_disable(void)
{
	native_irq_disable();
}

static __always_inline void arch_local_irq_enable(void)
{
	native_irq_enable();
}

static __always_inline void arch_safe_halt(void)
{
	native_safe_halt();
}

static __always_inline void halt(void)
{
	native_halt();
}

static __always_inline unsigned long arch_local_irq_save(void)
{
	return native_local_irq_save();
}

static __always_inline int arch_irqs_disabled_flags(unsigned long flags)
{
	return native_irqs_disabled_flags(flags);
}

static __always_inline int arch_irqs_disabled(void)
{
	return arch_irqs_disabled_flags(arch_local_save_flags());
}

static __always_inline void arch_local_irq_restore(unsigned long flags)
{
	native_local_irq_restore(flags);
}

#endif /* !__ASSEMBLY__ */
#endif /* NVMSIM_OVERRIDE_ASM_IRQFLAGS_H */
