/* Userspace stand-in for <linux/build_bug.h>. */
#ifndef TK_SHIM_LINUX_BUILD_BUG_H
#define TK_SHIM_LINUX_BUILD_BUG_H
#define BUILD_BUG_ON(c)	_Static_assert(!(c), #c)
#endif
