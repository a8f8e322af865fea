/* Userspace stand-in for <linux/swab.h>. */
#ifndef TK_SHIM_LINUX_SWAB_H
#define TK_SHIM_LINUX_SWAB_H
#define swab32(x)	__builtin_bswap32(x)
#define swab64(x)	__builtin_bswap64(x)
#endif
