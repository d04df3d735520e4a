/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exporter_bench.c - sovereign-exporter against Prometheus's node_exporter
 * on the same simulated hwmon tree: scrape latency, scrapes/s under wrk, CPU
 * per 1000 scrapes and memory, printed as ratios from one run.  Built as
 * bench/exporter_bench/exporter_bench; README.md there says how to read it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bench_cpu.h"
#include "bench_out.h"
#include "bench_proc.h"
#include "eb_proc.h"
#include "opt.h"
#include "sovereign.h"
#include "eb_report.h"
#include "eb_scrape.h"

/* The fixture: a realistic 2-socket server (272 node_hwmon_* series). */
#define EB_SOCKETS 2u
#define EB_DIMMS   32u
#define EB_FANS    7u

#define EB_MIN_SERIES     200u
#define EB_SCRAPES        1000u   /* per server and format */
#define EB_SCRAPES_QUICK  50u
#define EB_SCRAPES_MAX    1000000u
#define EB_WARMUP         20u
#define EB_WARMUP_QUICK   5u
#define EB_SECS           10u     /* wrk run per server */
#define EB_SECS_QUICK     2u
#define EB_SECS_MAX       3600u
#define EB_IDLE_S         3.0
#define EB_IDLE_QUICK_S   0.5
#define EB_READY_MS       30000u  /* both servers must answer by then */
#define EB_SIM_ONCE_MS    60000u
#define EB_STOP_MS        3000u   /* SIGTERM grace, then SIGKILL */
#define EB_LOG_TAIL       2000L   /* bytes of each log shown on failure */
#define EB_SERVER_CPU     1       /* --pin: servers here, clients on CPU 0 */
#define EB_CLIENT_CPU     0

struct eb_opts {
	unsigned scrapes, secs, warmup;
	double idle_s;
	bool quick, pin, keep;
	const char *json, *plot, *out;
	const char *sim, *sampler, *exporter, *node, *wrk, *gnuplot;
};

/* What one run started: everything here is undone by run_teardown(). */
struct eb_run {
	char dir[64];          /* mkdtemp */
	char seg[64];          /* the sampler's segment */
	char path[8][PATH_MAX]; /* see enum eb_path */
	pid_t sim, sampler, srv[EB_SIDES_];
	int port[EB_SIDES_];
};

enum eb_path { P_TREE, P_CONF, P_SIM_LOG, P_SAMPLER_LOG, P_OURS_LOG, P_NODE_LOG, P_WRK_LOG, P_SETUP_LOG };

static const char *const path_leaf[] = { "tree", "sampler.conf", "sim.log", "sampler.log",
					 "exporter.log", "node_exporter.log", "wrk.log", "setup.log" };

static const char *const srv_name[EB_SIDES_] = { "sovereign-exporter", "node_exporter" };

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: exporter_bench [--quick] [--scrapes N] [--duration S] [--pin]\n"
		"                      [--json FILE] [--plot FILE.svg|FILE.png] [--out DIR] [--keep]\n"
		"                      [--sim PATH] [--sampler PATH] [--exporter PATH]\n"
		"                      [--node-exporter PATH] [--wrk PATH] [--gnuplot PATH]\n"
		"  --scrapes N      sequential scrapes per server and format (text, gzip); %u\n"
		"  --duration S     wrk -t2 -c8 run per server, seconds; %u\n"
		"  --quick          %u scrapes, %u s wrk runs (the ctest smoke test)\n"
		"  --pin            servers on CPU %d, clients (libcurl, wrk) on CPU %d\n"
		"  --json FILE      the results as JSON\n"
		"  --plot FILE      gnuplot figure: latency quantiles and ratio bars (.svg or .png)\n"
		"  --out DIR        write DIR/exporter_bench.{txt,json,svg}\n"
		"  --keep           keep the temporary tree and logs (path printed)\n"
		"Exit status: 0 if both servers answered with >= %u sensor series and every figure\n"
		"is positive and finite; 1 otherwise; 2 on a usage error.\n",
		EB_SCRAPES, EB_SECS, EB_SCRAPES_QUICK, EB_SECS_QUICK, EB_SERVER_CPU, EB_CLIENT_CPU,
		EB_MIN_SERIES);
}

/* @s as a decimal in [@lo, @hi] for option @name (common/opt.h); a refusal says why. */
static int parse_uint(const char *name, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	struct sov_opt_err err;
	long long v;

	if (sov_opt_int(name, s, lo, hi, &v, &err)) {
		fprintf(stderr, "exporter_bench: %s\n", err.msg);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct eb_opts *o)
{
	static const struct option lo[] = {
		{ "scrapes", required_argument, NULL, 'n' }, { "duration", required_argument, NULL, 'd' },
		{ "quick", no_argument, NULL, 'q' },          { "pin", no_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'j' },     { "plot", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },      { "keep", no_argument, NULL, 'k' },
		{ "sim", required_argument, NULL, 1 },        { "sampler", required_argument, NULL, 2 },
		{ "exporter", required_argument, NULL, 3 },   { "node-exporter", required_argument, NULL, 4 },
		{ "wrk", required_argument, NULL, 5 },        { "gnuplot", required_argument, NULL, 6 },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	bool have_n = false, have_d = false;
	int c;

	*o = (struct eb_opts){ .sim = EB_SIM, .sampler = EB_SAMPLER, .exporter = EB_EXPORTER,
			       .node = EB_NODE_EXPORTER, .wrk = EB_WRK, .gnuplot = EB_GNUPLOT };
	while ((c = getopt_long(argc, argv, "n:d:qPj:p:o:kh", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint("--scrapes", optarg, 1, EB_SCRAPES_MAX, &o->scrapes))
				goto bad;
			have_n = true;
			break;
		case 'd':
			if (parse_uint("--duration", optarg, 1, EB_SECS_MAX, &o->secs))
				goto bad;
			have_d = true;
			break;
		case 'q': o->quick = true; break;
		case 'P': o->pin = true; break;
		case 'j': o->json = optarg; break;
		case 'p': o->plot = optarg; break;
		case 'o': o->out = optarg; break;
		case 'k': o->keep = true; break;
		case 1: o->sim = optarg; break;
		case 2: o->sampler = optarg; break;
		case 3: o->exporter = optarg; break;
		case 4: o->node = optarg; break;
		case 5: o->wrk = optarg; break;
		case 6: o->gnuplot = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!have_n)
		o->scrapes = o->quick ? EB_SCRAPES_QUICK : EB_SCRAPES;
	if (!have_d)
		o->secs = o->quick ? EB_SECS_QUICK : EB_SECS;
	o->warmup = o->quick ? EB_WARMUP_QUICK : EB_WARMUP;
	o->idle_s = o->quick ? EB_IDLE_QUICK_S : EB_IDLE_S;
	if (o->pin && sysconf(_SC_NPROCESSORS_ONLN) <= EB_SERVER_CPU) {
		fprintf(stderr, "exporter_bench: --pin needs at least %d CPUs\n", EB_SERVER_CPU + 1);
		return -EINVAL;
	}
	return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

/* --- the stack: sim, sampler, our exporter, node_exporter --- */

static void show_log_tail(const char *path)
{
	char buf[EB_LOG_TAIL + 1];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (fseek(f, -EB_LOG_TAIL, SEEK_END) != 0)
		rewind(f);
	n = fread(buf, 1, EB_LOG_TAIL, f);
	fclose(f);
	buf[n] = '\0';
	if (n)
		fprintf(stderr, "--- %s (tail) ---\n%s%s", path, buf, buf[n - 1] == '\n' ? "" : "\n");
}

static void show_logs(const struct eb_run *run)
{
	for (int i = P_SIM_LOG; i <= P_SETUP_LOG; i++)
		show_log_tail(run->path[i]);
}

/* Stop every child (servers first, the sim last), drop the segment and the tree. */
static void run_teardown(struct eb_run *run, bool keep)
{
	for (int s = 0; s < EB_SIDES_; s++)
		bench_stop(run->srv[s], EB_STOP_MS);
	bench_stop(run->sampler, EB_STOP_MS);
	bench_stop(run->sim, EB_STOP_MS);
	run->srv[EB_OURS] = run->srv[EB_NODE] = run->sampler = run->sim = 0;
	if (run->seg[0])
		sov_shm_unlink(run->seg); /* the sampler leaves it for readers to see "stopped" */
	if (!run->dir[0])
		return;
	if (keep)
		fprintf(stderr, "exporter_bench: kept %s\n", run->dir);
	else
		bench_rmtree(run->dir);
}

/* Run @argv to completion within @ms.  Return: 0 if it exited 0, else -1. */
static int run_once(char *const argv[], const char *out, const char *err, unsigned ms)
{
	int st = 0, e = bench_run(argv, -1, out, err, ms, &st);

	if (e == -ETIMEDOUT)
		fprintf(stderr, "exporter_bench: %s did not finish in %u ms\n", argv[0], ms);
	else if (e == -ECHILD)
		fprintf(stderr, "exporter_bench: %s failed (wait status %#x)\n", argv[0], st);
	return e < 0 ? -1 : 0;
}

static int run_setup(struct eb_run *run, const struct eb_opts *o)
{
	char sockets[8], dimms[8], fans[8], listen[2][64], sysfs[PATH_MAX + 16], procfs[PATH_MAX + 16];
	char *tree = run->path[P_TREE];
	int srv_cpu = o->pin ? EB_SERVER_CPU : -1;

	snprintf(run->dir, sizeof(run->dir), "/tmp/sov-eb-XXXXXX");
	if (!mkdtemp(run->dir)) {
		fprintf(stderr, "exporter_bench: mkdtemp: %s\n", strerror(errno));
		run->dir[0] = '\0';
		return -1;
	}
	for (int i = 0; i <= P_SETUP_LOG; i++)
		snprintf(run->path[i], sizeof(run->path[i]), "%s/%s", run->dir, path_leaf[i]);
	snprintf(run->seg, sizeof(run->seg), "/sov-eb-%ld", (long)getpid());
	snprintf(sockets, sizeof(sockets), "%u", EB_SOCKETS);
	snprintf(dimms, sizeof(dimms), "%u", EB_DIMMS);
	snprintf(fans, sizeof(fans), "%u", EB_FANS);

	/* Build the whole tree first (a sampler probing a half-made one would
	 * restart when it grows), then print its config and keep it alive. */
	char *once[] = { (char *)o->sim, "--root", tree, "--sockets", sockets, "--dimms", dimms,
			 "--fans", fans, "--once", "--quiet", NULL };
	if (run_once(once, run->path[P_SETUP_LOG], run->path[P_SETUP_LOG], EB_SIM_ONCE_MS))
		return -1;
	char *pcfg[] = { (char *)o->sim, "--root", tree, "--sockets", sockets, "--dimms", dimms,
			 "--fans", fans, "--print-config", NULL };
	if (run_once(pcfg, run->path[P_CONF], run->path[P_SETUP_LOG], EB_SIM_ONCE_MS))
		return -1;
	char *sim[] = { (char *)o->sim, "--root", tree, "--sockets", sockets, "--dimms", dimms,
			"--fans", fans, "--quiet", NULL };
	run->sim = bench_spawn(sim, -1, run->path[P_SIM_LOG], run->path[P_SIM_LOG]);
	/* --no-rt: no SCHED_FIFO on a shared machine; it still pins itself to
	 * the config's housekeeping CPU 0. */
	char *smp[] = { (char *)o->sampler, "-c", run->path[P_CONF], "--segment", run->seg,
			"--no-rt", NULL };
	run->sampler = bench_spawn(smp, -1, run->path[P_SAMPLER_LOG], run->path[P_SAMPLER_LOG]);
	for (int s = 0; s < EB_SIDES_; s++) {
		run->port[s] = bench_free_port();
		if (run->port[s] < 0) {
			fprintf(stderr, "exporter_bench: no free port: %s\n", strerror(-run->port[s]));
			return -1;
		}
	}
	snprintf(listen[EB_OURS], sizeof(listen[0]), "127.0.0.1:%d", run->port[EB_OURS]);
	snprintf(listen[EB_NODE], sizeof(listen[0]), "--web.listen-address=127.0.0.1:%d",
		 run->port[EB_NODE]);
	/* Only the sampler's segment: the fan controller and watchdog do not run. */
	char *ours[] = { (char *)o->exporter, "--segment", run->seg, "--listen", listen[EB_OURS],
			 "--fan-segment", "", "--watchdog-segment", "", NULL };
	run->srv[EB_OURS] = bench_spawn(ours, srv_cpu, run->path[P_OURS_LOG], run->path[P_OURS_LOG]);
	snprintf(sysfs, sizeof(sysfs), "--path.sysfs=%s/sys", tree);
	snprintf(procfs, sizeof(procfs), "--path.procfs=%s/proc", tree);
	char *node[] = { (char *)o->node, sysfs, procfs, "--collector.disable-defaults",
			 "--collector.hwmon", listen[EB_NODE], NULL };
	run->srv[EB_NODE] = bench_spawn(node, srv_cpu, run->path[P_NODE_LOG], run->path[P_NODE_LOG]);
	if (run->sim < 0 || run->sampler < 0 || run->srv[EB_OURS] < 0 || run->srv[EB_NODE] < 0) {
		fprintf(stderr, "exporter_bench: fork failed\n");
		return -1;
	}
	return 0;
}

/* Is every child still running?  Names the first that is not. */
static bool run_alive(const struct eb_run *run)
{
	const pid_t pids[] = { run->sim, run->sampler, run->srv[EB_OURS], run->srv[EB_NODE] };
	const char *const names[] = { "sovereign-sim", "sovereign-sampler", srv_name[0], srv_name[1] };

	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		int st = 0;

		if (bench_alive(pids[i], &st) != 1) {
			fprintf(stderr, "exporter_bench: %s exited (wait status %#x)\n", names[i], st);
			return false;
		}
	}
	return true;
}

/* Has server @s's body in @p what a ready server serves? */
static bool serves(int s, const struct eb_peer *p)
{
	if (!p->body)
		return false;
	if (s == EB_OURS)
		return strstr(p->body, "\nsovereign_up 1\n") != NULL;
	return strstr(p->body, "\nnode_hwmon_temp_celsius{") != NULL;
}

/*
 * Wait until both servers serve live data, then count their series and check
 * they serve the text format.
 */
static int wait_ready(struct eb_run *run, struct eb_results *r)
{
	uint64_t end = bench_now_ns() + (uint64_t)EB_READY_MS * 1000000u;
	struct eb_peer p[EB_SIDES_];
	bool ready[EB_SIDES_] = { false, false };
	int ret = -1;

	for (int s = 0; s < EB_SIDES_; s++)
		if (eb_peer_init(&p[s], run->port[s], false)) {
			fprintf(stderr, "exporter_bench: libcurl: out of memory\n");
			goto out;
		}
	while (!(ready[EB_OURS] && ready[EB_NODE])) {
		struct timespec poll = { 0, 100000000L };

		if (g_stop || !run_alive(run))
			goto out;
		if (bench_now_ns() > end) {
			for (int s = 0; s < EB_SIDES_; s++)
				if (!ready[s])
					fprintf(stderr, "exporter_bench: %s did not answer with live data "
						"within %u ms (%s)\n", srv_name[s], EB_READY_MS, p[s].err);
			goto out;
		}
		for (int s = 0; s < EB_SIDES_; s++) {
			uint64_t ns, wire;

			if (!ready[s] && eb_scrape(&p[s], true, &ns, &wire) == 0 && serves(s, &p[s]))
				ready[s] = true;
		}
		nanosleep(&poll, NULL);
	}
	/* The first samples lack the slow channels (the I2C DIMM sensors come
	 * from the sampler's worker a cycle or more later): count once the
	 * series stop growing, two scrapes 500 ms apart. */
	for (size_t last = 0;;) {
		struct timespec settle = { 0, 500000000L };
		size_t total, sensor;
		uint64_t ns, wire;

		nanosleep(&settle, NULL);
		if (g_stop || !run_alive(run) || eb_scrape(&p[EB_OURS], true, &ns, &wire) ||
		    !serves(EB_OURS, &p[EB_OURS]))
			goto out;
		eb_count_series(p[EB_OURS].body, p[EB_OURS].len, "sovereign_", "sensor=\"", &total,
				&sensor);
		if (sensor == last || bench_now_ns() > end)
			break;
		last = sensor;
	}
	for (int s = 0; s < EB_SIDES_; s++) {
		const char *ct = eb_content_type(&p[s]);

		if (strncmp(ct, "text/plain", 10) != 0) {
			fprintf(stderr, "exporter_bench: %s answers Content-Type '%s', not text/plain\n",
				srv_name[s], ct);
			goto out;
		}
		r->s[s].body_bytes = p[s].len;
	}
	eb_count_series(p[EB_OURS].body, p[EB_OURS].len, "sovereign_", "sensor=\"",
			&r->s[EB_OURS].series_total, &r->s[EB_OURS].series_sensor);
	eb_count_series(p[EB_NODE].body, p[EB_NODE].len, "node_hwmon_", NULL,
			&r->s[EB_NODE].series_total, &r->s[EB_NODE].series_sensor);
	const char *v = strstr(p[EB_NODE].body, "node_exporter_build_info{");
	v = v ? strstr(v, ",version=\"") : NULL; /* not goversion= */
	if (v && sscanf(v, ",version=\"%31[^\"]", r->node_version) == 1)
		;
	else
		snprintf(r->node_version, sizeof(r->node_version), "(version unknown)");
	ret = 0;
out:
	for (int s = 0; s < EB_SIDES_; s++)
		eb_peer_free(&p[s]);
	return ret;
}

/* --- measurements --- */

/* CPU ns of the two servers [0, 1] and the sampler [2]. */
static int cpu_snap(const struct eb_run *run, uint64_t ns[3])
{
	int e;

	if ((e = bench_cpu_ns(run->srv[EB_OURS], &ns[0])) ||
	    (e = bench_cpu_ns(run->srv[EB_NODE], &ns[1])) || (e = bench_cpu_ns(run->sampler, &ns[2]))) {
		fprintf(stderr, "exporter_bench: reading /proc/PID/task/*/schedstat: %s\n", strerror(-e));
		return -1;
	}
	return 0;
}

static double delta_s(uint64_t a, uint64_t b)
{
	return b > a ? (double)(b - a) / 1e9 : 0.0;
}

static int measure_idle(const struct eb_run *run, const struct eb_opts *o, struct eb_results *r)
{
	struct timespec ts = { (time_t)o->idle_s, (long)((o->idle_s - (time_t)o->idle_s) * 1e9) };
	uint64_t a[3], b[3];

	if (cpu_snap(run, a))
		return -1;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !g_stop)
		;
	if (g_stop || cpu_snap(run, b))
		return -1;
	r->s[EB_OURS].idle_cpu_s = delta_s(a[0], b[0]);
	r->s[EB_NODE].idle_cpu_s = delta_s(a[1], b[1]);
	r->sampler_idle_cpu_s = delta_s(a[2], b[2]);
	r->idle_secs = o->idle_s;
	return 0;
}

/*
 * Sequential scrapes in @mode: warm-up, then o->scrapes per server, the two
 * servers alternating scrape by scrape (and which goes first alternating
 * too) so that drift and background noise hit both.
 */
static int measure_latency(const struct eb_run *run, const struct eb_opts *o, enum eb_mode mode,
			   struct eb_results *r)
{
	struct eb_peer p[EB_SIDES_];
	double wire[EB_SIDES_] = { 0, 0 };
	uint64_t a[3], b[3];
	int ret = -1;

	for (int s = 0; s < EB_SIDES_; s++) {
		r->s[s].lat[mode].us = calloc(o->scrapes, sizeof(double));
		if (eb_peer_init(&p[s], run->port[s], mode == EB_GZIP) || !r->s[s].lat[mode].us) {
			fprintf(stderr, "exporter_bench: out of memory\n");
			for (int t = 0; t <= s; t++)
				eb_peer_free(&p[t]);
			return -1;
		}
	}
	for (unsigned i = 0; i < o->warmup + o->scrapes; i++) {
		bool measured = i >= o->warmup;

		if (i == o->warmup && cpu_snap(run, a))
			goto out;
		for (int k = 0; k < EB_SIDES_; k++) {
			int s = (int)((i + (unsigned)k) % EB_SIDES_);
			uint64_t ns, w;

			if (g_stop)
				goto out;
			if (eb_scrape(&p[s], false, &ns, &w)) {
				fprintf(stderr, "exporter_bench: scrape of %s failed: %s\n", srv_name[s],
					p[s].err);
				goto out;
			}
			if (measured) {
				r->s[s].lat[mode].us[i - o->warmup] = (double)ns / 1e3;
				wire[s] += (double)w;
			}
		}
	}
	if (cpu_snap(run, b))
		goto out;
	for (int s = 0; s < EB_SIDES_; s++) {
		struct eb_lat *l = &r->s[s].lat[mode];

		l->n = o->scrapes;
		eb_summarise(l);
		l->wire_bytes = wire[s] / o->scrapes;
		l->cpu_s = delta_s(a[s], b[s]);
	}
	/* The interval is shared; the sampler's time is charged to ours alone. */
	r->s[EB_OURS].lat[mode].sampler_cpu_s = delta_s(a[2], b[2]);
	ret = 0;
out:
	for (int s = 0; s < EB_SIDES_; s++)
		eb_peer_free(&p[s]);
	return ret;
}

/* wrk against each server in turn, ours first, each for o->secs. */
static int measure_wrk(const struct eb_run *run, const struct eb_opts *o, struct eb_results *r)
{
	for (int s = 0; s < EB_SIDES_; s++) {
		struct eb_server *x = &r->s[s];
		struct eb_wrk w;
		uint64_t a[3], b[3];
		int e;

		if (cpu_snap(run, a))
			return -1;
		e = eb_wrk_run(o->wrk, run->port[s], o->secs, o->pin ? EB_CLIENT_CPU : -1,
			       run->path[P_WRK_LOG], &g_stop, &w);
		if (e) {
			fprintf(stderr, "exporter_bench: wrk against %s: %s\n", srv_name[s], strerror(-e));
			show_log_tail(run->path[P_WRK_LOG]);
			return -1;
		}
		if (cpu_snap(run, b))
			return -1;
		if (w.non2xx || w.requests == 0) {
			fprintf(stderr, "exporter_bench: wrk against %s: %" PRIu64 " requests, %" PRIu64
				" not 2xx\n", srv_name[s], w.requests, w.non2xx);
			return -1;
		}
		if (w.sock_errors)
			fprintf(stderr, "exporter_bench: note: wrk against %s: %" PRIu64 " socket errors\n",
				srv_name[s], w.sock_errors);
		x->wrk_rps = w.rps;
		x->wrk_requests = w.requests;
		x->wrk_secs = w.secs;
		x->wrk_p50_us = w.p50_us;
		x->wrk_p99_us = w.p99_us;
		x->wrk_cpu_s = delta_s(a[s], b[s]);
		x->wrk_sampler_cpu_s = delta_s(a[2], b[2]);
	}
	return 0;
}

static int measure_mem(const struct eb_run *run, struct eb_results *r)
{
	int e;

	for (int s = 0; s < EB_SIDES_; s++)
		if ((e = eb_mem_kb(run->srv[s], &r->s[s].rss_kb, &r->s[s].hwm_kb))) {
			fprintf(stderr, "exporter_bench: /proc/%ld/status: %s\n", (long)run->srv[s],
				strerror(-e));
			return -1;
		}
	if ((e = eb_mem_kb(run->sampler, &r->sampler_rss_kb, &r->sampler_hwm_kb))) {
		fprintf(stderr, "exporter_bench: sampler /proc status: %s\n", strerror(-e));
		return -1;
	}
	return 0;
}

/* --- outputs --- */

static int write_table(const struct eb_results *r, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	eb_print_table(r, f);
	return fclose(f) ? -errno : 0;
}

static int write_outputs(const struct eb_results *r, const struct eb_opts *o, const char *workdir)
{
	char p[PATH_MAX];
	int e, ret = 0;

	if (o->json && (e = eb_write_json(r, o->json))) {
		fprintf(stderr, "exporter_bench: writing %s: %s\n", o->json, strerror(-e));
		ret = -1;
	}
	if (o->plot && (e = eb_write_plot(r, o->plot, workdir, o->gnuplot))) {
		fprintf(stderr, "exporter_bench: plotting %s: %s\n", o->plot, strerror(-e));
		ret = -1;
	}
	if (!o->out)
		return ret;
	if (mkdir(o->out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "exporter_bench: mkdir %s: %s\n", o->out, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/exporter_bench.txt", o->out);
	if ((e = write_table(r, p))) {
		fprintf(stderr, "exporter_bench: writing %s: %s\n", p, strerror(-e));
		ret = -1;
	}
	snprintf(p, sizeof(p), "%s/exporter_bench.json", o->out);
	if ((e = eb_write_json(r, p))) {
		fprintf(stderr, "exporter_bench: writing %s: %s\n", p, strerror(-e));
		ret = -1;
	}
	snprintf(p, sizeof(p), "%s/exporter_bench.svg", o->out);
	if ((e = eb_write_plot(r, p, workdir, o->gnuplot))) {
		fprintf(stderr, "exporter_bench: plotting %s: %s (log %s/gnuplot.log)\n", p,
			strerror(-e), workdir);
		ret = -1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: waits return EINTR */
	struct eb_results r = { .sockets = EB_SOCKETS, .dimms = EB_DIMMS, .fans = EB_FANS };
	struct eb_run run = { .sim = 0 };
	struct eb_opts o;
	bool ok = false;

	if (parse_opts(argc, argv, &o))
		return 2;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "exporter_bench: curl_global_init failed\n");
		return 1;
	}
	r.scrapes = o.scrapes;
	r.wrk_secs = o.secs;
	r.pinned = o.pin;
	r.ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (run_setup(&run, &o) || wait_ready(&run, &r))
		goto fail;
	fprintf(stderr, "exporter_bench: both answer: ours %zu sensor series (%zu in all) on :%d, "
		"node_exporter %zu node_hwmon_* (%zu in all) on :%d\n",
		r.s[EB_OURS].series_sensor, r.s[EB_OURS].series_total, run.port[EB_OURS],
		r.s[EB_NODE].series_sensor, r.s[EB_NODE].series_total, run.port[EB_NODE]);
	if (o.pin && bench_pin_self(EB_CLIENT_CPU)) {
		fprintf(stderr, "exporter_bench: pinning to CPU %d: %s\n", EB_CLIENT_CPU, strerror(errno));
		goto fail;
	}
	if (measure_idle(&run, &o, &r))
		goto fail;
	for (int m = 0; m < EB_MODES_; m++) {
		fprintf(stderr, "exporter_bench: %u sequential %s scrapes of each...\n", o.scrapes,
			m == EB_GZIP ? "gzip" : "text");
		if (measure_latency(&run, &o, (enum eb_mode)m, &r))
			goto fail;
	}
	fprintf(stderr, "exporter_bench: wrk -t2 -c8 -d%us against each...\n", o.secs);
	if (measure_wrk(&run, &o, &r) || measure_mem(&run, &r) || !run_alive(&run))
		goto fail;

	/* Stop the servers before plotting: gnuplot should not share the CPUs. */
	for (int s = 0; s < EB_SIDES_; s++) {
		bench_stop(run.srv[s], EB_STOP_MS);
		run.srv[s] = 0;
	}
	eb_print_table(&r, stdout);
	fflush(stdout);
	ok = eb_check(&r, EB_MIN_SERIES, stderr);
	if (write_outputs(&r, &o, run.dir))
		ok = false;
	run_teardown(&run, o.keep);
	eb_results_free(&r);
	curl_global_cleanup();
	return ok ? 0 : 1;

fail:
	if (g_stop)
		fprintf(stderr, "exporter_bench: interrupted\n");
	else
		show_logs(&run);
	run_teardown(&run, o.keep);
	eb_results_free(&r);
	curl_global_cleanup();
	return 1;
}
