// SPDX-License-Identifier: GPL-2.0
/*
 * tkload - make known system calls for the profiler tests and benchmarks.
 *
 *   tkload getpid N           N getpid(2) calls; prints ns per call
 *   tkload sleep N USEC       N clock_nanosleep(2) of USEC us; prints the
 *                             mean ns per call measured around each call
 *   tkload spin SECONDS       getpid(2) in a loop for SECONDS
 *
 * getpid goes through syscall(2) so no libc cache can absorb a call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1, sum = 0;
	long i, n;

	if (argc >= 3 && !strcmp(argv[1], "getpid")) {
		n = atol(argv[2]);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_getpid);
		t1 = now_ns();
		printf("calls=%ld ns_per_call=%lld\n", n, n ? (t1 - t0) / n : 0);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "sleep")) {
		struct timespec req;
		long usec = atol(argv[3]);

		n = atol(argv[2]);
		req.tv_sec = usec / 1000000;
		req.tv_nsec = (usec % 1000000) * 1000;
		for (i = 0; i < n; i++) {
			t0 = now_ns();
			clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
			sum += now_ns() - t0;
		}
		printf("calls=%ld mean_ns=%lld\n", n, n ? sum / n : 0);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "spin")) {
		long long end = now_ns() + atol(argv[2]) * 1000000000LL;

		n = 0;
		while (now_ns() < end) {
			syscall(SYS_getpid);
			n++;
		}
		printf("calls=%ld\n", n);
		return 0;
	}
	fprintf(stderr, "usage: tkload getpid N | sleep N USEC | spin SECONDS\n");
	return 2;
}
