// SPDX-License-Identifier: GPL-2.0
/*
 * tkwrite - write exact bytes to a file in ONE write(2) and report the result.
 *
 *   tkwrite [-n TIMES] FILE STRING     STRING with C escapes: \n \t \\ \0 \xHH
 *   tkwrite [-n TIMES] FILE -r N CHAR  N copies of CHAR (for oversized writes)
 *
 * -n repeats open+write+close TIMES times, stopping at the first error.
 * Prints "ok N" (bytes written) or the errno name (e.g. "EINVAL") and exits
 * 0 or 1.  Shell redirections can't do this: they split writes, can't carry
 * NUL bytes, and hide the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case '0': out[n++] = '\0'; s++; break;
		case '\\': out[n++] = '\\'; s++; break;
		case 'x': {
			char hex[3] = { 0 };

			if (!s[1] || !s[2]) {
				fprintf(stderr, "tkwrite: bad \\x escape\n");
				exit(2);
			}
			hex[0] = s[1];
			hex[1] = s[2];
			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 3;
			break;
		}
		default:
			fprintf(stderr, "tkwrite: unknown escape \\%c\n", *s);
			exit(2);
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned long times = 1, i;
	ssize_t ret = 0;
	size_t len;
	char *buf;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		times = strtoul(argv[2], NULL, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc == 3) {
		buf = malloc(strlen(argv[2]) + 1);
		if (!buf)
			return 2;
		len = unescape(argv[2], buf);
	} else if (argc == 5 && !strcmp(argv[2], "-r")) {
		len = strtoul(argv[3], NULL, 0);
		buf = malloc(len ? len : 1);
		if (!buf)
			return 2;
		memset(buf, argv[4][0], len);
	} else {
		fprintf(stderr, "usage: tkwrite [-n TIMES] FILE STRING | tkwrite [-n TIMES] FILE -r N CHAR\n");
		return 2;
	}
	for (i = 0; i < times; i++) {
		fd = open(argv[1], O_WRONLY);
		if (fd < 0) {
			printf("%s\n", strerrorname_np(errno));
			return 1;
		}
		ret = write(fd, buf, len);
		if (ret < 0) {
			printf("%s\n", strerrorname_np(errno));
			return 1;
		}
		close(fd);
	}
	printf("ok %zd\n", ret);
	free(buf);
	return 0;
}
