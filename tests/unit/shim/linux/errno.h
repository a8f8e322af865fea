/* Userspace stand-in for <linux/errno.h>: the UAPI header has every code we use. */
#include_next <linux/errno.h>
