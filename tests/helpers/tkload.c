// SPDX-License-Identifier: GPL-2.0
/*
 * tkload - make known system calls for the profiler tests and benchmarks.
 *
 *   tkload getpid N           N getpid(2) calls; prints ns per call
 *   tkload sleep N USEC[,USEC...] [FILE]
 *                             N clock_nanosleep(2) of USEC us (cycling
 *                             through the list); prints the mean ns per
 *                             call measured around each call, and writes
 *                             each call's ns to FILE, one a line
 *   tkload spin SECONDS       getpid(2) in a loop for SECONDS
 *   tkload udp N [BATCHES]    N send(2)+recv(2) pairs of a 64-byte datagram
 *                             over loopback (a UDP socket connected to
 *                             itself on 127.0.0.1); prints ns per pair, the
 *                             least of BATCHES (default 1) runs of N
 *   tkload tcprecv PORT READY accept one TCP connection on 127.0.0.1:PORT
 *                             (creates the file READY once listening), read
 *                             until EOF, print the byte count
 *   tkload tcpsend PORT N MARK SECS
 *                             connect, send N bytes, create the file MARK
 *                             (holding N), keep sending for SECS seconds
 *   tkload udpforks N BYTES PORT
 *                             N child processes, one after the other, each
 *                             sending one BYTES-byte datagram to
 *                             127.0.0.1:PORT from a socket of its own and
 *                             exiting; each reaped before the next; prints
 *                             how many sent all their bytes
 *   tkload udpsend PORT N CHUNK MARK
 *                             send N bytes to 127.0.0.1:PORT in datagrams of
 *                             CHUNK bytes, create the file MARK (holding the
 *                             bytes sent), then wait until killed
 *
 * tcprecv and tcpsend are one process each, so the pid the shell sees ($!)
 * is the one the kernel attributes the socket bytes to.
 *
 * getpid goes through syscall(2) so no libc cache can absorb a call.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int udp_loop(long n, long batches)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char buf[64] = { 0 };
	long long t0, t1, best = -1;
	long i, b;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("tkload udp");
		return 1;
	}
	for (b = 0; b < batches; b++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			if (send(fd, buf, sizeof(buf), 0) != sizeof(buf) ||
			    recv(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
				perror("tkload udp");
				return 1;
			}
		}
		t1 = now_ns();
		if (best < 0 || t1 - t0 < best)
			best = t1 - t0;
	}
	printf("calls=%ld ns_per_call=%lld\n", n, n ? best / n : 0);
	return 0;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	return a;
}

static int touch(const char *path, long n)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", n) < 0 || fclose(f) || rename(tmp, path)) {
		perror(path);
		return -1;
	}
	return 0;
}

/* One datagram of @bytes to 127.0.0.1:@port; 0 iff all were sent. */
static int udp_send_one(int fd, int port, const char *buf, long bytes)
{
	struct sockaddr_in a = loopback(port);

	return sendto(fd, buf, bytes, 0, (struct sockaddr *)&a, sizeof(a)) != bytes;
}

static int udp_forks(long n, long bytes, int port)
{
	static char buf[65507];
	long i, good = 0;
	int st, fd;
	pid_t c;

	if (bytes <= 0 || bytes > (long)sizeof(buf))
		return 2;
	for (i = 0; i < n; i++) {
		c = fork();
		if (c < 0) {
			perror("tkload udpforks");
			return 1;
		}
		if (!c) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			_exit(fd < 0 || udp_send_one(fd, port, buf, bytes));
		}
		if (waitpid(c, &st, 0) == c && WIFEXITED(st) && !WEXITSTATUS(st))
			good++;
	}
	printf("%ld\n", good);
	return good != n;
}

static int udp_send(int port, long n, long chunk, const char *mark)
{
	static char buf[65507];
	long sent = 0;
	int fd;

	if (chunk <= 0 || chunk > (long)sizeof(buf))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 1;
	while (sent < n) {
		long b = n - sent < chunk ? n - sent : chunk;

		if (udp_send_one(fd, port, buf, b)) {
			perror("tkload udpsend");
			return 1;
		}
		sent += b;
	}
	if (touch(mark, sent))
		return 1;
	for (;;)
		pause();
}

static int tcp_recv(int port, const char *ready)
{
	struct sockaddr_in a = loopback(port);
	static char buf[65536];
	long long total = 0;
	int ls, fd, one = 1;
	ssize_t r;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
	    touch(ready, 0)) {
		perror("tkload tcprecv");
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("tkload tcprecv");
		return 1;
	}
	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += r;
	printf("%lld\n", total);
	return r < 0;
}

static int tcp_send(int port, long n, const char *mark, long secs)
{
	struct sockaddr_in a = loopback(port);
	static char buf[65536];
	long long end;
	long sent = 0;
	ssize_t r;
	int fd;

	memset(buf, 'x', sizeof(buf));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("tkload tcpsend");
		return 1;
	}
	while (sent < n) {
		r = send(fd, buf, n - sent < (long)sizeof(buf) ? n - sent : (long)sizeof(buf), 0);
		if (r <= 0) {
			perror("tkload tcpsend");
			return 1;
		}
		sent += r;
	}
	if (touch(mark, sent))
		return 1;
	end = now_ns() + secs * 1000000000LL;
	while (now_ns() < end)
		if (send(fd, buf, sizeof(buf), 0) <= 0) {
			perror("tkload tcpsend");
			return 1;
		}
	close(fd);
	return 0;
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
		long usec[64], nu = 0;
		const char *p = argv[3];
		FILE *out = NULL;
		long long d;
		char *end;

		while (nu < 64) {
			usec[nu++] = strtol(p, &end, 10);
			if (*end != ',')
				break;
			p = end + 1;
		}
		if (argc >= 5) {
			out = fopen(argv[4], "w");
			if (!out) {
				perror(argv[4]);
				return 1;
			}
		}
		n = atol(argv[2]);
		for (i = 0; i < n; i++) {
			struct timespec req = {
				.tv_sec = usec[i % nu] / 1000000,
				.tv_nsec = (usec[i % nu] % 1000000) * 1000,
			};

			t0 = now_ns();
			clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
			d = now_ns() - t0;
			sum += d;
			if (out)
				fprintf(out, "%lld\n", d);
		}
		if (out && fclose(out)) {
			perror(argv[4]);
			return 1;
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
	if (argc >= 3 && !strcmp(argv[1], "udp"))
		return udp_loop(atol(argv[2]), argc >= 4 && atol(argv[3]) > 0 ? atol(argv[3]) : 1);
	if (argc >= 5 && !strcmp(argv[1], "udpforks"))
		return udp_forks(atol(argv[2]), atol(argv[3]), atoi(argv[4]));
	if (argc >= 6 && !strcmp(argv[1], "udpsend"))
		return udp_send(atoi(argv[2]), atol(argv[3]), atol(argv[4]), argv[5]);
	if (argc >= 4 && !strcmp(argv[1], "tcprecv"))
		return tcp_recv(atoi(argv[2]), argv[3]);
	if (argc >= 6 && !strcmp(argv[1], "tcpsend"))
		return tcp_send(atoi(argv[2]), atol(argv[3]), argv[4], atol(argv[5]));
	fprintf(stderr, "usage: tkload getpid N | sleep N USEC[,USEC...] [FILE] | spin SECONDS | udp N [BATCHES]\n"
		"       tkload tcprecv PORT READY | tcpsend PORT N MARK SECS\n"
		"       tkload udpforks N BYTES PORT | udpsend PORT N CHUNK MARK\n");
	return 2;
}
