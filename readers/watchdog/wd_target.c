/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_target.c - find the inference process (pid file, systemd unit's
 * MainPID over sd-bus, or a command started here) and hold it by a pidfd,
 * so that a recycled pid can never be mistaken for the process watched.
 */
#define _GNU_SOURCE
#include "wd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

extern char **environ;

/* glibc 2.36 has pidfd_open(), older ones do not: the raw call works on both. */
static int wd_pidfd_open(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}

int wd_target_init(struct wd_target *t, enum wd_target_kind kind, const char *spec)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->pidfd = -1;
	if (strlen(spec) >= sizeof(t->spec))
		return -ENAMETOOLONG;
	strcpy(t->spec, spec);
	return 0;
}

int wd_read_pidfile(const char *path)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || v <= 0 || v > INT_MAX)
		return -EINVAL;
	while (*end == '\n' || *end == ' ')
		end++;
	if (*end != '\0')
		return -EINVAL;
	return (int)v;
}

/* MainPID of @unit: 0 when the unit is not running; -errno on bus errors. */
static int wd_unit_main_pid(const char *unit)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	const char *path;
	uint32_t pid = 0;
	int rc;

	rc = sd_bus_open_system(&bus);
	if (rc < 0)
		return rc;
	/* GetUnit, not LoadUnit: an unloaded unit has no process to watch. */
	rc = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				"org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply,
				"s", unit);
	if (rc < 0) {
		rc = sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit") ?
			-ENOENT : rc;
		goto out_unref;
	}
	rc = sd_bus_message_read(reply, "o", &path);
	if (rc < 0)
		goto out_unref;
	rc = sd_bus_get_property_trivial(bus, "org.freedesktop.systemd1", path,
					 "org.freedesktop.systemd1.Service", "MainPID",
					 &error, 'u', &pid);
	if (rc >= 0)
		rc = pid > INT_MAX ? -ERANGE : (int)pid;
out_unref:
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_unref(bus);
	return rc;
}

/*
 * wd_spawn() - start the command through "/bin/sh -c 'exec COMMAND'": the
 * shell replaces itself with the runtime, so the pid held is the runtime's
 * own (a stopped runtime is seen hung, and SIGTERM reaches it, not a shell
 * that would leave it running).
 */
static int wd_spawn(struct wd_target *t)
{
	char cmd[sizeof(t->spec) + 8];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	pid_t pid;
	int rc;

	snprintf(cmd, sizeof(cmd), "exec %s", t->spec);
	rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	if (rc)
		return -rc;
	t->started = true;
	t->child = true;
	return pid;
}

/* Has the held process exited?  A pidfd polls readable once it has. */
static void wd_check_exit(struct wd_target *t)
{
	struct pollfd p = { .fd = t->pidfd, .events = POLLIN };
	int status;

	if (t->pidfd < 0 || t->exited)
		return;
	if (poll(&p, 1, 0) > 0) {
		t->exited = true;
		if (t->child && waitpid(t->pid, &status, WNOHANG) == t->pid)
			t->exit_status = status;
	}
}

int wd_target_refresh(struct wd_target *t)
{
	int pid, fd;

	wd_check_exit(t);
	if (t->pidfd >= 0 && !t->exited)
		return 0;

	switch (t->kind) {
	case WD_TGT_PIDFILE:
		pid = wd_read_pidfile(t->spec);
		break;
	case WD_TGT_UNIT:
		pid = wd_unit_main_pid(t->spec);
		if (pid == 0)
			pid = -ENOENT;
		break;
	case WD_TGT_COMMAND:
		/* Started once: a supervisor restarts the runtime, not the watchdog. */
		pid = t->started ? -ENOENT : wd_spawn(t);
		break;
	default:
		pid = -EINVAL;
	}
	if (pid < 0)
		return pid;
	if (t->pidfd >= 0 && pid == t->pid)
		return 0; /* the pid file still names the process that exited */

	fd = wd_pidfd_open(pid);
	if (fd < 0)
		return fd == -ESRCH ? -ESRCH : fd;
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = fd;
	t->pid = pid;
	t->exited = false;
	/* The pid may have exited between reading it and opening the pidfd. */
	wd_check_exit(t);
	return 0;
}

int wd_target_uid(struct wd_target *t, uid_t *uid)
{
	char path[64], buf[4096], *p;
	unsigned long ruid, euid;
	ssize_t n;
	int fd;

	if (t->pidfd < 0 || t->exited)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* Uid: is within the first few hundred bytes of the file. */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%lu %lu", &ruid, &euid) != 2)
		return -EPROTO;
	/*
	 * Still alive after the read: the pid named our process when the
	 * file was opened, so the line is its own, not a successor's.
	 */
	wd_check_exit(t);
	if (t->exited)
		return -ESRCH;
	*uid = (uid_t)euid;
	return 0;
}

int wd_target_fd(const struct wd_target *t)
{
	return t->exited ? -1 : t->pidfd;
}

void wd_target_close(struct wd_target *t, bool kill_child)
{
	/* Without @kill_child the runtime outlives us: do not wait for it. */
	if (kill_child && t->child && !t->exited && t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	t->pid = 0;
}
