/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference the Kernel Telemetry Kit meets.
 *
 * Feature code never tests LINUX_VERSION_CODE itself: it calls the tk_*
 * wrappers below, and this file alone maps them onto the running kernel's
 * API.  This follows LTTng-modules' wrapper/ layer.  When a new kernel
 * changes an API we use, the change lands here and nowhere else.
 */
#ifndef _TKCORE_COMPAT_H
#define _TKCORE_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

/*
 * class_create() lost its owner argument in 6.4.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define tk_class_create(name)	class_create(name)
#else
#define tk_class_create(name)	class_create(THIS_MODULE, name)
#endif

/*
 * Probe prototype of the sched_switch tracepoint.  The prev_state argument
 * was added in 5.18; every kernel we support has it.
 */
#define TK_SCHED_SWITCH_ARGS						\
	void *data, bool preempt, struct task_struct *prev,		\
	struct task_struct *next, unsigned int prev_state

/*
 * Probe prototypes of the irq_handler_entry and irq_handler_exit tracepoints
 * (include/trace/events/irq.h), the same on every kernel we support.
 */
#define TK_IRQ_HANDLER_ENTRY_ARGS					\
	void *data, int irq, struct irqaction *action
#define TK_IRQ_HANDLER_EXIT_ARGS					\
	void *data, int irq, struct irqaction *action, int ret

/*
 * Number of interrupt descriptors.  A variable (exported nr_irqs) up to 6.12;
 * 6.13 replaced it with irq_get_nr_irqs().
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define tk_nr_irqs()		irq_get_nr_irqs()
#else
#define tk_nr_irqs()		READ_ONCE(nr_irqs)
#endif

/*
 * The architecture rows of /proc/interrupts (x86's arch_show_interrupts()).
 * irqstat reads their counters from the per-CPU irq_stat (irq_cpustat_t,
 * arch/x86/include/asm/hardirq.h; exported on every kernel we support),
 * whose fields depend on the configuration: TK_IRQ_ROWS_<group> is 1 where
 * the kernel has that group's fields.  KVM's posted-interrupt counters are
 * under CONFIG_HAVE_KVM in 6.1 and under CONFIG_KVM in 6.12.  All 0 on
 * other architectures.
 */
#ifdef CONFIG_X86
#define TK_IRQ_ROWS_X86		1
#define TK_IRQ_ROWS_APIC	IS_ENABLED(CONFIG_X86_LOCAL_APIC)
#define TK_IRQ_ROWS_SMP		IS_ENABLED(CONFIG_SMP)
#define TK_IRQ_ROWS_THERMAL	IS_ENABLED(CONFIG_X86_THERMAL_VECTOR)
#define TK_IRQ_ROWS_THRESHOLD	IS_ENABLED(CONFIG_X86_MCE_THRESHOLD)
#define TK_IRQ_ROWS_MCE_AMD	IS_ENABLED(CONFIG_X86_MCE_AMD)
#define TK_IRQ_ROWS_HV_CALLBACK	IS_ENABLED(CONFIG_X86_HV_CALLBACK_VECTOR)
#define TK_IRQ_ROWS_HYPERV	IS_ENABLED(CONFIG_HYPERV)
#define TK_IRQ_ROWS_KVM		(IS_ENABLED(CONFIG_HAVE_KVM) || IS_ENABLED(CONFIG_KVM))
#define TK_IRQ_ROWS_POSTED_MSI	IS_ENABLED(CONFIG_X86_POSTED_MSI)
#else
#define TK_IRQ_ROWS_X86		0
#define TK_IRQ_ROWS_APIC	0
#define TK_IRQ_ROWS_SMP		0
#define TK_IRQ_ROWS_THERMAL	0
#define TK_IRQ_ROWS_THRESHOLD	0
#define TK_IRQ_ROWS_MCE_AMD	0
#define TK_IRQ_ROWS_HV_CALLBACK	0
#define TK_IRQ_ROWS_HYPERV	0
#define TK_IRQ_ROWS_KVM		0
#define TK_IRQ_ROWS_POSTED_MSI	0
#endif

/*
 * Probe prototype of the x86 irq_vectors tracepoints (local_timer_entry,
 * reschedule_exit, ...; arch/x86/include/asm/trace/irq_vectors.h), the
 * same on every kernel we support.
 */
#define TK_IRQ_VECTOR_ARGS	void *data, int vector

/*
 * The attribute argument of a bin_attribute's read() method (it becomes
 * const in newer kernels).
 */
#define TK_BIN_ATTR_PTR		struct bin_attribute *

/*
 * System call entry points as a user types them ("sys_getpid") and as the
 * kernel names them: x86-64 wraps each in __x64_sys_<name>(struct pt_regs *).
 */
#if defined(CONFIG_X86_64)
#define TK_SYSCALL_PREFIX	"__x64_"
#elif defined(CONFIG_ARM64)
#define TK_SYSCALL_PREFIX	"__arm64_"
#else
#define TK_SYSCALL_PREFIX	""
#endif

/*
 * fprobe.  Its handlers gained ret_ip (and the entry handler an int return
 * that can skip the exit handler) in 6.4, and moved to ftrace_regs in 6.14.
 * TK_HAVE_FPROBE is 1 where the prototypes below are the kernel's; elsewhere
 * krp uses kretprobes only.  Code using them is built only when
 * TK_HAVE_FPROBE (krp/krp_fprobe.c).
 */
#if IS_ENABLED(CONFIG_FPROBE) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
#define TK_HAVE_FPROBE		1
#else
#define TK_HAVE_FPROBE		0
#endif
#define TK_FPROBE_ENTRY_ARGS						\
	struct fprobe *fp, unsigned long entry_ip, unsigned long ret_ip,	\
	struct pt_regs *regs, void *entry_data
#define TK_FPROBE_EXIT_ARGS	TK_FPROBE_ENTRY_ARGS

/*
 * The function behind vmalloc().  From 6.10, with memory allocation
 * profiling, vmalloc() is a macro over vmalloc_noprof(); kmp probes that.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define TK_VMALLOC_SYM		"vmalloc_noprof"
#else
#define TK_VMALLOC_SYM		"vmalloc"
#endif

/*
 * Per-process socket accounting (core/procnet.c) counts the bytes that
 * sock_sendmsg()/sock_recvmsg() really moved.  From 6.3 the kernel has
 * stable tracepoints for exactly that, sock:sock_send_length and
 * sock:sock_recv_length, fired in sock_sendmsg_nosec()/sock_recvmsg_nosec()
 * with the return value (flags carries MSG_PEEK on receive).  Older kernels
 * get kretprobes on the functions every send and receive passes through:
 * sock_recvmsg(), and for sending __sock_sendmsg(), a static function that
 * 6.1.57 split out of sock_sendmsg() (commit 86a7e0b69bd5, "net: prevent
 * address rewrite in kernel_bind()"): the send syscalls and write() call it
 * directly, so a probe on sock_sendmsg() would miss them.  On Debian's 6.1
 * it is a real, probe-able symbol (/proc/kallsyms: "t __sock_sendmsg").
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define TK_PROCNET_TRACEPOINTS	1
#else
#define TK_PROCNET_TRACEPOINTS	0
#endif
#define TK_SOCK_LENGTH_ARGS	void *data, struct sock *sk, int ret, int flags
#define TK_PROCNET_SEND_SYM	"__sock_sendmsg"
#define TK_PROCNET_RECV_SYM	"sock_recvmsg"

/*
 * Networking.  TK_HAVE_NET is 0 on a kernel built without CONFIG_NET,
 * which has no network interfaces and no sockets (nor init_net,
 * dev_get_stats() and the sock tracepoints).  Code that uses them runs only
 * if (TK_HAVE_NET), so there the compiler drops it and its references to
 * those symbols: /proc/telemetry has no net_* keys, /proc/kmonpro no net
 * lines and no socket bytes in its top lines, and procnet cannot be
 * switched on (EOPNOTSUPP).
 */
#define TK_HAVE_NET		IS_ENABLED(CONFIG_NET)

/*
 * Swap.  Without CONFIG_SWAP the kernel has no NR_SWAPCACHE counter; the
 * kit reads swap through total_swapcache_pages() and get_nr_swap_pages(),
 * which such a kernel defines as 0 (as its /proc/meminfo shows), so
 * nothing is mapped here: swap_free_kb reads 0 there.
 */

/*
 * TRACE_EVENT: __assign_str() lost its source argument in 6.10 (the source
 * given to __string() or __string_len() is used), and __assign_str_len()
 * went with it.  Trace headers of the kit call tk_assign_str(dst, src) and
 * tk_assign_str_len(dst, src, len).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define tk_assign_str(dst, src)			__assign_str(dst)
#define tk_assign_str_len(dst, src, len)	__assign_str(dst)
#else
#define tk_assign_str(dst, src)			__assign_str(dst, src)
#define tk_assign_str_len(dst, src, len)	__assign_str_len(dst, src, len)
#endif

/*
 * ring_buffer_unlock_commit() lost its event argument in 6.2 (the event
 * being committed is known per CPU).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define tk_ring_buffer_unlock_commit(rb, ev)	ring_buffer_unlock_commit(rb)
#else
#define tk_ring_buffer_unlock_commit(rb, ev)	ring_buffer_unlock_commit(rb, ev)
#endif

/*
 * tk_kernel_page_uncached(addr): true when the kernel maps the page of @addr
 * other than as write-back memory, which is how ioremap() maps device
 * registers (uncached, write-combined): such a page must never be read by a
 * scan.  The vmap area's flags (VM_IOREMAP) would say so too, but neither
 * find_vm_area() nor find_vmap_area() is exported on 6.1 or 6.12; the page
 * table is, through lookup_address() (x86, EXPORT_SYMBOL_GPL on both).  Its
 * PCD and PWT bits are clear exactly for the write-back entries of Linux's
 * PAT layout (index 0 and 4), at every level.  Elsewhere, a vmalloc-area
 * page is taken as device memory when it maps no RAM with a struct page.
 * An unmapped page is not uncached: reading it fails without a read.
 */
#ifdef CONFIG_X86
static inline bool tk_kernel_page_uncached(unsigned long addr)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	return pte && pte_present(*pte) &&
	       (pte_flags(*pte) & (_PAGE_PCD | _PAGE_PWT));
}
#else
static inline bool tk_kernel_page_uncached(unsigned long addr)
{
	return is_vmalloc_addr((void *)addr) &&
	       vmalloc_to_page((void *)addr) &&
	       !pfn_valid(vmalloc_to_pfn((void *)addr));
}
#endif

#endif /* _TKCORE_COMPAT_H */
