/* Userspace stand-in for <linux/compiler.h>. */
#ifndef TK_SHIM_LINUX_COMPILER_H
#define TK_SHIM_LINUX_COMPILER_H
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#endif
