/* Userspace stand-in for <linux/bitops.h>. */
#ifndef TK_SHIM_LINUX_BITOPS_H
#define TK_SHIM_LINUX_BITOPS_H
#define BITS_PER_LONG	(8 * (int)sizeof(long))
#define BIT(nr)		(1UL << (nr))
#define __ffs(x)	((unsigned long)__builtin_ctzl(x))
/* the kernel's fls64(): 1-based position of the highest set bit, 0 for 0 */
static inline int fls64(unsigned long long x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}
#endif
