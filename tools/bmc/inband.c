/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inband.c - the host's in-band IPMI (inband.h): which ipmi_* modules are
 * loaded or built in, who holds /dev/ipmi* and /dev/watchdog*, removing and
 * loading the modules with modprobe (fork + execve, no shell), and the
 * modprobe.d blacklist.  Used by sovereign-bmc standby and wake.
 */
#define _GNU_SOURCE
#include "fileio.h"
#include "inband.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODNAME_MAX 64              /* longer first fields are not module names */
#define SCAN_MAX (4u << 20)         /* proc/modules, modules.builtin: a refusal above 4 MiB */
#define MODPROBE_TIMEOUT_MS 60000   /* a modprobe taking longer is killed */
#define ERRLINE_MAX 256             /* modprobe's first stderr line kept */

const char *const bmc_inband_modules[BMC_INBAND_NMOD] = {
	"ipmi_watchdog", "ipmi_poweroff", "acpi_ipmi", "ipmi_ssif", "ipmi_si",
	"ipmi_devintf", "ipmi_msghandler",
};

static const char bl_header[] = "# Written by sovereign-bmc standby: in-band IPMI stays off "
				"(sovereign-bmc wake removes this file).";

/* The environment modprobe runs with: nothing of the caller's. */
static char *const modprobe_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* mkpath() - <root><rest> into @buf (PATH_MAX), root's trailing '/' dropped; 0 or -ENAMETOOLONG. */
__attribute__((format(printf, 3, 4)))
static int mkpath(char *buf, const char *root, const char *fmt, ...)
{
	size_t rlen = root ? strlen(root) : 0;
	va_list ap;
	int n;

	while (rlen > 0 && root[rlen - 1] == '/')
		rlen--;
	if (rlen >= PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, root, rlen);
	va_start(ap, fmt);
	n = vsnprintf(buf + rlen, PATH_MAX - rlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= PATH_MAX - rlen)
		return -ENAMETOOLONG;
	return 0;
}

/* mod_eq() - @a (@alen bytes) names module @b, '-' and '_' being the same. */
static bool mod_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return false;
	for (i = 0; i < alen; i++) {
		char c = a[i] == '-' ? '_' : a[i];

		if (c != b[i])
			return false;
	}
	return true;
}

static int mod_index(const char *tok, size_t len)
{
	int i;

	for (i = 0; i < BMC_INBAND_NMOD; i++)
		if (mod_eq(tok, len, bmc_inband_modules[i]))
			return i;
	return -1;
}

typedef void (*tok_fn)(const char *tok, size_t len, void *ctx);

/*
 * scan_tokens() - call @fn with the first whitespace-separated field of each
 * line of @path (with @basename, only what follows its last '/').  Fields
 * longer than MODNAME_MAX are skipped, lines of any length are read in
 * 4 KiB pieces, any bytes are accepted.  0, or -errno (-EFBIG past SCAN_MAX).
 */
static int scan_tokens(const char *path, bool basename, tok_fn fn, void *ctx)
{
	char buf[4096], tok[MODNAME_MAX];
	size_t len = 0, total = 0;
	bool in_tok = true, over = false;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		ssize_t i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > SCAN_MAX) {
			rc = -EFBIG;
			break;
		}
		for (i = 0; i < n; i++) {
			char c = buf[i];

			if (c == '\n') {
				if (in_tok && !over)
					fn(tok, len, ctx);
				in_tok = true;
				over = false;
				len = 0;
			} else if (!in_tok) {
				continue;
			} else if (c == ' ' || c == '\t') {
				if (!over)
					fn(tok, len, ctx);
				in_tok = false;
			} else if (basename && c == '/') {
				len = 0;
				over = false;
			} else if (len < sizeof(tok)) {
				tok[len++] = c;
			} else {
				over = true;
			}
		}
	}
	if (rc == 0 && in_tok && !over && len)
		fn(tok, len, ctx);
	close(fd);
	return rc;
}

static void loaded_tok(const char *tok, size_t len, void *ctx)
{
	bool *loaded = ctx;
	int i = mod_index(tok, len);

	if (i >= 0)
		loaded[i] = true;
}

static void builtin_tok(const char *tok, size_t len, void *ctx)
{
	bool *builtin = ctx;
	int i;

	if (len < 3 || memcmp(tok + len - 3, ".ko", 3) != 0)
		return;
	i = mod_index(tok, len - 3);
	if (i >= 0)
		builtin[i] = true;
}

/*
 * read_loaded() - which modules <root>/proc/modules lists (any state); none
 * when the file is missing (CONFIG_MODULES=n: every ipmi driver is then
 * built in or absent).  0 or -errno.
 */
static int read_loaded(const struct bmc_inband_host *h, bool loaded[BMC_INBAND_NMOD], char *err,
		       size_t errlen)
{
	char path[PATH_MAX];
	int rc;

	memset(loaded, 0, sizeof(bool) * BMC_INBAND_NMOD);
	rc = mkpath(path, h->root, "/proc/modules");
	if (rc)
		return fail(err, errlen, rc, "%s/proc/modules: path too long", h->root);
	rc = scan_tokens(path, false, loaded_tok, loaded);
	/* no proc/modules: a kernel without module support, nothing is loadable */
	if (rc && rc != -ENOENT)
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	return 0;
}

/* read_builtin() - modules.builtin of the release, and /sys/module/<m> without initstate. */
static int read_builtin(const struct bmc_inband_host *h, bool builtin[BMC_INBAND_NMOD], char *err,
			size_t errlen)
{
	char path[PATH_MAX];
	struct utsname u;
	const char *rel = h->release;
	struct stat sb;
	int i, rc;

	memset(builtin, 0, sizeof(bool) * BMC_INBAND_NMOD);
	if (!rel) {
		if (uname(&u) < 0)
			return fail(err, errlen, -errno, "uname: %s", strerror(errno));
		rel = u.release;
	}
	if (strchr(rel, '/') || !strcmp(rel, "..") || !strcmp(rel, "."))
		return fail(err, errlen, -EINVAL, "kernel release '%s' is not a name", rel);
	rc = mkpath(path, h->root, "/lib/modules/%s/modules.builtin", rel);
	if (rc)
		return fail(err, errlen, rc, "modules.builtin: path too long");
	rc = scan_tokens(path, true, builtin_tok, builtin);
	if (rc && rc != -ENOENT)
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));

	for (i = 0; i < BMC_INBAND_NMOD; i++) {
		if (builtin[i])
			continue;
		rc = mkpath(path, h->root, "/sys/module/%s", bmc_inband_modules[i]);
		if (rc)
			return fail(err, errlen, rc, "/sys/module: path too long");
		if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		rc = mkpath(path, h->root, "/sys/module/%s/initstate", bmc_inband_modules[i]);
		if (rc)
			return fail(err, errlen, rc, "/sys/module: path too long");
		if (lstat(path, &sb) < 0 && errno == ENOENT)
			builtin[i] = true;
	}
	return 0;
}

static bool all_digits(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9' || i >= max)
			return false;
	return i > 0;
}

static void read_comm(const char *root, const char *pid, char comm[32])
{
	char path[PATH_MAX];
	ssize_t n = -1;
	int fd;

	strcpy(comm, "?");
	if (mkpath(path, root, "/proc/%s/comm", pid))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	do
		n = read(fd, comm, 31);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0) {
		strcpy(comm, "?");
		return;
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

/* fd_of_pid_matches() - does <root>/proc/<pid>/fd hold a link whose target starts with @prefix? */
static bool fd_of_pid_matches(const char *root, const char *pid, const char *prefix)
{
	char path[PATH_MAX], target[PATH_MAX];
	size_t plen = strlen(prefix);
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (mkpath(path, root, "/proc/%s/fd", pid))
		return false;
	d = opendir(path);
	if (!d)
		return false; /* vanished (ENOENT) or not ours to look at (EACCES) */
	while (!found && (de = readdir(d))) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		found = (size_t)n >= plen && memcmp(target, prefix, plen) == 0;
	}
	closedir(d);
	return found;
}

/*
 * scan_holders() - the processes with an fd on a path starting with @prefix
 * (the link target as the kernel shows it, not joined to root): count in
 * *@count, the first @max pids and comms recorded.  0 or -errno (proc unlistable).
 */
static int scan_holders(const char *root, const char *prefix, int max, pid_t *pids,
			char (*comm)[32], int *count)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc;

	*count = 0;
	rc = mkpath(path, root, "/proc");
	if (rc)
		return rc;
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!all_digits(de->d_name, 9) || !fd_of_pid_matches(root, de->d_name, prefix))
			continue;
		if (*count < max) {
			pids[*count] = (pid_t)strtol(de->d_name, NULL, 10);
			read_comm(root, de->d_name, comm[*count]);
		}
		(*count)++;
	}
	closedir(d);
	return 0;
}

/* bl_ours() - 1: @path starts with our header line; 0: it does not; -errno (-ENOENT: missing). */
static int bl_ours(const char *path)
{
	char buf[sizeof(bl_header) + 1];
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (got < sizeof(buf)) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < sizeof(bl_header) - 1 || memcmp(buf, bl_header, sizeof(bl_header) - 1))
		return 0;
	return got == sizeof(bl_header) - 1 || buf[sizeof(bl_header) - 1] == '\n';
}

static int bl_path(const struct bmc_inband_host *h, char path[PATH_MAX], char *err,
		   size_t errlen)
{
	if (!h->blacklist || h->blacklist[0] != '/')
		return fail(err, errlen, -EINVAL, "blacklist path must be absolute");
	if (mkpath(path, h->root, "%s", h->blacklist))
		return fail(err, errlen, -ENAMETOOLONG, "blacklist path too long");
	return 0;
}

int bmc_inband_read(const struct bmc_inband_host *h, struct bmc_inband_state *st, char *err,
		    size_t errlen)
{
	bool loaded[BMC_INBAND_NMOD], builtin[BMC_INBAND_NMOD];
	char path[PATH_MAX], buf[8];
	pid_t wpid[1];
	char wcomm[1][32];
	int i, n, rc, fd;

	memset(st, 0, sizeof(*st));
	rc = read_loaded(h, loaded, err, errlen);
	if (rc)
		return rc;
	rc = read_builtin(h, builtin, err, errlen);
	if (rc)
		return rc;
	for (i = 0; i < BMC_INBAND_NMOD; i++)
		st->mod[i] = loaded[i] ? BMC_MOD_LOADED :
			     builtin[i] ? BMC_MOD_BUILTIN : BMC_MOD_ABSENT;

	rc = scan_holders(h->root, "/dev/ipmi", 8, st->holders, st->holder_comm, &st->nholders);
	if (rc)
		return fail(err, errlen, rc, "%s/proc: %s", h->root, strerror(-rc));

	rc = mkpath(path, h->root, "/sys/module/ipmi_watchdog/parameters/nowayout");
	if (rc)
		return fail(err, errlen, rc, "nowayout: path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t got = read(fd, buf, sizeof(buf));

		st->watchdog_nowayout = got > 0 &&
					(buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1');
		close(fd);
	}
	if (st->mod[0] != BMC_MOD_ABSENT) {
		rc = scan_holders(h->root, "/dev/watchdog", 1, wpid, wcomm, &n);
		if (rc)
			return fail(err, errlen, rc, "%s/proc: %s", h->root, strerror(-rc));
		st->watchdog_armed = n > 0;
	}

	if (h->blacklist) {
		rc = bl_path(h, path, err, errlen);
		if (rc)
			return rc;
		st->blacklisted = bl_ours(path) == 1;
	}
	return 0;
}

/* child_exec() - forked child: stdin/stdout /dev/null, stderr @errfd, exec.  Never returns. */
static void child_exec(const char *prog, char *const argv[], int errfd, int xfd)
{
	sigset_t none;
	int nul, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(errfd, 2) < 0)
		goto out;
	/* Nothing else of the caller's reaches modprobe (xfd is already close-on-exec). */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(prog, argv, modprobe_env);
out:
	e = errno;
	if (write(xfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * run_modprobe() - "<modprobe> [-r] <name>", waited for (at most
 * MODPROBE_TIMEOUT_MS).  0; -EIO for a non-zero exit or a signal, with
 * modprobe's first stderr line in @err; -errno if it could not run.
 */
static int run_modprobe(const struct bmc_inband_host *h, bool remove, const char *name,
			char *err, size_t errlen)
{
	char *argv[4] = { "modprobe", NULL, NULL, NULL };
	const char *what = remove ? "modprobe -r" : "modprobe";
	char line[ERRLINE_MAX], drain[512];
	size_t llen = 0;
	long long deadline;
	int ep[2], xp[2], status, e = 0, rc = 0;
	ssize_t n;
	pid_t pid;

	if (!h->modprobe || h->modprobe[0] != '/')
		return fail(err, errlen, -EINVAL, "modprobe path must be absolute");
	if (remove) {
		argv[1] = "-r";
		argv[2] = (char *)name;
	} else {
		argv[1] = (char *)name;
	}
	if (pipe2(ep, O_CLOEXEC) < 0)
		return fail(err, errlen, -errno, "%s %s: pipe: %s", what, name, strerror(errno));
	if (pipe2(xp, O_CLOEXEC) < 0) {
		rc = -errno;
		close(ep[0]);
		close(ep[1]);
		return fail(err, errlen, rc, "%s %s: pipe: %s", what, name, strerror(-rc));
	}
	pid = fork();
	if (pid == 0)
		child_exec(h->modprobe, argv, ep[1], xp[1]);
	if (pid < 0)
		rc = -errno;
	close(ep[1]);
	close(xp[1]);
	if (pid < 0) {
		close(ep[0]);
		close(xp[0]);
		return fail(err, errlen, rc, "%s %s: fork: %s", what, name, strerror(-rc));
	}

	/* EOF at exec (close-on-exec) or an errno if the exec failed. */
	do
		n = read(xp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(xp[0]);
	if (n == (ssize_t)sizeof(e))
		rc = -e;

	/* stderr until EOF: the first line kept, the rest drained. */
	deadline = now_ms() + MODPROBE_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = ep[0], .events = POLLIN };
		long long left = deadline - now_ms();
		bool keep;
		int pr;

		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = -ETIMEDOUT;
			break;
		}
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			rc = rc ? rc : -errno;
			kill(pid, SIGKILL);
			break;
		}
		if (pr == 0)
			continue;
		keep = llen < sizeof(line) - 1;
		if (keep)
			n = read(ep[0], line + llen, sizeof(line) - 1 - llen);
		else
			n = read(ep[0], drain, sizeof(drain));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (keep)
			llen += (size_t)n;
	}
	close(ep[0]);
	line[llen] = '\0';
	line[strcspn(line, "\n")] = '\0';

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail(err, errlen, -errno, "%s %s: waitpid: %s", what, name,
				    strerror(errno));
	}
	if (rc == -ETIMEDOUT)
		return fail(err, errlen, rc, "%s %s: no exit after %d s, killed", what, name,
			    MODPROBE_TIMEOUT_MS / 1000);
	if (rc)
		return fail(err, errlen, rc, "%s %s: cannot run %s: %s", what, name, h->modprobe,
			    strerror(-rc));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return fail(err, errlen, -EIO, "%s %s: exit %d: %s", what, name,
			    WEXITSTATUS(status), line[0] ? line : "(no message)");
	return fail(err, errlen, -EIO, "%s %s: killed by signal %d: %s", what, name,
		    WTERMSIG(status), line[0] ? line : "(no message)");
}

int bmc_inband_unload(const struct bmc_inband_host *h, bool force,
		      bool unloaded[BMC_INBAND_NMOD], char *err, size_t errlen)
{
	struct bmc_inband_state st;
	bool loaded[BMC_INBAND_NMOD];
	int i, rc;

	memset(unloaded, 0, sizeof(bool) * BMC_INBAND_NMOD);
	rc = bmc_inband_read(h, &st, err, errlen);
	if (rc)
		return rc;
	if (st.nholders > 0 && !force)
		return fail(err, errlen, -EBUSY,
			    "/dev/ipmi* held open by %d process(es), first pid %d (%s)",
			    st.nholders, (int)st.holders[0], st.holder_comm[0]);

	for (i = 0; i < BMC_INBAND_NMOD; i++) {
		if (st.mod[i] != BMC_MOD_LOADED)
			continue;
		rc = run_modprobe(h, true, bmc_inband_modules[i], err, errlen);
		if (rc)
			return rc;
		unloaded[i] = true;
	}

	rc = read_loaded(h, loaded, err, errlen);
	if (rc)
		return rc;
	for (i = 0; i < BMC_INBAND_NMOD; i++) {
		if (unloaded[i] && loaded[i]) {
			int j;

			/* Not removed after all: not ours to load again. */
			for (j = i; j < BMC_INBAND_NMOD; j++)
				if (loaded[j])
					unloaded[j] = false;
			return fail(err, errlen, -EBUSY,
				    "%s still in /proc/modules after modprobe -r",
				    bmc_inband_modules[i]);
		}
	}
	return 0;
}

int bmc_inband_load(const struct bmc_inband_host *h, const bool modules[BMC_INBAND_NMOD],
		    char *err, size_t errlen)
{
	bool loaded[BMC_INBAND_NMOD];
	int i, rc;

	for (i = BMC_INBAND_NMOD - 1; i >= 0; i--) {
		if (!modules[i])
			continue;
		rc = run_modprobe(h, false, bmc_inband_modules[i], err, errlen);
		if (rc)
			return rc;
	}
	rc = read_loaded(h, loaded, err, errlen);
	if (rc)
		return rc;
	for (i = BMC_INBAND_NMOD - 1; i >= 0; i--)
		if (modules[i] && !loaded[i])
			return fail(err, errlen, -EIO, "%s not in /proc/modules after modprobe",
				    bmc_inband_modules[i]);
	return 0;
}

static int bl_install(const char *path, char *err, size_t errlen)
{
	char text[2048];
	size_t len;
	int i, n, rc;

	n = snprintf(text, sizeof(text), "%s\n", bl_header);
	len = (size_t)n;
	for (i = 0; i < BMC_INBAND_NMOD; i++) {
		n = snprintf(text + len, sizeof(text) - len,
			     "blacklist %s\ninstall %s /bin/false\n", bmc_inband_modules[i],
			     bmc_inband_modules[i]);
		if (n < 0 || (size_t)n >= sizeof(text) - len)
			return fail(err, errlen, -EOVERFLOW, "blacklist text too long");
		len += (size_t)n;
	}
	rc = sov_write_atomic(path, text, len, 0644);
	if (rc)
		return fail(err, errlen, rc, "%s: %s", path, strerror(-rc));
	return 0;
}

int bmc_inband_blacklist(const struct bmc_inband_host *h, bool on, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc, ours;

	rc = bl_path(h, path, err, errlen);
	if (rc)
		return rc;
	ours = bl_ours(path);
	if (ours < 0 && ours != -ENOENT)
		return fail(err, errlen, ours, "%s: %s", path, strerror(-ours));
	if (ours == 0)
		return fail(err, errlen, -EEXIST, "%s exists and was not written by sovereign-bmc",
			    path);
	if (on)
		return bl_install(path, err, errlen);
	if (ours == -ENOENT)
		return 0;
	if (unlink(path) < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	rc = sov_fsync_dir(path, 1);
	if (rc)
		return fail(err, errlen, rc, "%s: fsync of its directory: %s", path,
			    strerror(-rc));
	return 0;
}
