/* Userspace stand-in for <linux/kernel.h>: only what shared files use. */
#ifndef TK_SHIM_LINUX_KERNEL_H
#define TK_SHIM_LINUX_KERNEL_H
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
