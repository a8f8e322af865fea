/* Userspace stand-in for <linux/export.h>: exports mean nothing here. */
#ifndef TK_SHIM_LINUX_EXPORT_H
#define TK_SHIM_LINUX_EXPORT_H
#define EXPORT_SYMBOL_GPL(sym) extern int tk_shim_export_##sym
#endif
