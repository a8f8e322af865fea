// SPDX-License-Identifier: GPL-2.0
/*
 * tkevrate - the end-to-end benchmark's C reader of /dev/qeexo_events.
 *
 *   tkevrate N [READY]
 *
 * Opens the device, creates the file READY (default /tmp/tkevents.rate) to
 * say so, then reads 256 KiB at a time until N messages have arrived or
 * been reported dropped.  Prints "lines=L msgs=M drops=D secs=S", S from
 * the first read's return to the last, like `tkevents.py rate N`, whose
 * Python line loop is the slower reader: the two together tell the
 * device's share of the end-to-end rate from the reader's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEV	"/dev/qeexo_events"
#define BUF	(256 * 1024)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Count one complete line. */
static void line(const char *s, size_t len, unsigned long long *msgs,
		 unsigned long long *drops)
{
	const char *c;

	if (memmem(s, len, "\"type\":\"msg\"", 12)) {
		(*msgs)++;
	} else if (memmem(s, len, "\"type\":\"dropped\"", 16)) {
		c = memmem(s, len, "\"count\":", 8);
		if (c)
			*drops += strtoull(c + 8, NULL, 10);
	}
}

int main(int argc, char **argv)
{
	unsigned long long n, lines = 0, msgs = 0, drops = 0;
	const char *ready = argc > 2 ? argv[2] : "/tmp/tkevents.rate";
	static char buf[2 * BUF];
	size_t have = 0, start;
	double t0 = 0;
	ssize_t r;
	char *nl;
	int fd;

	if (argc < 2 || argc > 3 || !(n = strtoull(argv[1], NULL, 10))) {
		fprintf(stderr, "usage: tkevrate N [READY]\n");
		return 2;
	}
	fd = open(DEV, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "tkevrate: %s: %s\n", DEV, strerror(errno));
		return 1;
	}
	close(open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	while (msgs + drops < n) {
		r = read(fd, buf + have, BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "tkevrate: read: %s\n",
				r ? strerror(errno) : "end of file");
			return 1;
		}
		if (!t0)
			t0 = now();
		have += r;
		for (start = 0; (nl = memchr(buf + start, '\n', have - start));
		     start = nl - buf + 1) {
			line(buf + start, nl - buf - start, &msgs, &drops);
			lines++;
		}
		/* Keep the incomplete line (a line is far below BUF). */
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	printf("lines=%llu msgs=%llu drops=%llu secs=%.3f\n", lines, msgs,
	       drops, now() - t0);
	return 0;
}
