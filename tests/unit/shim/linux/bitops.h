/* Userspace stand-in for <linux/bitops.h>. */
#ifndef TK_SHIM_LINUX_BITOPS_H
#define TK_SHIM_LINUX_BITOPS_H
#define BITS_PER_LONG	(8 * (int)sizeof(long))
#define __ffs(x)	((unsigned long)__builtin_ctzl(x))
#endif
