/* Userspace stand-in for <linux/compiler.h>. */
#ifndef TK_SHIM_LINUX_COMPILER_H
#define TK_SHIM_LINUX_COMPILER_H
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
/*
 * As the kernel's: one aligned word, which may hold bytes past the end of
 * the object it starts in (never past the page); exempt from ASan.
 */
typedef unsigned long __attribute__((__may_alias__)) tk_shim_word;
static inline __attribute__((__no_sanitize_address__)) unsigned long
read_word_at_a_time(const void *addr)
{
	return *(const tk_shim_word *)addr;
}
#endif
