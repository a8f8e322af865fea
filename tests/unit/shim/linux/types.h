/* Userspace stand-in for <linux/types.h>, for building kernel files in unit tests. */
#ifndef TK_SHIM_LINUX_TYPES_H
#define TK_SHIM_LINUX_TYPES_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
#endif
