/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sample_cmd.h - the command syntax of the samples' control files.
 */
#ifndef _TK_SAMPLE_CMD_H
#define _TK_SAMPLE_CMD_H

#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

/**
 * tk_sample_cmd() - split a written command into words
 * @buf: what was written
 * @count: its length
 * @cmd: a buffer of @max + 1 bytes for the command
 * @max: longest command accepted
 * @arg: set to the second word, or NULL
 * @arg2: set to the rest after the second word, or NULL
 *
 * One optional trailing newline is dropped; the words are separated by
 * single spaces.
 *
 * Return: 0, or -EINVAL for a command longer than @max or holding a NUL.
 */
static inline int tk_sample_cmd(const char *buf, size_t count, char *cmd,
				size_t max, char **arg, char **arg2)
{
	if (count > max || memchr(buf, 0, count))
		return -EINVAL;
	memcpy(cmd, buf, count);
	cmd[count] = 0;
	if (count && cmd[count - 1] == '\n')
		cmd[count - 1] = 0;
	*arg = strchr(cmd, ' ');
	if (*arg)
		*(*arg)++ = 0;
	*arg2 = *arg ? strchr(*arg, ' ') : NULL;
	if (*arg2)
		*(*arg2)++ = 0;
	return 0;
}

#endif /* _TK_SAMPLE_CMD_H */
