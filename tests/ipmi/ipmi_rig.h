/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipmi_rig.h - the IPMI test rig: OpenIPMI's ipmi_sim as a BMC on
 * 127.0.0.1, one per test, and ipmitool as an independent client.
 *
 * rig_start() makes a state directory (mkdtemp), a pty for SOL (the test
 * holds its master side), writes lan.conf from lan.conf.in, starts
 * "ipmi_sim -c lan.conf -f <vendor>.emu -s dir -n" on a free UDP port and
 * waits (bounded) until it answers an RMCP presence ping; ipmi_sim dies with
 * the test process (PR_SET_PDEATHSIG) and rig_stop() kills it and removes
 * the directory.  The password is in lan.conf (a file) and, for ipmitool,
 * in the child's environment (-E): never in an argv.
 *
 * Needs SOV_IPMI_RIG (this folder), SOV_IPMI_PLUGIN (oem_plugin.so),
 * SOV_IPMI_SIM and SOV_IPMITOOL (the programs)
 * defined.  Header-only; it asserts (Criterion) rather than returning errors.
 */
#ifndef SOVEREIGN_TESTS_IPMI_RIG_H
#define SOVEREIGN_TESTS_IPMI_RIG_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RIG_USER "ipmiusr"
#define RIG_PASSWORD "rig-Pa55word" /* also written into lan.conf */

struct ipmi_rig {
	char dir[PATH_MAX];
	unsigned int port;
	pid_t pid;
	int pty;    /* SOL: master side of the pty ipmi_sim's "sol" names */
};

static inline long rig_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static inline int rig_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* rig_free_udp_port() - a UDP port on 127.0.0.1 nobody holds right now. */
static inline unsigned int rig_free_udp_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* rig_ping() - whether an RMCP/ASF presence ping to @port is answered within @ms. */
static inline int rig_ping(unsigned int port, int ms)
{
	static const unsigned char ping[12] = { 0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe,
						0x80, 0x00, 0x00, 0x00 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	unsigned char buf[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ok = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    send(fd, ping, sizeof(ping), 0) == (ssize_t)sizeof(ping) && poll(&p, 1, ms) == 1) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		/* RMCP, ASF class, message type 0x40: presence pong */
		ok = n >= 9 && buf[0] == 0x06 && buf[3] == 0x06 && buf[8] == 0x40;
	}
	close(fd);
	return ok;
}

/* rig_write_conf() - @dir/lan.conf from lan.conf.in with this rig's values. */
static inline void rig_write_conf(const struct ipmi_rig *r, const char *pty)
{
	char path[PATH_MAX + 16], line[1024], port[16];
	const char *keys[] = { "@PORT@", "@DIR@", "@RIG@", "@PLUGIN@", "@PTY@", "@PASSWORD@" };
	const char *vals[] = { port, r->dir, SOV_IPMI_RIG, SOV_IPMI_PLUGIN, pty, RIG_PASSWORD };
	FILE *in, *out;

	snprintf(port, sizeof(port), "%u", r->port);
	in = fopen(SOV_IPMI_RIG "/lan.conf.in", "r");
	cr_assert_not_null(in, "lan.conf.in: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/lan.conf", r->dir);
	out = fopen(path, "w");
	cr_assert_not_null(out);
	while (fgets(line, sizeof(line), in)) {
		char *s = line;

		while (*s) {
			size_t k;

			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				if (!strncmp(s, keys[k], strlen(keys[k])))
					break;
			if (k < sizeof(keys) / sizeof(keys[0])) {
				fputs(vals[k], out);
				s += strlen(keys[k]);
			} else {
				fputc(*s++, out);
			}
		}
	}
	fclose(in);
	cr_assert_eq(fclose(out), 0);
}

/* rig_stop() - kill and reap ipmi_sim, close the pty, remove the state directory. */
static inline void rig_stop(struct ipmi_rig *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	r->pid = -1;
	if (r->pty >= 0)
		close(r->pty);
	r->pty = -1;
	if (r->dir[0])
		nftw(r->dir, rig_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	r->dir[0] = '\0';
}

/*
 * rig_start() - ipmi_sim as the BMC of @vendor ("supermicro" or "idrac":
 * tests/ipmi/<vendor>.emu), answering on 127.0.0.1:r->port.  A port taken
 * between the probe and ipmi_sim's bind (tests run in parallel) is retried
 * with another one.
 */
static inline void rig_start(struct ipmi_rig *r, const char *vendor)
{
	char emu[PATH_MAX], conf[PATH_MAX + 16], log[PATH_MAX + 16];
	const char *pty;
	int attempt;

	memset(r, 0, sizeof(*r));
	r->pid = -1;
	snprintf(r->dir, sizeof(r->dir), "/tmp/sov-ipmi-XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	r->pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(r->pty, 0);
	cr_assert_eq(grantpt(r->pty), 0);
	cr_assert_eq(unlockpt(r->pty), 0);
	pty = ptsname(r->pty);
	cr_assert_not_null(pty);
	snprintf(emu, sizeof(emu), "%s/%s.emu", SOV_IPMI_RIG, vendor);
	snprintf(conf, sizeof(conf), "%s/lan.conf", r->dir);
	snprintf(log, sizeof(log), "%s/ipmi_sim.log", r->dir);

	for (attempt = 0; attempt < 5; attempt++) {
		pid_t parent = getpid();
		long deadline;

		r->port = rig_free_udp_port();
		rig_write_conf(r, pty);
		r->pid = fork();
		cr_assert_geq(r->pid, 0);
		if (r->pid == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

			/* die with the test, even when it dies first */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(126);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execl(SOV_IPMI_SIM, "ipmi_sim", "-c", conf, "-f", emu, "-s", r->dir, "-n",
			       (char *)NULL);
			_exit(127);
		}
		/* generous: a slow shared machine under ASan */
		deadline = rig_now_ms() + 15000;
		while (rig_now_ms() < deadline) {
			if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
				r->pid = -1; /* exited: port taken? try another */
				break;
			}
			if (rig_ping(r->port, 200))
				return;
		}
		if (r->pid > 0) {
			kill(r->pid, SIGKILL);
			waitpid(r->pid, NULL, 0);
			r->pid = -1;
		}
	}
	cr_assert_fail("ipmi_sim did not answer on 127.0.0.1 (log in %s)", log);
}

/*
 * rig_ipmitool() - run "ipmitool -I lanplus -C 3 -H 127.0.0.1 -p PORT -U
 * ipmiusr -E ARGS..." (NULL-terminated), the password in its environment
 * only; its stdout into @out (NUL-terminated, truncated to @size).
 * Return: its exit status.
 */
static inline int rig_ipmitool(const struct ipmi_rig *r, char *out, size_t size, ...)
{
	char port[16], path[PATH_MAX + 16], *argv[40];
	char *envp[] = { "IPMI_PASSWORD=" RIG_PASSWORD, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			 NULL };
	int argc = 0, st, fd;
	ssize_t n;
	pid_t pid;
	va_list ap;

	snprintf(port, sizeof(port), "%u", r->port);
	snprintf(path, sizeof(path), "%s/ipmitool.out", r->dir);
	argv[argc++] = "ipmitool";
	argv[argc++] = "-I";
	argv[argc++] = "lanplus";
	argv[argc++] = "-C";
	argv[argc++] = "3";
	argv[argc++] = "-N";
	argv[argc++] = "3";
	argv[argc++] = "-H";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "-p";
	argv[argc++] = port;
	argv[argc++] = "-U";
	argv[argc++] = RIG_USER;
	argv[argc++] = "-E";
	va_start(ap, size);
	while (argc < 39 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 1);
		strcat(path, ".err"); /* its notes ("Info: SOL parameter ...") */
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execve(SOV_IPMITOOL, argv, envp);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, out, size - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#endif /* SOVEREIGN_TESTS_IPMI_RIG_H */
