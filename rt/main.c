/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - sovereign-sampler: options, configuration, real-time set-up
 * (affinity, mlockall, pre-faulted stack, SCHED_FIFO), systemd integration
 * (READY=1, WATCHDOG=1 from a non-RT thread while the loop advances),
 * signals (SIGHUP reloads, SIGTERM stops) and --discover.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <urcu/uatomic.h>

#include "opt.h"
#include "registry.h"
#include "sampler.h"
#include "timespec.h"

#define DEFAULT_CONFIG "/etc/sovereign/sampler.conf"
#define PREFAULT_STACK (256 * 1024)
/* The control thread looks for the first sample this often until READY=1. */
#define READY_POLL_NS (10 * 1000000ull)
/* Sent by main() to the control thread to end its wait (see control_main). */
#define CONTROL_WAKE_SIG SIGRTMIN

struct cli {
	const char *config;
	const char *root;          /* overrides [sampler] root */
	const char *segment;       /* overrides [sampler] segment */
	uint64_t cycles;           /* stop after this many (tests); 0: run */
	bool discover;
	bool no_rt;                /* skip SCHED_FIFO and mlockall on purpose */
};

struct control {
	struct sampler *s;
	const struct cli *cli;
	sigset_t sigs;
	bool restart;              /* the sensor set changed: re-exec */
	int stop;                  /* uatomic: the control thread should end */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sovereign-sampler [-c FILE] [--root DIR] [--segment NAME] [--no-rt]\n"
		"                         [--cycles N] [--discover]\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"      --root DIR      read sensors under DIR (a fixture or simulated tree)\n"
		"      --segment NAME  shared-memory segment (default " SOV_SHM_DEFAULT_NAME ")\n"
		"      --no-rt         do not ask for SCHED_FIFO and mlockall\n"
		"      --cycles N      stop after N cycles (tests)\n"
		"      --discover      print what this machine has and a config reading it\n");
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "segment", required_argument, NULL, 's' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "discover", no_argument, NULL, 'd' },
		{ "no-rt", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	memset(c, 0, sizeof(*c));
	c->config = DEFAULT_CONFIG;
	while ((o = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		struct sov_opt_err err;
		long long n;

		switch (o) {
		case 'c': c->config = optarg; break;
		case 'r': c->root = optarg; break;
		case 's': c->segment = optarg; break;
		case 'd': c->discover = true; break;
		case 'R': c->no_rt = true; break;
		case 'n':
			if (sov_opt_int("--cycles", optarg, 1, LLONG_MAX, &n, &err)) {
				fprintf(stderr, "sovereign-sampler: %s\n", err.msg);
				return -1;
			}
			c->cycles = (uint64_t)n;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sovereign-sampler: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/*
 * Load the config and check it against the schema (at start and at every
 * SIGHUP: an unknown section or key refuses the whole file); with none at
 * the default path, run on defaults.
 */
static int load_config(const struct cli *cli, struct rt_config *cfg, struct rt_err *err)
{
	int rc = rt_config_load(cli->config, cfg, err);

	if (rc == -ENOENT && !strcmp(cli->config, DEFAULT_CONFIG))
		return rt_config_parse_string("", "(defaults)", cfg, err);
	if (!rc && (rc = sampler_check_config(cfg, err)))
		rt_config_free(cfg);
	return rc;
}

static int opts_from(const struct cli *cli, const struct rt_config *cfg, struct sampler_opts *o,
		     struct rt_err *err)
{
	int rc = sampler_parse_opts(cfg, o, err);

	if (rc)
		return rc;
	if (cli->root)
		o->root = cli->root;
	if (cli->segment)
		o->segment = cli->segment;
	return 0;
}

/* --discover: probe every backend (also those off by default) and print. */
static int discover(const struct cli *cli, const struct rt_config *cfg)
{
	struct sampler_opts o;
	struct rt_err err;
	size_t i, j;

	if (opts_from(cli, cfg, &o, &err)) {
		fprintf(stderr, "sovereign-sampler: %s\n", err.msg);
		return 1;
	}
	printf("# sovereign-sampler --discover: what this machine (root \"%s\") offers\n", o.root);
	for (i = 0; i < rt_backend_count(); i++) {
		const struct sensor_ops *ops = rt_backend_at(i);
		struct rt_chan_list l = { 0 };
		int rc = rt_backend_probe(ops, o.root, o.cpu,
					  rt_config_section(cfg, ops->name, NULL), &l, &err);

		printf("\n[%s]\n", ops->name);
		if (rc) {
			printf("enable = no\n# %s\n", err.msg);
		} else if (!l.n) {
			printf("enable = no\n# found nothing%s\n",
			       ops->slow ? " (I2C: set bus and addresses for this board)" : "");
		} else {
			printf("enable = yes\n");
			for (j = 0; j < l.n; j++) {
				const struct sov_sensor *d = &l.chan[j].desc;

				printf("# %-28s %-16s %s\n", d->chip, d->name, d->label);
			}
		}
		/* What the probe left out, and why: a comment line each. */
		for (const char *p = rc ? "" : l.notes ? l.notes : err.msg; *p;) {
			int len = (int)strcspn(p, "\n");

			if (len)
				printf("# note: %.*s\n", len, p);
			p += len + (p[len] == '\n');
		}
		rt_chan_list_free(&l);
	}
	return 0;
}

/* Real-time set-up; each failure degrades, is said once, and is published. */
static uint32_t rt_setup(const struct sampler_opts *o, bool no_rt, int *fifo_err, int *lock_err)
{
	struct sched_param sp = { .sched_priority = o->priority };
	uint32_t flags = 0;
	cpu_set_t set;

	*fifo_err = *lock_err = 0;
	CPU_ZERO(&set);
	CPU_SET(o->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "sovereign-sampler: cannot pin to CPU %d: %s (running unpinned)\n",
			o->cpu, strerror(errno));
	if (no_rt)
		return SOV_SF_NO_RT | SOV_SF_NO_MLOCK;
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		*lock_err = errno;
		flags |= SOV_SF_NO_MLOCK;
	}
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		/* Like cyclictest: a soft RLIMIT_RTPRIO may be raised to the hard one. */
		struct rlimit rl;

		if (!getrlimit(RLIMIT_RTPRIO, &rl) && rl.rlim_max >= (rlim_t)o->priority) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_RTPRIO, &rl);
		}
		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			*fifo_err = errno;
			flags |= SOV_SF_NO_RT;
		}
	}
	return flags;
}

/* Touch the stack the loop will use, so no page fault lands in a cycle. */
static void prefault_stack(void)
{
	volatile char buf[PREFAULT_STACK];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 4096)
		buf[i] = 0;
}

/*
 * The file again at SIGHUP: as load_config(), but never the defaults: a
 * file that went away is refused like an empty, unreadable or odd one
 * (rt_config_load() refuses those), and the running configuration stays --
 * defaults would drop every sensor the file configured.
 */
static int reload_config(const struct cli *cli, struct rt_config *cfg, struct rt_err *err)
{
	int rc = rt_config_load(cli->config, cfg, err);

	if (!rc && (rc = sampler_check_config(cfg, err)))
		rt_config_free(cfg);
	return rc;
}

/*
 * How long the control thread may sleep in its signal wait at @now_ns:
 * short polls until READY=1 (it follows the loop's first sample); then
 * until the next watchdog check when systemd asked for pings; else
 * forever (UINT64_MAX), woken only by a signal.  Every wake-up costs CPU
 * time (tens of µs on a virtual machine), so an idle sampler's control
 * thread wakes only when it has to.
 */
static uint64_t control_timeout_ns(bool ready, bool wd, uint64_t next_check_ns, uint64_t now_ns)
{
	if (!ready)
		return READY_POLL_NS;
	if (!wd)
		return UINT64_MAX;
	return next_check_ns > now_ns ? next_check_ns - now_ns : 0;
}

/*
 * The control thread: signals, READY=1 once the first sample is out, and
 * WATCHDOG=1 only while the loop's cycle counter moves -- a stuck loop stops
 * the pings and systemd restarts the service, without the loop itself
 * making any extra system call.  It ends when main() sets c->stop and
 * sends it CONTROL_WAKE_SIG (blocked like the others, so a signal sent
 * before the wait is still pending and ends it: no lost wake-up).
 */
static void *control_main(void *arg)
{
	struct control *c = arg;
	uint64_t wd_usec = 0, last_cycles = 0, next_check = 0;
	bool ready = false;
	bool wd = sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec >= 2;

	while (!uatomic_read(&c->stop)) {
		struct timespec now;
		struct sampler_stats st;
		siginfo_t si;
		uint64_t to_ns;
		int sig;

		clock_gettime(CLOCK_MONOTONIC, &now);
		to_ns = control_timeout_ns(ready, wd, next_check, ts_to_ns(&now));
		if (to_ns == UINT64_MAX) {
			sig = sigwaitinfo(&c->sigs, &si);
		} else {
			struct timespec to = ts_from_ns(to_ns);

			sig = sigtimedwait(&c->sigs, &si, &to);
		}

		if (sig == SIGTERM || sig == SIGINT) {
			sd_notify(0, "STOPPING=1");
			sampler_stop(c->s);
		} else if (sig == SIGHUP) {
			struct rt_config cfg;
			struct rt_err err;
			bool restart = false;
			int rc;

			sd_notify(0, "RELOADING=1");
			rc = reload_config(c->cli, &cfg, &err);
			if (!rc) {
				struct sampler_opts o;

				rc = opts_from(c->cli, &cfg, &o, &err);
				if (!rc)
					rc = sampler_reload(c->s, &cfg, &o, &restart, &err);
				rt_config_free(&cfg);
			}
			if (rc)
				fprintf(stderr, "sovereign-sampler: %s: reload refused, keeping the old configuration: %s\n",
					c->cli->config, err.msg);
			else if (!restart)
				fprintf(stderr, "sovereign-sampler: %s reloaded (limits and rates; no sensor touched)\n",
					c->cli->config);
			else {
				fprintf(stderr, "sovereign-sampler: reload of %s: %s: the sensor set may change, "
					"which needs a restart: restarting with a new generation\n",
					c->cli->config, err.msg);
				c->restart = true;
				sampler_stop(c->s);
			}
			sd_notify(0, "READY=1");
		}
		st = sampler_stats(c->s);
		if (!ready && st.cycles >= 1) {
			sd_notify(0, "READY=1\nSTATUS=publishing");
			ready = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Ping every WATCHDOG_USEC / 2 while cycles advance; while the loop
		 * is stuck, look again every WATCHDOG_USEC / 4 for it to move. */
		if (wd && ts_to_ns(&now) >= next_check) {
			if (st.cycles != last_cycles) {
				sd_notify(0, "WATCHDOG=1");
				last_cycles = st.cycles;
				next_check = ts_to_ns(&now) + wd_usec * 1000u / 2;
			} else {
				next_check = ts_to_ns(&now) + wd_usec * 1000u / 4;
			}
		}
	}
	return NULL;
}

/* Signals go to the control thread only: block them in every thread, before any starts. */
static void block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGHUP);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, CONTROL_WAKE_SIG);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/*
 * Say what the probes skipped (stdout: information) and what real-time
 * set-up could not get (stderr, and a DEGRADED event in the segment), and
 * what the sampler publishes, before the loop starts.
 */
static void say_start(struct sampler *s, const struct sampler_opts *o, uint32_t flags,
		      int fifo_err, int lock_err)
{
	for (size_t i = 0; sampler_note(s, i); i++)
		printf("sovereign-sampler: note: %s\n", sampler_note(s, i));
	fflush(stdout);
	if (lock_err) {
		fprintf(stderr, "sovereign-sampler: mlockall: %s: running without locked memory\n",
			strerror(lock_err));
		sov_writer_note(sampler_writer(s), SOV_EV_DEGRADED, SOV_SEV_WARNING, lock_err,
				"no mlockall: page faults possible");
	}
	if (fifo_err) {
		fprintf(stderr, "sovereign-sampler: SCHED_FIFO: %s: running as a normal process\n",
			strerror(fifo_err));
		sov_writer_note(sampler_writer(s), SOV_EV_DEGRADED, SOV_SEV_WARNING, fifo_err,
				"no SCHED_FIFO: deadlines not guaranteed");
	}
	fprintf(stderr, "sovereign-sampler: %zu sensors into %s every %" PRIu64 " ms on CPU %d%s\n",
		sampler_channels(s)->n, o->segment, o->period_ns / 1000000u, o->cpu,
		flags & SOV_SF_NO_RT ? " (not real-time)" : "");
}

/*
 * The helper threads (worker, journal) and the control thread, all under
 * SCHED_OTHER (they must not inherit the loop's priority).  Return: 0 or
 * -errno, said on stderr.
 */
static int start_threads(struct control *ctl, struct sampler *s, const struct cli *cli,
			 bool rt, pthread_t *control)
{
	int rc = sampler_start_threads(s, rt);

	if (!rc) {
		ctl->s = s;
		ctl->cli = cli;
		rc = -pthread_create(control, NULL, control_main, ctl);
		if (!rc)
			pthread_setname_np(*control, "sov-control");
	}
	if (rc)
		fprintf(stderr, "sovereign-sampler: threads: %s\n", strerror(-rc));
	return rc;
}

/*
 * The loop, on this thread: back to SCHED_FIFO (when set-up got it), the
 * stack pre-faulted, until a stop; then end the control thread.
 * Return: sampler_run()'s.
 */
static int run_loop(struct control *ctl, struct sampler *s, const struct sampler_opts *o,
		    const struct cli *cli, bool rt, pthread_t control)
{
	int rc;

	if (rt) {
		struct sched_param sp = { .sched_priority = o->priority };

		sched_setscheduler(0, SCHED_FIFO, &sp);
	}
	prefault_stack();
	rc = sampler_run(s, cli->cycles);
	if (rc)
		fprintf(stderr, "sovereign-sampler: loop: %s\n", strerror(-rc));
	uatomic_set(&ctl->stop, 1);
	pthread_kill(control, CONTROL_WAKE_SIG); /* end its signal wait */
	pthread_join(control, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	struct control ctl = { 0 };
	struct sampler_opts o;
	struct rt_config cfg;
	struct rt_err err;
	struct sampler *s;
	struct cli cli;
	pthread_t control;
	int fifo_err, lock_err, rc;
	uint32_t flags;

	if (parse_cli(argc, argv, &cli))
		return 2;
	if (load_config(&cli, &cfg, &err)) {
		fprintf(stderr, "sovereign-sampler: %s\n", err.msg);
		return 1;
	}
	if (cli.discover) {
		rc = discover(&cli, &cfg);
		rt_config_free(&cfg);
		return rc;
	}
	if (opts_from(&cli, &cfg, &o, &err)) {
		fprintf(stderr, "sovereign-sampler: %s\n", err.msg);
		rt_config_free(&cfg);
		return 1;
	}
	block_signals(&ctl.sigs);

	/* mlockall(MCL_FUTURE) first, so everything opened and allocated below is locked. */
	flags = rt_setup(&o, cli.no_rt, &fifo_err, &lock_err);
	if (!(flags & SOV_SF_NO_RT)) {
		/* Back to normal while the helper threads are created: they inherit it. */
		struct sched_param sp = { .sched_priority = 0 };

		sched_setscheduler(0, SCHED_OTHER, &sp);
	}
	/* @o's strings point into @cfg: it lives until the process ends. */
	rc = sampler_create(&cfg, &o, &s, &err);
	if (rc) {
		fprintf(stderr, "sovereign-sampler: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		rt_config_free(&cfg);
		return 1;
	}
	sampler_flag(s, flags);
	say_start(s, &o, flags, fifo_err, lock_err);
	if (start_threads(&ctl, s, &cli, !(flags & SOV_SF_NO_RT), &control)) {
		sampler_destroy(s);
		rt_config_free(&cfg);
		return 1;
	}
	rc = run_loop(&ctl, s, &o, &cli, !(flags & SOV_SF_NO_RT), control);
	sampler_destroy(s);
	rt_config_free(&cfg);
	if (ctl.restart) {
		pthread_sigmask(SIG_UNBLOCK, &ctl.sigs, NULL);
		execv("/proc/self/exe", argv);
		fprintf(stderr, "sovereign-sampler: re-exec: %s\n", strerror(errno));
		return 1;
	}
	return rc ? 1 : 0;
}
