/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd.h - sovereign-watchdog's internals: the state machine (pure), the
 * target (the inference process, held by a pidfd), the progress probes
 * (heartbeat, health URL, file mtime) and the watchdog device feeder.
 * Used by watchdog.c and the tests.
 */
#ifndef SOVEREIGN_WD_H
#define SOVEREIGN_WD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* --- state machine (wd_state.c; pure, no I/O) --- */

/* enum wd_state - the inference process as seen; values are published. */
enum wd_state {
	WD_UNKNOWN = 0, /* never found (no pid file, unit not running, ...) */
	WD_ACTIVE  = 1, /* alive and progressing */
	WD_HUNG    = 2, /* alive, no progress for hang_ms */
	WD_DEAD    = 3, /* the process watched has exited, no successor yet */
};

/* struct wd_eval - what one period observed. */
struct wd_eval {
	bool     found;        /* a process is held (pidfd open) */
	bool     alive;        /* it has not exited */
	bool     was_found;    /* some process was held before: gone -> DEAD */
	uint64_t now_ms;       /* CLOCK_MONOTONIC, ms */
	uint64_t progress_ms;  /* CLOCK_MONOTONIC of the last progress seen, ms */
	uint64_t hang_ms;      /* no progress for longer than this: hung */
};

/*
 * wd_state_eval() - the state @e describes.
 * Context: any; pure.  Return: an enum wd_state.
 */
enum wd_state wd_state_eval(const struct wd_eval *e);

/* wd_state_name() - "unknown", "active", "hung", "dead" (static string). */
const char *wd_state_name(enum wd_state s);

/* --- target (wd_target.c) --- */

enum wd_target_kind { WD_TGT_PIDFILE, WD_TGT_COMMAND, WD_TGT_UNIT };

struct wd_target {
	enum wd_target_kind kind;
	char  spec[256];   /* pid file path, command line (sh -c), or unit name */
	pid_t pid;         /* pid held, 0 none */
	int   pidfd;       /* pidfd of @pid, -1 none */
	bool  child;       /* @pid is our child (command): reap it */
	bool  started;     /* the command was started (it is started once) */
	bool  exited;      /* the held process exited (pidfd readable) */
	int   exit_status; /* wait status of an exited child, if child */
};

/*
 * wd_target_init() - an empty target of @kind watching @spec.
 * Context: any.  Return: 0, -ENAMETOOLONG.
 */
int wd_target_init(struct wd_target *t, enum wd_target_kind kind, const char *spec);

/*
 * wd_target_refresh() - find the process if none is held, or a new one
 * after the held one exited (pid file rewritten, unit restarted); start
 * the command the first time.  Checks the held pidfd for exit without
 * blocking.
 * Context: watchdog main thread (system calls, sd-bus for units).
 * Return: 0 (t->pid > 0 if a process is held), or -errno on a failure
 * worth reporting (-ENOENT: nothing to watch yet; -ESRCH: stale pid file).
 */
int wd_target_refresh(struct wd_target *t);

/*
 * wd_target_uid() - the effective uid of the held process, from the
 * "Uid:" line of /proc/PID/status (not the owner of /proc/PID: that is
 * root for a process that made itself non-dumpable, as a runtime that
 * drops root with setuid() does).  The pidfd is checked after the read:
 * a pid recycled meanwhile is never taken for the process held.
 * Context: watchdog main thread (system calls).
 * Return: 0 and *@uid; -ESRCH (nothing held, or it exited); other -errno,
 * -EPROTO (no Uid line).
 */
int wd_target_uid(struct wd_target *t, uid_t *uid);

/* wd_target_fd() - the pidfd to poll for exit (POLLIN), or -1. */
int wd_target_fd(const struct wd_target *t);

/*
 * wd_target_close() - drop the pidfd; a child we started is sent SIGTERM
 * if @kill_child, then reaped.  Context: process context.
 */
void wd_target_close(struct wd_target *t, bool kill_child);

/*
 * wd_read_pidfile() - parse a pid file: decimal pid, optional newline.
 * Return: the pid (> 0), -ENOENT, -EINVAL (not a pid), -errno.
 */
int wd_read_pidfile(const char *path);

/* --- progress probes (wd_progress.c) --- */

/*
 * struct wd_url - a parsed health URL: http://127.0.0.1:PORT/PATH or
 * http://localhost:PORT/PATH (loopback only: the watchdog asks the
 * local runtime, never the network).
 */
struct wd_url {
	uint16_t port;
	char     path[192];
};

/* wd_url_parse() - parse @s.  Return: 0, -EINVAL (not a loopback http URL). */
int wd_url_parse(const char *s, struct wd_url *u);

/*
 * wd_http_status() - status code of the answer in @buf (@len bytes), if
 * it starts "HTTP/1.x NNN".  Context: any; pure.  Return: 100..599, -EPROTO.
 */
int wd_http_status(const char *buf, size_t len);

/*
 * wd_http_check() - GET @u over HTTP/1.0 from 127.0.0.1, whole exchange
 * within @timeout_ms.  Context: watchdog main thread (blocks up to the
 * timeout).  Return: the status code, -ETIMEDOUT, -ECONNREFUSED, -EPROTO,
 * other -errno.
 */
int wd_http_check(const struct wd_url *u, int timeout_ms);

/*
 * wd_mtime_ns() - st_mtim of @path as ns.  Return: 0, -errno.
 */
int wd_mtime_ns(const char *path, uint64_t *ns);

/* --- the watchdog device (wd_feed.c) --- */

struct wd_dev {
	char path[256];
	int  fd;            /* -1 until armed */
	int  timeout_s;     /* the device's timeout: WDIOC_GETTIMEOUT or config */
	bool magic_close;   /* write 'V' before a clean close */
	uint64_t feeds;     /* successful feeds */
};

/*
 * wd_dev_arm() - open the device (starts the hardware timer on a real one)
 * and read its timeout with WDIOC_GETTIMEOUT; a fake (FIFO, regular file)
 * keeps the configured timeout.
 * Context: process context.  Return: 0, -errno (the open's; ENXIO: a FIFO
 * with no reader).
 */
int wd_dev_arm(struct wd_dev *d);

/* wd_dev_feed() - one keep-alive write.  Return: 0, -errno. */
int wd_dev_feed(struct wd_dev *d);

/*
 * wd_dev_close() - close the device; with @magic (and d->magic_close)
 * write 'V' first, which tells a driver built without NOWAYOUT to stop
 * the timer instead of rebooting.  Without it the timer keeps running and
 * the machine resets after the timeout.
 */
void wd_dev_close(struct wd_dev *d, bool magic);

#endif /* SOVEREIGN_WD_H */
