/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - smi_jitter: how much of a busy core the Sovereign stack steals.
 * Options, the A/B schedule (baseline vs sampler + scraped exporter, runs
 * alternating so drift cancels), one run (children, counters, measuring
 * threads), and the outputs.  Measuring loop: measure.c; reports: report.c.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_out.h"
#include "bench_proc.h"
#include "opt.h"
#include "report.h"
#include "scrape.h"
#include "shm_reader.h"
#include "shm_writer.h"
#include "stack.h"

#ifndef SOV_SAMPLER_BIN
#define SOV_SAMPLER_BIN ""
#endif
#ifndef SOV_EXPORTER_BIN
#define SOV_EXPORTER_BIN ""
#endif
#ifndef SOV_SIM_BIN
#define SOV_SIM_BIN ""
#endif

#define READY_TIMEOUT_MS 10000  /* sampler + exporter must serve fresh data by then */
#define STOP_TIMEOUT_MS 3000    /* then SIGKILL */
#define CALIBRATE_MS 250

static atomic_bool stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, true);
}

struct opts {
	enum { RUN_AB, RUN_BASELINE, RUN_LOADED } mode;
	int pairs, runs, hk_cpu, ncpus, fifo;
	int cpus[CPU_SETSIZE];
	double duration_s, rate_hz, scrape_hz, threshold_ns, bar_pct, settle_s;
	size_t max_gaps;
	const char *root, *sampler_config, *json, *plot, *out_dir;
	const char *sampler_bin, *exporter_bin, *sim_bin;
	bool json_gaps, ipi_trace, quiet;
};

/* The running benchmark: options, results and the children of the current run. */
struct ctx {
	struct opts o;
	struct jit_bench b;
	struct jit_core_run *core;      /* [ncpus], reused across runs */
	struct smi_src *smi;            /* [ncpus] */
	struct ipitrace ipi;
	char tmp[64];                   /* our scratch directory */
	char base_conf[PATH_MAX], conf[PATH_MAX], log[PATH_MAX];
	char segment[64];
	pid_t sim, sampler, exporter;
	int port;
	uint64_t t0_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: smi_jitter [options]\n"
"Measures the time stolen from busy cores (TSC gaps) with nothing running (A)\n"
"and with sovereign-sampler + a scraped sovereign-exporter running (B), in\n"
"alternating runs, and the overhead B - A with a 95 %% confidence interval.\n"
"  --mode ab|baseline|loaded  ab: A,B,A,B...; or one mode only; ab\n"
"  --pairs N            A/B pairs; 10\n"
"  --runs N             runs in --mode baseline|loaded; --pairs\n"
"  --duration S         seconds per run; 5\n"
"  --rate HZ            sampler rate in B (period_ms = 1000/HZ), 1..1000; 10\n"
"  --scrape HZ          exporter scrape rate in B, 0 = no exporter; 1\n"
"  --cpus LIST          cores to measure (e.g. 1,3-5); all but --housekeeping\n"
"  --housekeeping N     core of the sampler, exporter, scraper and this tool; 0\n"
"  --threshold-ns N     a gap is longer than this; 1000\n"
"  --fifo PRIO          measuring loops SCHED_FIFO PRIO (1..99): only SMIs, IRQs\n"
"                       and higher RT work can stall them; 0 = SCHED_OTHER; 0\n"
"  --bar PCT            the overhead bar for PASS/FAIL; 0.5\n"
"  --settle S           wait after the stack serves, before measuring; 0.5\n"
"  --sampler-config F   base sampler config (a real machine); its period and\n"
"                       cpu are overridden.  Default: a sovereign-sim's\n"
"                       --print-config (the sim of --root, else one we start)\n"
"  --root DIR           a running sovereign-sim's tree: SMI count from its\n"
"                       dev/cpu/N/msr, base config from its --print-config\n"
"  --json FILE          results as JSON;  --json-gaps: with every kept gap\n"
"  --plot FILE          .svg or .png (gnuplot)\n"
"  --out DIR            DIR/smi_jitter.{txt,json,svg}\n"
"  --max-gaps N         gaps kept per core and run (list for JSON); 100000\n"
"  --no-ipi-trace       do not attribute IPIs with tracefs\n"
"  --sampler-bin P, --exporter-bin P, --sim-bin P   the programs (default: build\n"
"                       tree if present, else PATH)\n"
"  --quiet              no progress lines\n"
"Exit: 0 done (PASS or FAIL is in the output), 1 error, 2 usage.\n");
}

static int parse_num(const char *name, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "smi_jitter: %s: '%s' is not a number in [%g, %g]\n", name, s,
			lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* @s as a decimal in [@lo, @hi] for option @name (common/opt.h); a refusal says why. */
static int parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
	struct sov_opt_err err;
	long long v;

	if (sov_opt_int(name, s, lo, hi, &v, &err)) {
		fprintf(stderr, "smi_jitter: %s\n", err.msg);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* "1,3-5" into @o->cpus. */
static int parse_cpus(const char *s, struct opts *o)
{
	o->ncpus = 0;
	while (*s) {
		char *end;
		long a, b;

		errno = 0;
		a = strtol(s, &end, 10);
		b = a;
		if (end == s || errno)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || errno)
				goto bad;
		}
		if (a < 0 || b < a || b >= CPU_SETSIZE)
			goto bad;
		for (long c = a; c <= b; c++)
			o->cpus[o->ncpus++] = (int)c;
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		s = end;
	}
	if (o->ncpus)
		return 0;
bad:
	fprintf(stderr, "smi_jitter: --cpus: '%s' is not a CPU list such as 1,3-5\n", s);
	return -EINVAL;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_MODE = 256, O_PAIRS, O_RUNS, O_DUR, O_RATE, O_SCRAPE, O_CPUS, O_HK, O_THR,
	       O_BAR, O_SETTLE, O_SCONF, O_ROOT, O_JSON, O_JGAPS, O_PLOT, O_OUT, O_MAXG,
	       O_NOIPI, O_SBIN, O_EBIN, O_SIMBIN, O_QUIET, O_HELP, O_FIFO };
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "pairs", required_argument, NULL, O_PAIRS },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "duration", required_argument, NULL, O_DUR },
		{ "rate", required_argument, NULL, O_RATE },
		{ "scrape", required_argument, NULL, O_SCRAPE },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "housekeeping", required_argument, NULL, O_HK },
		{ "threshold-ns", required_argument, NULL, O_THR },
		{ "bar", required_argument, NULL, O_BAR },
		{ "settle", required_argument, NULL, O_SETTLE },
		{ "sampler-config", required_argument, NULL, O_SCONF },
		{ "root", required_argument, NULL, O_ROOT },
		{ "json", required_argument, NULL, O_JSON },
		{ "json-gaps", no_argument, NULL, O_JGAPS },
		{ "plot", required_argument, NULL, O_PLOT },
		{ "out", required_argument, NULL, O_OUT },
		{ "max-gaps", required_argument, NULL, O_MAXG },
		{ "no-ipi-trace", no_argument, NULL, O_NOIPI },
		{ "sampler-bin", required_argument, NULL, O_SBIN },
		{ "exporter-bin", required_argument, NULL, O_EBIN },
		{ "sim-bin", required_argument, NULL, O_SIMBIN },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "fifo", required_argument, NULL, O_FIFO },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret = 0, maxg = 100000;

	memset(o, 0, sizeof(*o));
	o->mode = RUN_AB;
	o->pairs = 10;
	o->duration_s = 5.0;
	o->rate_hz = 10.0;
	o->scrape_hz = 1.0;
	o->threshold_ns = 1000.0;
	o->bar_pct = 0.5;
	o->settle_s = 0.5;
	o->ipi_trace = true;
	o->sampler_bin = bench_find_bin(SOV_SAMPLER_BIN, "sovereign-sampler");
	o->exporter_bin = bench_find_bin(SOV_EXPORTER_BIN, "sovereign-exporter");
	o->sim_bin = bench_find_bin(SOV_SIM_BIN, "sovereign-sim");
	while (ret == 0 && (c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			if (!strcmp(optarg, "ab"))
				o->mode = RUN_AB;
			else if (!strcmp(optarg, "baseline"))
				o->mode = RUN_BASELINE;
			else if (!strcmp(optarg, "loaded"))
				o->mode = RUN_LOADED;
			else {
				fprintf(stderr, "smi_jitter: --mode: ab, baseline or loaded\n");
				ret = -EINVAL;
			}
			break;
		case O_PAIRS: ret = parse_int("--pairs", optarg, 1, 10000, &o->pairs); break;
		case O_RUNS: ret = parse_int("--runs", optarg, 1, 10000, &o->runs); break;
		case O_DUR: ret = parse_num("--duration", optarg, 0.05, 3600, &o->duration_s); break;
		case O_RATE: ret = parse_num("--rate", optarg, 0.001, 1000, &o->rate_hz); break;
		case O_SCRAPE: ret = parse_num("--scrape", optarg, 0, 1000, &o->scrape_hz); break;
		case O_CPUS: ret = parse_cpus(optarg, o); break;
		case O_HK:
			ret = parse_int("--housekeeping", optarg, 0, CPU_SETSIZE - 1, &o->hk_cpu);
			break;
		case O_THR:
			ret = parse_num("--threshold-ns", optarg, 10, 1e9, &o->threshold_ns);
			break;
		case O_BAR: ret = parse_num("--bar", optarg, 0, 100, &o->bar_pct); break;
		case O_SETTLE: ret = parse_num("--settle", optarg, 0, 60, &o->settle_s); break;
		case O_SCONF: o->sampler_config = optarg; break;
		case O_ROOT: o->root = optarg; break;
		case O_JSON: o->json = optarg; break;
		case O_JGAPS: o->json_gaps = true; break;
		case O_PLOT: o->plot = optarg; break;
		case O_OUT: o->out_dir = optarg; break;
		case O_MAXG: ret = parse_int("--max-gaps", optarg, 0, 100000000, &maxg); break;
		case O_NOIPI: o->ipi_trace = false; break;
		case O_SBIN: o->sampler_bin = optarg; break;
		case O_EBIN: o->exporter_bin = optarg; break;
		case O_SIMBIN: o->sim_bin = optarg; break;
		case O_QUIET: o->quiet = true; break;
		case O_FIFO: ret = parse_int("--fifo", optarg, 0, 99, &o->fifo); break;
		case O_HELP: usage(stdout); exit(0);
		default: ret = -EINVAL;
		}
	}
	o->max_gaps = (size_t)maxg;
	if (ret == 0 && optind < argc) {
		fprintf(stderr, "smi_jitter: unexpected argument '%s'\n", argv[optind]);
		ret = -EINVAL;
	}
	if (ret == 0 && !o->runs)
		o->runs = o->pairs;
	if (ret == 0 && !o->ncpus) {
		/* Every online core but the housekeeping one. */
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (int i = 0; i < n && i < CPU_SETSIZE; i++)
			if (i != o->hk_cpu)
				o->cpus[o->ncpus++] = i;
		if (!o->ncpus) {
			fprintf(stderr, "smi_jitter: one CPU only: nothing to measure beside the "
				"housekeeping core\n");
			ret = -EINVAL;
		}
	}
	for (int i = 0; ret == 0 && i < o->ncpus; i++) {
		if (o->cpus[i] == o->hk_cpu) {
			fprintf(stderr, "smi_jitter: --cpus includes the housekeeping core %d\n",
				o->hk_cpu);
			ret = -EINVAL;
		}
	}
	if (ret < 0)
		usage(stderr);
	return ret;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !atomic_load(&stop_flag))
		;
}

static void note(const struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->o.quiet)
		return;
	va_start(ap, fmt);
	fputs("smi_jitter: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The base sampler config: the user's, or a sim's --print-config. */
static int prepare_stack(struct ctx *x)
{
	const struct opts *o = &x->o;
	char tree[PATH_MAX];
	int ret;

	if (o->sampler_config) {
		if (!realpath(o->sampler_config, x->base_conf)) {
			ret = -errno;
			fprintf(stderr, "smi_jitter: %s: %s\n", o->sampler_config, strerror(-ret));
			return ret;
		}
	} else {
		snprintf(x->base_conf, sizeof(x->base_conf), "%s/base.conf", x->tmp);
		if (o->root) {
			snprintf(tree, sizeof(tree), "%s", o->root);
		} else {
			/* Our own simulated server, for the sampler to read. */
			char *once[] = { (char *)o->sim_bin, "--root", tree, "--once", "--quiet",
					 NULL };
			char *run[] = { (char *)o->sim_bin, "--root", tree, "--quiet", NULL };

			snprintf(tree, sizeof(tree), "%s/tree", x->tmp);
			ret = bench_run(once, x->o.hk_cpu, NULL, x->log, 0, NULL);
			if (ret < 0) {
				fprintf(stderr, "smi_jitter: %s --root %s --once failed; see %s\n",
					o->sim_bin, tree, x->log);
				return ret;
			}
			x->sim = bench_spawn(run, x->o.hk_cpu, NULL, x->log);
			if (x->sim < 0)
				return x->sim;
			note(x, "started %s --root %s (pid %d)", o->sim_bin, tree, (int)x->sim);
		}
		{
			char *pc[] = { (char *)o->sim_bin, "--root", tree, "--print-config", NULL };

			ret = bench_run(pc, x->o.hk_cpu, x->base_conf, x->log, 0, NULL);
			if (ret < 0) {
				fprintf(stderr, "smi_jitter: %s --print-config failed; see %s\n",
					o->sim_bin, x->log);
				return ret;
			}
		}
	}
	snprintf(x->b.sampler_config, sizeof(x->b.sampler_config), "%s", x->base_conf);
	snprintf(x->conf, sizeof(x->conf), "%s/sampler.conf", x->tmp);
	ret = stack_write_config(x->base_conf, (unsigned)lround(1000.0 / o->rate_hz < 1 ? 1 :
								 1000.0 / o->rate_hz),
				 o->hk_cpu, x->conf);
	if (ret < 0)
		fprintf(stderr, "smi_jitter: %s: %s\n", x->conf, strerror(-ret));
	return ret;
}

static void stop_children(struct ctx *x)
{
	if (x->exporter > 0)
		bench_stop(x->exporter, STOP_TIMEOUT_MS);
	if (x->sampler > 0) {
		bench_stop(x->sampler, STOP_TIMEOUT_MS);
		/* The sampler leaves its segment for readers to see "stopped". */
		sov_shm_unlink(x->segment);
	}
	x->exporter = x->sampler = 0;
}

/* Start sampler (+ exporter) and wait until they serve fresh data. */
static int start_loaded(struct ctx *x)
{
	char *sargv[] = { (char *)x->o.sampler_bin, "-c", x->conf, "--segment", x->segment, NULL };
	char listen[64], url[96], body[256], shm[PATH_MAX];
	uint64_t deadline;
	int st;

	x->sampler = bench_spawn(sargv, x->o.hk_cpu, NULL, x->log);
	if (x->sampler < 0)
		return x->sampler;
	if (x->o.scrape_hz > 0) {
		char *eargv[] = { (char *)x->o.exporter_bin, "--segment", x->segment,
				  "--fan-segment", "", "--watchdog-segment", "", "--listen",
				  listen, NULL };

		x->port = bench_free_port();
		if (x->port < 0)
			return x->port;
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", x->port);
		x->exporter = bench_spawn(eargv, x->o.hk_cpu, NULL, x->log);
		if (x->exporter < 0)
			return x->exporter;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", x->port);
	st = sov_shm_path(x->segment, shm, sizeof(shm));
	if (st)
		return st;
	deadline = bench_now_ns() + READY_TIMEOUT_MS * 1000000ull;
	for (;;) {
		if (bench_alive(x->sampler, &st) == 0) {
			x->sampler = 0;
			fprintf(stderr, "smi_jitter: the sampler exited (%s %d); see %s\n",
				WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), x->log);
			return -ECHILD;
		}
		if (x->exporter && bench_alive(x->exporter, &st) == 0) {
			x->exporter = 0;
			fprintf(stderr, "smi_jitter: the exporter exited (%s %d); see %s\n",
				WIFEXITED(st) ? "status" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), x->log);
			return -ECHILD;
		}
		if (x->exporter) {
			/* "ok" alone: serving, and the sampler's data is fresh. */
			if (scrape_get(url, body, sizeof(body)) == 200 && !strncmp(body, "ok", 2) &&
			    (body[2] == '\0' || body[2] == '\n'))
				break;
		} else if (access(shm, F_OK) == 0) {
			break;
		}
		if (bench_now_ns() > deadline || atomic_load(&stop_flag)) {
			fprintf(stderr, "smi_jitter: sampler%s not ready after %d ms; see %s\n",
				x->exporter ? "/exporter" : "", READY_TIMEOUT_MS, x->log);
			return -ETIMEDOUT;
		}
		sleep_s(0.05);
	}
	sleep_s(x->o.settle_s);
	return 0;
}

/* Copy one core's raw result into the run's cell. */
static int fill_cell(struct ctx *x, struct jit_cell *cl, const struct jit_core_run *r)
{
	const struct tsc_info *ti = &x->b.tsc;

	cl->cpu = r->cpu;
	cl->dur_ns = tsc_to_ns(ti, r->end_tsc - r->start_tsc);
	cl->stolen_ns = tsc_to_ns(ti, r->stolen);
	cl->max_ns = tsc_to_ns(ti, r->max);
	cl->count = r->count;
	cl->loops = r->loops;
	cl->sched_valid = r->sched_valid;
	cl->nivcsw = r->nivcsw;
	cl->run_delay_ns = (double)r->run_delay_ns;
	memcpy(cl->hist, r->hist, sizeof(cl->hist));
	cl->gaps_dropped = r->count > r->ngaps ? r->count - r->ngaps : 0;
	if (x->o.json_gaps && r->ngaps) {
		cl->gap_t_ns = malloc(r->ngaps * sizeof(double));
		cl->gap_len_ns = malloc(r->ngaps * sizeof(double));
		if (!cl->gap_t_ns || !cl->gap_len_ns)
			return -ENOMEM;
		for (size_t i = 0; i < r->ngaps; i++) {
			cl->gap_t_ns[i] = tsc_to_ns(ti, r->gaps[i].tsc - r->start_tsc);
			cl->gap_len_ns[i] = tsc_to_ns(ti, r->gaps[i].cycles);
		}
		cl->ngaps = r->ngaps;
	}
	return 0;
}

static int measure_run(struct ctx *x, struct jit_run *run)
{
	const int n = x->o.ncpus;
	struct irq_counts *irq0, *irq1;
	struct jit_measure_args *args;
	pthread_t *th;
	pthread_barrier_t go;
	uint64_t *smi0;
	bool *smi_ok;
	struct scraper sc = { .running = false };
	int ret = 0, nth = 0;

	irq0 = calloc((size_t)n, sizeof(*irq0));
	irq1 = calloc((size_t)n, sizeof(*irq1));
	args = calloc((size_t)n, sizeof(*args));
	th = calloc((size_t)n, sizeof(*th));
	smi0 = calloc((size_t)n, sizeof(*smi0));
	smi_ok = calloc((size_t)n, sizeof(*smi_ok));
	run->cell = calloc((size_t)n, sizeof(*run->cell));
	if (!irq0 || !irq1 || !args || !th || !smi0 || !smi_ok || !run->cell) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (run->mode == JIT_LOADED) {
		ret = start_loaded(x);
		if (ret < 0)
			goto out_stop;
		if (x->exporter) {
			char url[96];

			snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", x->port);
			ret = scrape_start(&sc, url, x->o.scrape_hz, x->o.hk_cpu);
			if (ret < 0)
				goto out_stop;
		}
	}
	ret = pthread_barrier_init(&go, NULL, (unsigned)n + 1);
	if (ret) {
		ret = -ret;
		goto out_stop;
	}
	for (int c = 0; c < n; c++) {
		jit_core_reset(&x->core[c]);
		args[c].r = &x->core[c];
		args[c].threshold = (uint64_t)(x->o.threshold_ns * x->b.tsc.hz / 1e9);
		args[c].duration = (uint64_t)(x->o.duration_s * x->b.tsc.hz);
		args[c].stop = &stop_flag;
		args[c].go = &go;
		args[c].fifo_prio = x->o.fifo;
		jit_measure_set_edges(&args[c], &x->b.tsc);
	}
	for (; nth < n; nth++) {
		ret = pthread_create(&th[nth], NULL, jit_measure_thread, &args[nth]);
		if (ret) {
			/* The barrier needs everyone: this is fatal for the program. */
			fprintf(stderr, "smi_jitter: pthread_create: %s\n", strerror(ret));
			exit(1);
		}
	}
	/* Counters before: the threads are parked at the barrier. */
	irq_read(x->o.cpus, n, irq0);
	for (int c = 0; c < n; c++)
		smi_ok[c] = smi_read(&x->smi[c], &smi0[c]) == 0;
	if (x->ipi.on)
		ipitrace_begin(&x->ipi);
	run->start_s = (double)(bench_now_ns() - x->t0_ns) / 1e9;
	pthread_barrier_wait(&go);
	for (int c = 0; c < n; c++)
		pthread_join(th[c], NULL);
	pthread_barrier_destroy(&go);
	/* Counters after, then the children stop. */
	{
		struct ipi_counts *ipi = calloc((size_t)n, sizeof(*ipi));
		bool ipi_ok = ipi && x->ipi.on &&
			ipitrace_end(&x->ipi, x->o.cpus, n, x->sampler, x->exporter, getpid(),
				     ipi) == 0;

		if (ipi_ok && x->ipi.lost) {
			/* Counts would be low: say so rather than report them. */
			fprintf(stderr, "smi_jitter: the IPI trace lost %" PRIu64 " events; "
				"attribution of this run dropped\n", x->ipi.lost);
			ipi_ok = false;
		}

		irq_read(x->o.cpus, n, irq1);
		for (int c = 0; c < n; c++) {
			struct jit_cell *cl = &run->cell[c];
			uint64_t s1;

			if (x->core[c].err) {
				fprintf(stderr, "smi_jitter: cpu %d: cannot pin%s: %s\n", x->o.cpus[c],
					x->o.fifo ? " or set SCHED_FIFO" : "",
					strerror(-x->core[c].err));
				ret = x->core[c].err;
			}
			if (fill_cell(x, cl, &x->core[c]) < 0)
				ret = -ENOMEM;
			for (int k = 0; k < IRQ_NKINDS; k++) {
				cl->irq_valid[k] = irq0[c].valid[k] && irq1[c].valid[k];
				cl->irq[k] = cl->irq_valid[k] ? irq1[c].v[k] - irq0[c].v[k] : 0;
			}
			if (smi_ok[c] && smi_read(&x->smi[c], &s1) == 0) {
				cl->smi_valid = true;
				cl->smi = smi_delta(&x->smi[c], smi0[c], s1);
			}
			if (ipi_ok) {
				cl->ipi_valid = true;
				cl->ipi = ipi[c];
			}
		}
		free(ipi);
	}
	if (run->mode == JIT_LOADED) {
		int st;

		scrape_stop(&sc);
		run->scrapes_ok = sc.ok;
		run->scrapes_failed = sc.failed;
		if (x->sampler && bench_alive(x->sampler, &st) == 0) {
			x->sampler = 0;
			fprintf(stderr, "smi_jitter: the sampler died during the run; see %s\n",
				x->log);
			ret = -ECHILD;
		}
	}
out_stop:
	scrape_stop(&sc);
	stop_children(x);
out_free:
	free(irq0);
	free(irq1);
	free(args);
	free(th);
	free(smi0);
	free(smi_ok);
	return ret;
}

static int write_outputs(struct ctx *x, const struct jit_summary *s)
{
	char path[PATH_MAX];
	const char *json = x->o.json, *plot = x->o.plot;
	char jbuf[PATH_MAX], pbuf[PATH_MAX];
	int ret = 0, r;

	report_table(stdout, &x->b, s);
	if (x->o.out_dir) {
		FILE *f;

		if (mkdir(x->o.out_dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			fprintf(stderr, "smi_jitter: %s: %s\n", x->o.out_dir, strerror(-ret));
			return ret;
		}
		snprintf(path, sizeof(path), "%s/smi_jitter.txt", x->o.out_dir);
		f = fopen(path, "we");
		if (f) {
			report_table(f, &x->b, s);
			fclose(f);
		}
		if (!json) {
			snprintf(jbuf, sizeof(jbuf), "%s/smi_jitter.json", x->o.out_dir);
			json = jbuf;
		}
		if (!plot) {
			snprintf(pbuf, sizeof(pbuf), "%s/smi_jitter.svg", x->o.out_dir);
			plot = pbuf;
		}
	}
	if (json && (r = report_json(json, &x->b, s, x->o.json_gaps)) < 0) {
		fprintf(stderr, "smi_jitter: %s: %s\n", json, strerror(-r));
		ret = r;
	}
	if (plot && (r = report_plot(plot, &x->b, s)) < 0) {
		fprintf(stderr, "smi_jitter: plot %s: gnuplot failed (%s)\n", plot, strerror(-r));
		ret = r;
	}
	return ret;
}

int main(int argc, char **argv)
{
	static struct ctx x;
	struct jit_summary sum;
	struct sigaction sa;
	bool need_stack;
	int ret, nplan;

	if (parse_opts(argc, argv, &x.o) < 0)
		return 2;
	need_stack = x.o.mode != RUN_BASELINE;
	/* This thread, the scraper and the children live on the housekeeping core. */
	ret = bench_pin_self(x.o.hk_cpu);
	if (ret < 0) {
		fprintf(stderr, "smi_jitter: pin to housekeeping cpu %d: %s\n", x.o.hk_cpu,
			strerror(-ret));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "smi_jitter: curl_global_init failed\n");
		return 1;
	}
	snprintf(x.tmp, sizeof(x.tmp), "/tmp/smi_jitter.XXXXXX");
	if (!mkdtemp(x.tmp)) {
		fprintf(stderr, "smi_jitter: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(x.log, sizeof(x.log), "%s/children.log", x.tmp);
	snprintf(x.segment, sizeof(x.segment), "/sovereign-jit-%d", (int)getpid());
	x.t0_ns = bench_now_ns();

	/* The setup the report echoes. */
	x.b.ncpus = x.o.ncpus;
	x.b.cpus = x.o.cpus;
	x.b.hk_cpu = x.o.hk_cpu;
	x.b.fifo_prio = x.o.fifo;
	x.b.duration_s = x.o.duration_s;
	x.b.threshold_ns = x.o.threshold_ns;
	x.b.rate_hz = x.o.rate_hz;
	x.b.scrape_hz = x.o.scrape_hz;
	x.b.bar_pct = x.o.bar_pct;
	x.b.modes[JIT_BASELINE] = x.o.mode != RUN_LOADED;
	x.b.modes[JIT_LOADED] = x.o.mode != RUN_BASELINE;
	snprintf(x.b.mode_label[JIT_BASELINE], sizeof(x.b.mode_label[0]), "A baseline");
	if (x.o.scrape_hz > 0)
		snprintf(x.b.mode_label[JIT_LOADED], sizeof(x.b.mode_label[0]),
			 "B sampler %gHz + scrape %gHz", x.o.rate_hz, x.o.scrape_hz);
	else
		snprintf(x.b.mode_label[JIT_LOADED], sizeof(x.b.mode_label[0]),
			 "B sampler %gHz", x.o.rate_hz);

	ret = tsc_calibrate(&x.b.tsc, CALIBRATE_MS);
	if (ret < 0) {
		fprintf(stderr, "smi_jitter: TSC calibration: %s\n", strerror(-ret));
		goto out_rm;
	}
	printf("TSC: %.6f GHz (calibrated against CLOCK_MONOTONIC_RAW over %d ms); "
	       "constant_tsc %s, nonstop_tsc %s%s\n", x.b.tsc.hz / 1e9, CALIBRATE_MS,
	       x.b.tsc.constant ? "yes" : "NO", x.b.tsc.nonstop ? "yes" : "NO",
	       !x.b.tsc.flags_read ? " (cpuinfo unreadable)" :
	       x.b.tsc.constant && x.b.tsc.nonstop ? "" :
	       ": the TSC may not tick at a constant rate, gaps are approximate");

	x.core = calloc((size_t)x.o.ncpus, sizeof(*x.core));
	x.smi = calloc((size_t)x.o.ncpus, sizeof(*x.smi));
	x.b.smi_what = calloc((size_t)x.o.ncpus, sizeof(*x.b.smi_what));
	nplan = x.o.mode == RUN_AB ? 2 * x.o.pairs : x.o.runs;
	x.b.runs = calloc((size_t)nplan, sizeof(*x.b.runs));
	if (!x.core || !x.smi || !x.b.smi_what || !x.b.runs) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (int c = 0; c < x.o.ncpus; c++) {
		x.smi[c].fd = -1;
		ret = jit_core_alloc(&x.core[c], x.o.cpus[c], x.o.max_gaps);
		if (ret < 0)
			goto out_free;
		smi_open(&x.smi[c], x.o.root, x.o.cpus[c]);
		snprintf(x.b.smi_what[c], sizeof(x.b.smi_what[c]), "%s", x.smi[c].what);
	}
#ifndef SOV_SANITIZED
	/* No page faults in the loops; under ASan the shadow memory is too large. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		note(&x, "mlockall: %s (measuring without it)", strerror(errno));
#endif
	if (x.o.ipi_trace)
		ipitrace_open(&x.ipi);
	else
		snprintf(x.ipi.what, sizeof(x.ipi.what), "unavailable: --no-ipi-trace");
	x.b.ipi_on = x.ipi.on;
	snprintf(x.b.ipi_what, sizeof(x.b.ipi_what), "%s", x.ipi.what);
	if (need_stack) {
		ret = prepare_stack(&x);
		if (ret < 0)
			goto out_close;
	}

	for (int i = 0; i < nplan && !atomic_load(&stop_flag); i++) {
		struct jit_run *r = &x.b.runs[x.b.nruns];

		r->mode = x.o.mode == RUN_AB ? (i % 2 ? JIT_LOADED : JIT_BASELINE)
			: x.o.mode == RUN_BASELINE ? JIT_BASELINE : JIT_LOADED;
		r->pair = x.o.mode == RUN_AB ? i / 2 : i;
		ret = measure_run(&x, r);
		x.b.nruns++;
		if (ret < 0)
			goto out_close;
		note(&x, "run %d/%d %-10s stolen %.3f %%", i + 1, nplan,
		     r->mode == JIT_BASELINE ? "baseline" : "loaded", jit_run_stolen_pct(&x.b, r));
	}
	if (atomic_load(&stop_flag))
		note(&x, "interrupted: reporting the %d complete run(s)", x.b.nruns);
	ret = report_summarize(&x.b, &sum);
	if (ret == 0)
		ret = write_outputs(&x, &sum);

out_close:
	stop_children(&x);
	if (x.sim > 0)
		bench_stop(x.sim, STOP_TIMEOUT_MS);
	ipitrace_close(&x.ipi);
out_free:
	for (int i = 0; i < x.b.nruns; i++) {
		for (int c = 0; x.b.runs[i].cell && c < x.o.ncpus; c++) {
			free(x.b.runs[i].cell[c].gap_t_ns);
			free(x.b.runs[i].cell[c].gap_len_ns);
		}
		free(x.b.runs[i].cell);
	}
	for (int c = 0; x.core && c < x.o.ncpus; c++)
		jit_core_free(&x.core[c]);
	for (int c = 0; x.smi && c < x.o.ncpus; c++)
		smi_close(&x.smi[c]);
	free(x.core);
	free(x.smi);
	free(x.b.smi_what);
	free(x.b.runs);
out_rm:
	if (ret == 0 || !need_stack)
		bench_rmtree(x.tmp);
	else
		fprintf(stderr, "smi_jitter: kept %s (children's log)\n", x.tmp);
	curl_global_cleanup();
	return ret < 0 ? 1 : 0;
}
