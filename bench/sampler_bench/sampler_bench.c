/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sampler_bench.c - runs the real sovereign-sampler against sovereign-sim's
 * tree at 1, 10, 100 and 1000 Hz and measures, per rate: cycle cost per
 * backend (from the ring), end-to-end latency (deadline to reader, and
 * hwmon file change to reader), CPU share from schedstat beside a bare
 * clock_nanosleep loop on the same core (the platform floor), and at 1 kHz
 * the loop's wake-up latency beside cyclictest's.  Built as bench/sampler_bench.
 */
#define _GNU_SOURCE
#include <cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_cpu.h"
#include "bench_out.h"
#include "bench_proc.h"
#include "opt.h"
#include "sampler_bench.h"
#include "sb_proc.h"
#include "sovereign.h"

#define DURATION_FULL   5.0        /* s per rate */
#define DURATION_QUICK  2.0
#define ATTACH_NS       (10 * NS_PER_S)   /* the sampler must publish by then */
#define SETTLE_NS       (200 * NS_PER_MS) /* after its second sample: start-up excluded */
#define REAP_MS         3000u             /* SIGTERM, then SIGKILL */
#define SIM_PERIOD_MS   "60000"           /* the sim leaves the tree alone during a run */
#define SIM_SOCKETS     "2"               /* the simulated server of the goal */
#define RING_SLOTS      "4096"            /* 4 s of 1 kHz: the reader never falls behind */
#define CHANGE_BASE     50000             /* m°C written by the sensor-change trials */

static const unsigned rates_hz[SB_NRATES] = { 1, 10, 100, 1000 };

struct opts {
	bool quick, check;
	double duration_s;
	const char *json, *plot, *out;
	const char *sim, *sampler, *cyclictest;
	const char *shipped;       /* the shipped sampler.conf (tools/deploy) */
	int cpu, reader_cpu, priority;
};

/* ------------------------------------------------------------------ */
/* the floor: a bare absolute-deadline clock_nanosleep loop             */

struct floor_arg {
	uint64_t period_ns;
	int cpu, prio;
	atomic_int tid;     /* 0 until running */
	atomic_int stop;
};

static void *floor_main(void *p)
{
	struct floor_arg *a = p;
	struct sched_param sp = { .sched_priority = a->prio };
	struct timespec next;

	bench_pin_self(a->cpu);
	/* One below the sampler: it never delays the sampler's wake-ups. */
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	atomic_store(&a->tid, (int)gettid());
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
		next.tv_nsec += (long)a->period_ns;
		while (next.tv_nsec >= (long)NS_PER_S) {
			next.tv_nsec -= (long)NS_PER_S;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the reader: pinned to the reader CPU, spinning on the newest sample  */

struct series {
	double *v;
	size_t n, cap;
};

static void put(struct series *s, double x)
{
	if (s->n < s->cap)
		s->v[s->n++] = x;
}

struct collect {
	struct sov_reader *r;
	struct sov_sample *smp;
	int cpu;
	uint32_t nslots;
	uint32_t wake_idx, change_idx;
	size_t nbe;
	uint32_t be_idx[SB_MAX_BACKENDS];
	struct series be[SB_MAX_BACKENDS], cycle, wake, visible;
	uint32_t *wake_hist;
	uint64_t missed;
	atomic_uint_fast64_t from_mono;   /* record samples whose deadline is >= this */
	atomic_int stop, running;
	/* one sensor-change trial at a time: main sets t0 then expect (release) */
	atomic_int_fast64_t expect;       /* value to look for, 0: none */
	atomic_uint_fast64_t t0;          /* CLOCK_MONOTONIC just before the write */
	atomic_uint_fast64_t lat;         /* result, written before expect is cleared */
};

static void record(struct collect *c, const struct sov_sample *smp, uint64_t seen, bool newest)
{
	const struct sov_slot *sl = sov_sample_slot(smp);
	int_fast64_t e = atomic_load_explicit(&c->expect, memory_order_acquire);
	int64_t v;
	size_t i;

	/* Pairs with the release store of expect in change_trial(): t0 is set. */
	if (e && sov_sample_get(smp, c->change_idx, &v, NULL) == 0 && v == e) {
		uint64_t t0 = atomic_load_explicit(&c->t0, memory_order_relaxed);

		atomic_store_explicit(&c->lat, seen > t0 ? seen - t0 : 0, memory_order_relaxed);
		/* seq_cst: publishes lat; fails if main gave the trial up first. */
		atomic_compare_exchange_strong(&c->expect, &e, 0);
	}
	if (sl->mono_ns < atomic_load_explicit(&c->from_mono, memory_order_relaxed))
		return;
	if (sl->cycle_cost_ns)
		put(&c->cycle, (double)sl->cycle_cost_ns);
	for (i = 0; i < c->nbe; i++)
		if (sov_sample_get(smp, c->be_idx[i], &v, NULL) == 0 && v > 0)
			put(&c->be[i], (double)v);
	if (sov_sample_get(smp, c->wake_idx, &v, NULL) == 0 && v >= 0) {
		uint64_t us = (uint64_t)v / 1000u;

		put(&c->wake, (double)v);
		c->wake_hist[us < SB_HIST_US ? us : SB_HIST_US]++;
	}
	if (newest)
		put(&c->visible, (double)(seen - sl->mono_ns));
}

static void *reader_main(void *p)
{
	struct collect *c = p;
	uint64_t last = sov_reader_head(c->r);

	bench_pin_self(c->cpu);
	atomic_store(&c->running, 1);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint64_t h = sov_reader_head(c->r), n, seen;

		if (h == last) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause(); /* spin politely (SMT sibling, power) */
#endif
			continue;
		}
		seen = bench_now_ns();
		n = last + 1;
		/* Lapped (should not happen with RING_SLOTS): count what was lost. */
		if (h - last > c->nslots / 2) {
			c->missed += h - c->nslots / 2 - n;
			n = h - c->nslots / 2;
		}
		for (; n <= h; n++) {
			if (sov_reader_sample(c->r, n, c->smp)) {
				c->missed++;
				continue;
			}
			record(c, c->smp, seen, n == h);
		}
		last = h;
	}
	return NULL;
}

static int collect_alloc(struct collect *c, size_t cap)
{
	struct series *all[SB_MAX_BACKENDS + 3];
	size_t i, n = 0;

	for (i = 0; i < c->nbe; i++)
		all[n++] = &c->be[i];
	all[n++] = &c->cycle;
	all[n++] = &c->wake;
	all[n++] = &c->visible;
	for (i = 0; i < n; i++) {
		all[i]->v = calloc(cap, sizeof(double));
		all[i]->cap = cap;
		if (!all[i]->v)
			return -ENOMEM;
	}
	c->wake_hist = calloc(SB_HIST_US + 1, sizeof(uint32_t));
	return c->wake_hist ? 0 : -ENOMEM;
}

static void collect_free(struct collect *c)
{
	size_t i;

	for (i = 0; i < SB_MAX_BACKENDS; i++)
		free(c->be[i].v);
	free(c->cycle.v);
	free(c->wake.v);
	free(c->visible.v);
	free(c->wake_hist);
}

/* ------------------------------------------------------------------ */
/* set-up of one run                                                    */

/*
 * @base (the sim's config, or the shipped one) with the bench's [sampler]
 * keys in place of its own: segment, cpu, priority, slots; no group (the
 * shipped "sovereign" may not exist here); period_ms 1000 / @hz unless @hz
 * is 0 (the file's own); root @root unless NULL (the sim's config has it).
 */
static int write_conf(const char *path, const char *base, const struct opts *o,
		      unsigned hz, const char *seg, const char *root)
{
	static const char *const ours[] = { "segment", "cpu", "priority", "slots", "group",
					    "period_ms", "root" };
	/* [sampler] <kind>_period_ms, sovereign.conf(5) */
	static const char *const kinds[] = { "cpu_temp", "cpu_core_temp", "energy", "fan", "voltage",
					     "current", "vrm", "dimm", "board" };
	size_t nours = sizeof(ours) / sizeof(ours[0]) - (root ? 0 : 1); /* "root" is last */
	const char *line = base;
	bool in_sampler = false;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	while (*line) {
		size_t len = strcspn(line, "\n"), k;
		bool skip = false;

		if (line[0] == '[')
			in_sampler = !strncmp(line, "[sampler]", 9);
		for (k = 0; in_sampler && k < nours; k++)
			if (!strncmp(line, ours[k], strlen(ours[k])) &&
			    strchr(" =", line[strlen(ours[k])]) && (hz || strcmp(ours[k], "period_ms")))
				skip = true;
		if (!skip)
			fprintf(f, "%.*s\n", (int)len, line);
		if (!strncmp(line, "[sampler]", 9)) {
			fprintf(f, "segment = %s\ncpu = %d\npriority = %d\nslots = %s\n", seg, o->cpu,
				o->priority, RING_SLOTS);
			/* A rate run reads every kind at the grid's rate (as far as
			 * each backend's minimum allows): the loop runs at @hz. */
			for (k = 0; hz && k < sizeof(kinds) / sizeof(kinds[0]); k++)
				fprintf(f, "%s_period_ms = %u\n", kinds[k], 1000u / hz);
			if (hz)
				fprintf(f, "period_ms = %u\n", 1000u / hz);
			if (root)
				fprintf(f, "root = %s\n", root);
		}
		line += len + (line[len] == '\n');
	}
	return fclose(f) ? -errno : 0;
}

/*
 * The file of hwmon chip @chip ("k10temp", or "k10temp/0000:00:18.3" as the
 * table names it: the device too, one socket's chip of two), channel @name
 * ("temp1"), under @tree.
 */
static int hwmon_file(const char *tree, const char *chip, const char *name, char *out, size_t len)
{
	const char *dev = strchr(chip, '/');
	size_t clen = dev ? (size_t)(dev - chip) : strlen(chip);
	char dir[512];
	struct dirent *de;
	DIR *d;
	int rc = -ENOENT;

	snprintf(dir, sizeof(dir), "%s/sys/class/hwmon", tree);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char p[800], nm[64] = "";
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/name", dir, de->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		if (fgets(nm, sizeof(nm), f))
			nm[strcspn(nm, "\n")] = '\0';
		fclose(f);
		if (strlen(nm) == clen && !strncmp(nm, chip, clen)) {
			char link[512] = "";
			const char *base;

			snprintf(p, sizeof(p), "%s/%s/device", dir, de->d_name);
			if (dev && readlink(p, link, sizeof(link) - 1) > 0) {
				base = strrchr(link, '/');
				if (strcmp(base ? base + 1 : link, dev + 1))
					continue; /* the other socket's */
			}
			snprintf(out, len, "%s/%s/%s_input", dir, de->d_name, name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* Channels of interest in the sensor table; the change channel's file. */
static int find_channels(struct collect *c, struct sb_rate *out, const char *tree, char *file,
			 size_t flen)
{
	uint32_t i, n = sov_reader_nsensors(c->r);
	bool wake = false, change = false;

	for (i = 0; i < n; i++) {
		struct sov_sensor d;
		size_t l;

		if (sov_reader_sensor(c->r, i, &d))
			return -EIO;
		l = strlen(d.name);
		if (!strcmp(d.chip, "sampler") && !strcmp(d.name, "sampler-wake-ns")) {
			c->wake_idx = i;
			wake = true;
		} else if (!strcmp(d.chip, "sampler") && l > 8 && !strcmp(d.name + l - 8, "-read-ns") &&
			   c->nbe < SB_MAX_BACKENDS) {
			snprintf(out->be[c->nbe].name, SB_NAME_LEN, "%.*s", (int)(l - 8), d.name);
			c->be_idx[c->nbe++] = i;
		} else if (!change && !strcmp(d.name, "temp1") &&
			   (!strncmp(d.chip, "k10temp/", 8) || !strncmp(d.chip, "coretemp/", 9))) {
			if (hwmon_file(tree, d.chip, "temp1", file, flen) == 0) {
				c->change_idx = i;
				out->change_period_ms = d.period_ms;
				change = true;
			}
		}
	}
	out->nbackends = c->nbe;
	if (!wake) {
		fprintf(stderr, "sampler_bench: the sampler publishes no sampler-wake-ns channel\n");
		return -ENOENT;
	}
	if (!change) {
		fprintf(stderr, "sampler_bench: no k10temp/coretemp temp1 channel with a file in the tree\n");
		return -ENOENT;
	}
	return 0;
}

/*
 * One sensor-change trial: at a random phase of the channel's period,
 * write a new value into its hwmon file (as the sim does: pwrite, then
 * ftruncate) and wait for the reader to see it.  Return: 1 seen, 0 lost.
 */
static int change_trial(struct collect *c, const char *file, int64_t value, uint64_t period_ns,
			struct series *lat)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%lld\n", (long long)value);
	uint64_t deadline;
	int_fast64_t e = value;
	int fd = open(file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	sleep_ns((uint64_t)(drand48() * (double)period_ns));
	atomic_store_explicit(&c->t0, bench_now_ns(), memory_order_relaxed);
	/* Pairs with the acquire load of expect in record(). */
	atomic_store_explicit(&c->expect, value, memory_order_release);
	if (pwrite(fd, text, (size_t)len, 0) != len || ftruncate(fd, len)) {
		close(fd);
		atomic_store(&c->expect, 0);
		return 0;
	}
	close(fd);
	deadline = bench_now_ns() + 3 * period_ns + NS_PER_S;
	while (bench_now_ns() < deadline) {
		if (!atomic_load(&c->expect)) {
			put(lat, (double)atomic_load(&c->lat));
			return 1;
		}
		sleep_ns(NS_PER_MS / 4);
	}
	/* Give up, unless the reader matched it at the last moment. */
	if (atomic_compare_exchange_strong(&c->expect, &e, 0))
		return 0;
	put(lat, (double)atomic_load(&c->lat));
	return 1;
}

/* cyclictest's --json: histogram of thread 0, its avg and max (µs). */
static int parse_cyclictest(const char *path, struct sb_cyclic *ct)
{
	cJSON *root, *th, *h, *it, *avg, *max;
	char *text;
	long len;
	FILE *f = fopen(path, "r");
	int rc = -EINVAL;

	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = len > 0 ? malloc((size_t)len + 1) : NULL;
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		fclose(f);
		return -EIO;
	}
	text[len] = '\0';
	fclose(f);
	root = cJSON_Parse(text);
	free(text);
	th = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "thread"), "0");
	h = cJSON_GetObjectItem(th, "histogram");
	avg = cJSON_GetObjectItem(th, "avg");
	max = cJSON_GetObjectItem(th, "max");
	if (cJSON_IsObject(h) && cJSON_IsNumber(avg) && cJSON_IsNumber(max)) {
		cJSON_ArrayForEach(it, h) {
			long us = strtol(it->string, NULL, 10);

			if (us >= 0 && cJSON_IsNumber(it))
				ct->hist[us < SB_HIST_US ? us : SB_HIST_US] += (uint32_t)it->valuedouble;
		}
		/* Beyond the histogram: counted by cyclictest as overflows. */
		it = cJSON_GetObjectItem(th, "overflows");
		if (cJSON_IsNumber(it))
			ct->hist[SB_HIST_US] += (uint32_t)it->valuedouble;
		ct->lat_us = sb_dist_of_hist(ct->hist, SB_HIST_US + 1, max->valuedouble);
		ct->lat_us.mean = avg->valuedouble;
		ct->ran = true;
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

static void fill_cpu(struct sb_rate *out, const struct bench_task *a, size_t na,
		     const struct bench_task *b, size_t nb, double wall_s)
{
	uint64_t ns = 0, runs = 0;
	size_t i, j;

	out->nthreads = 0;
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na && a[i].tid != b[j].tid; i++)
			;
		if (i == na || out->nthreads == SB_MAX_THREADS)
			continue; /* started inside the window: not comparable */
		struct sb_thread *t = &out->thr[out->nthreads++];

		snprintf(t->name, sizeof(t->name), "%s", b[j].name);
		t->tid = b[j].tid;
		t->share_pct = (double)(b[j].ns - a[i].ns) / (wall_s * 1e9) * 100.0;
		t->wakeups_per_s = (double)(b[j].runs - a[i].runs) / wall_s;
		ns += b[j].ns - a[i].ns;
		runs += b[j].runs - a[i].runs;
	}
	out->share_pct = (double)ns / (wall_s * 1e9) * 100.0;
	out->wakeups_per_s = (double)runs / wall_s;
}

/* ------------------------------------------------------------------ */
/* one rate                                                             */

/*
 * One run into @out: the sampler on @base with a @hz grid -- the sim's
 * config at rate @ri, or (@shipped) the shipped configuration with its own
 * period_ms (@hz is then its rate, for the floor loop and the names).
 */
static int run_rate(const struct opts *o, const char *dir, const char *tree, const char *base,
		    unsigned hz, bool shipped, size_t ri, struct sb_rate *out, struct sb_result *res)
{
	uint64_t period_ns = NS_PER_S / hz, t, wall0, wall1, end, fl_ns0, fl_ns1, fl_r0, fl_r1;
	char conf[512], log[512], seg[64], file[1024], ctjson[512], cthist[512], ctlog[512];
	struct bench_task t0[SB_MAX_THREADS * 2], t1[SB_MAX_THREADS * 2];
	struct collect c;
	struct floor_arg fl = { .period_ns = period_ns, .cpu = o->cpu,
				.prio = o->priority > 1 ? o->priority - 1 : 1 };
	struct series change = { 0 };
	pthread_t reader, floor_th;
	size_t na, nb, i;
	pid_t sampler, ct = -1;
	bool reader_on = false, floor_on = false;
	int rc = -EIO, trial = 0;

	memset(&c, 0, sizeof(c));
	out->hz = hz;
	snprintf(seg, sizeof(seg), "/sov-sb-%d-%u%s", (int)getpid(), hz, shipped ? "s" : "");
	snprintf(conf, sizeof(conf), "%s/sampler-%u%s.conf", dir, hz, shipped ? "-shipped" : "");
	snprintf(log, sizeof(log), "%s/sampler-%u%s.log", dir, hz, shipped ? "-shipped" : "");
	if ((rc = write_conf(conf, base, o, shipped ? 0 : hz, seg, shipped ? tree : NULL))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", conf, strerror(-rc));
		return rc;
	}
	rc = -EIO; /* until the window is measured */
	{
		char *argv[] = { (char *)o->sampler, "-c", conf, NULL };

		sampler = bench_spawn(argv, -1, log, log);
	}
	if (sampler < 0)
		return sampler;

	/* Attach, then wait for a second sample: start-up is not measured. */
	for (t = bench_now_ns(); bench_now_ns() - t < ATTACH_NS; sleep_ns(20 * NS_PER_MS)) {
		if (bench_alive(sampler, NULL) == 0) {
			fprintf(stderr, "sampler_bench: the sampler exited at %u Hz; its log:\n", hz);
			print_log(log);
			return -ECHILD;
		}
		if (!c.r && sov_reader_open(seg, NULL, &c.r))
			continue;
		if (sov_reader_head(c.r) >= 2)
			break;
	}
	if (!c.r || sov_reader_head(c.r) < 2) {
		fprintf(stderr, "sampler_bench: no samples from the sampler at %u Hz; its log:\n", hz);
		print_log(log);
		goto out;
	}
	c.smp = sov_sample_alloc(c.r);
	c.nslots = sov_reader_header(c.r)->nslots;
	c.cpu = o->reader_cpu;
	if (!c.smp || find_channels(&c, out, tree, file, sizeof(file)))
		goto out;
	if (sov_reader_latest(c.r, c.smp) == 0)
		res->rt = !(sov_sample_slot(c.smp)->flags & SOV_SF_NO_RT);
	if (collect_alloc(&c, (size_t)((double)hz * (o->duration_s + 10.0)) + 64) ||
	    !(change.v = calloc(4096, sizeof(double)))) {
		rc = -ENOMEM;
		goto out;
	}
	change.cap = 4096;
	atomic_store(&c.from_mono, UINT64_MAX);
	if ((rc = -pthread_create(&reader, NULL, reader_main, &c)))
		goto out;
	reader_on = true;
	if ((rc = -pthread_create(&floor_th, NULL, floor_main, &fl)))
		goto out;
	floor_on = true;
	while (!atomic_load(&c.running) || !atomic_load(&fl.tid))
		sleep_ns(NS_PER_MS);
	sleep_ns(SETTLE_NS);

	/* --- the measured window --- */
	wall0 = bench_now_ns();
	na = bench_tasks(sampler, t0, SB_MAX_THREADS * 2);
	bench_schedstat(getpid(), atomic_load(&fl.tid), &fl_ns0, &fl_r0);
	atomic_store(&c.from_mono, wall0);
	if (hz == 1000 && !shipped) {
		char a[16], p[16], d[16], ma[16];
		char hopt[64];

		snprintf(a, sizeof(a), "%d", o->cpu);
		snprintf(p, sizeof(p), "%d", o->priority);
		snprintf(d, sizeof(d), "%d", (int)ceil(o->duration_s));
		snprintf(ma, sizeof(ma), "--mainaffinity=%d", o->reader_cpu);
		snprintf(hopt, sizeof(hopt), "--histogram=%d", SB_HIST_US);
		snprintf(ctjson, sizeof(ctjson), "--json=%s/cyclictest.json", dir);
		snprintf(cthist, sizeof(cthist), "--histfile=%s/cyclictest.hist", dir);
		snprintf(ctlog, sizeof(ctlog), "%s/cyclictest.log", dir);
		char *argv[] = { (char *)o->cyclictest, "-a", a, "-p", p, "-i", "1000", "-m", "-q",
				 "-D", d, hopt, cthist, ctjson, ma, NULL };

		ct = bench_spawn(argv, -1, ctlog, ctlog);
	}
	end = wall0 + (uint64_t)(o->duration_s * 1e9);
	/* Trials until the window ends, and at least one (bounded). */
	while (bench_now_ns() < end ||
	       (!change.n && bench_now_ns() < end + 3 * period_ns + 2 * NS_PER_S)) {
		int64_t v = CHANGE_BASE + (int64_t)ri * 1000 + trial % 1000;

		trial++;
		if (!change_trial(&c, file, v, (uint64_t)out->change_period_ms * NS_PER_MS, &change))
			out->change_lost++;
	}
	wall1 = bench_now_ns();
	nb = bench_tasks(sampler, t1, SB_MAX_THREADS * 2);
	bench_schedstat(getpid(), atomic_load(&fl.tid), &fl_ns1, &fl_r1);
	/* --- end of the window --- */

	out->window_s = (double)(wall1 - wall0) / 1e9;
	fill_cpu(out, t0, na, t1, nb, out->window_s);
	out->floor_pct = (double)(fl_ns1 - fl_ns0) / (double)(wall1 - wall0) * 100.0;
	out->floor_wake_us = fl_r1 > fl_r0 ? (double)(fl_ns1 - fl_ns0) / (double)(fl_r1 - fl_r0) / 1e3 : NAN;
	out->own_pct = out->share_pct - out->floor_pct;
	if (ct > 0) {
		int st = bench_reap(ct, (unsigned)(o->duration_s * 1e3) + 10000u);
		char jp[512];

		snprintf(jp, sizeof(jp), "%s/cyclictest.json", dir);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || parse_cyclictest(jp, &res->ct)) {
			fprintf(stderr, "sampler_bench: cyclictest failed (status %#x); its log:\n", st);
			print_log(ctlog);
			rc = -EIO;
			ct = -1;
			goto out;
		}
		ct = -1;
	}
	rc = 0;
out:
	if (floor_on) {
		atomic_store(&fl.stop, 1);
		pthread_join(floor_th, NULL);
	}
	if (reader_on) {
		atomic_store(&c.stop, 1);
		pthread_join(reader, NULL);
	}
	if (!rc) {
		for (i = 0; i < c.nbe; i++)
			out->be[i].read_ns = bench_dist_of(c.be[i].v, c.be[i].n);
		out->cycle_ns = bench_dist_of(c.cycle.v, c.cycle.n);
		out->wake_ns = bench_dist_of(c.wake.v, c.wake.n);
		out->visible_ns = bench_dist_of(c.visible.v, c.visible.n);
		out->change_ns = bench_dist_of(change.v, change.n);
		out->missed_samples = c.missed;
		memcpy(out->wake_hist, c.wake_hist, sizeof(out->wake_hist));
	}
	if (ct > 0)
		bench_reap(ct, 0);
	if (bench_stop(sampler, REAP_MS) != 0 && !rc) {
		fprintf(stderr, "sampler_bench: the sampler did not stop cleanly at %u Hz; its log:\n", hz);
		print_log(log);
		rc = -ECHILD;
	}
	sov_sample_free(c.smp);
	sov_reader_close(c.r);
	sov_shm_unlink(seg);
	collect_free(&c);
	free(change.v);
	return rc;
}

/* The whole of file @path into @buf (NUL-terminated).  Return: 0, or -1 with errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	if (ferror(f) || !feof(f)) {
		int e = ferror(f) ? EIO : EFBIG;

		fclose(f);
		errno = e;
		return -1;
	}
	return fclose(f);
}

/* The loop rate of configuration @conf: 1000 / its [sampler] period_ms, 0 if none fits. */
static unsigned shipped_hz(const char *conf)
{
	const char *p = strstr(conf, "\n[sampler]");
	unsigned ms;

	while (p && (p = strstr(p + 1, "\nperiod_ms"))) {
		if (sscanf(p, "\nperiod_ms = %u", &ms) == 1)
			return ms && ms <= 1000 && 1000 % ms == 0 ? 1000 / ms : 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* main                                                                 */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sampler_bench [--quick] [--duration S] [--json FILE] [--plot FILE.svg|.png]\n"
		"                     [--out DIR] [--check] [--cpu N] [--reader-cpu N] [--priority P]\n"
		"                     [--sim PATH] [--sampler PATH] [--cyclictest PATH]\n"
		"  --quick         %.0f s per rate and --check (the ctest smoke test)\n"
		"  --duration S    seconds measured per rate (default %.0f)\n"
		"  --json FILE     the figures as JSON\n"
		"  --plot FILE     wake-latency histogram and CPU share per rate (gnuplot)\n"
		"  --out DIR       DIR/sampler_bench.{txt,json,svg}\n"
		"  --check         exit 1 unless every figure is present, positive and finite\n"
		"  --cpu N         the sampler's core, also the floor's and cyclictest's (default 0)\n"
		"  --reader-cpu N  the spinning reader's core (default 1)\n"
		"  --priority P    the sampler's SCHED_FIFO priority, and cyclictest's (default 50)\n",
		DURATION_QUICK, DURATION_FULL);
}

/* @s as a decimal in [@lo, @hi] for option @name (common/opt.h); a refusal says why. */
static int parse_int(const char *name, const char *s, long lo, long hi, int *out)
{
	struct sov_opt_err err;
	long long v;

	if (sov_opt_int(name, s, lo, hi, &v, &err)) {
		fprintf(stderr, "sampler_bench: %s\n", err.msg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },     { "duration", required_argument, NULL, 'd' },
		{ "json", required_argument, NULL, 'j' }, { "plot", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },  { "check", no_argument, NULL, 'k' },
		{ "cpu", required_argument, NULL, 'c' },  { "reader-cpu", required_argument, NULL, 'r' },
		{ "priority", required_argument, NULL, 'P' },
		{ "sim", required_argument, NULL, 'S' },  { "sampler", required_argument, NULL, 'A' },
		{ "cyclictest", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	bool dur = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->duration_s = DURATION_FULL;
	o->cpu = 0;
	o->reader_cpu = 1;
	o->priority = 50;
	o->sim = SOV_SIM_BIN;
	o->sampler = SOV_SAMPLER_BIN;
	o->cyclictest = SOV_CYCLICTEST_BIN;
	o->shipped = SOV_SHIPPED_CONF;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'q': o->quick = o->check = true; break;
		case 'k': o->check = true; break;
		case 'd':
			errno = 0;
			o->duration_s = strtod(optarg, &end);
			if (errno || *end || !(o->duration_s >= 1.0 && o->duration_s <= 3600.0)) {
				fprintf(stderr, "sampler_bench: --duration: 1..3600 seconds\n");
				return -1;
			}
			dur = true;
			break;
		case 'j': o->json = optarg; break;
		case 'p': o->plot = optarg; break;
		case 'o': o->out = optarg; break;
		case 'c':
		case 'r':
		case 'P':
			if (parse_int(c == 'c' ? "--cpu" : c == 'r' ? "--reader-cpu" : "--priority",
				      optarg, c == 'P' ? 1 : 0, c == 'P' ? 98 : CPU_SETSIZE - 1,
				      c == 'c' ? &o->cpu : c == 'r' ? &o->reader_cpu : &o->priority))
				return -1;
			break;
		case 'S': o->sim = optarg; break;
		case 'A': o->sampler = optarg; break;
		case 'C': o->cyclictest = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (o->quick && !dur)
		o->duration_s = DURATION_QUICK;
	if (o->cpu == o->reader_cpu) {
		fprintf(stderr, "sampler_bench: the reader needs its own core (--reader-cpu)\n");
		return -1;
	}
	return 0;
}

static int write_outputs(const struct opts *o, const struct sb_result *res, const char *dir)
{
	char p[1024];
	int rc = 0, r;
	FILE *f;

	if (o->json && (r = sb_write_json(res, o->json))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", o->json, strerror(-r));
		rc = -1;
	}
	if (o->plot && (r = sb_write_plot(res, o->plot, dir))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", o->plot, strerror(-r));
		rc = -1;
	}
	if (!o->out)
		return rc;
	if (mkdir(o->out, 0755) && errno != EEXIST) {
		fprintf(stderr, "sampler_bench: %s: %s\n", o->out, strerror(errno));
		return -1;
	}
	snprintf(p, sizeof(p), "%s/sampler_bench.txt", o->out);
	if ((f = fopen(p, "w"))) {
		sb_print_table(res, f);
		fclose(f);
	} else {
		fprintf(stderr, "sampler_bench: %s: %s\n", p, strerror(errno));
		rc = -1;
	}
	snprintf(p, sizeof(p), "%s/sampler_bench.json", o->out);
	if ((r = sb_write_json(res, p))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", p, strerror(-r));
		rc = -1;
	}
	snprintf(p, sizeof(p), "%s/sampler_bench.svg", o->out);
	if ((r = sb_write_plot(res, p, dir))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", p, strerror(-r));
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct sb_result res;
	static char sim_conf[16384], scratch[4096], shipped_conf[16384];
	char dir[] = "/tmp/sampler-bench-XXXXXX", tree[64], simlog[96];
	struct opts o;
	pid_t sim = -1;
	size_t i;
	int rc = 1;

	if (parse_args(argc, argv, &o))
		return 2;
	if (read_text(o.shipped, shipped_conf, sizeof(shipped_conf))) {
		fprintf(stderr, "sampler_bench: %s: %s\n", o.shipped, strerror(errno));
		return 1;
	}
	if (!mkdtemp(dir)) {
		perror("sampler_bench: mkdtemp");
		return 1;
	}
	srand48((long)bench_now_ns());
	/* The bench and its helpers stay off the sampler's core. */
	if (bench_pin_self(o.reader_cpu))
		fprintf(stderr, "sampler_bench: cannot pin to CPU %d\n", o.reader_cpu);
	/* The tree in memory, as sysfs is: on a disk file system every read
	 * of a file the sim rewrote also updates its atime (an ext4 journal
	 * write in the sampler's read, which sysfs never does). */
	snprintf(tree, sizeof(tree), "/dev/shm/sampler-bench-tree-%d", (int)getpid());
	snprintf(simlog, sizeof(simlog), "%s/sim.log", dir);
	{
		char *pc[] = { (char *)o.sim, "--root", tree, "--sockets", SIM_SOCKETS, "--print-config",
			       NULL };
		char *once[] = { (char *)o.sim, "--root", tree, "--sockets", SIM_SOCKETS, "--once",
				 "--quiet", NULL };
		char *live[] = { (char *)o.sim, "--root", tree, "--sockets", SIM_SOCKETS, "--quiet",
				 "--period-ms", SIM_PERIOD_MS, NULL };

		/* The whole tree first; then the sim stays up but rewrites it only
		 * once a minute, so the change trials are not overwritten. */
		if (capture(pc, sim_conf, sizeof(sim_conf)) || capture(once, scratch, sizeof(scratch))) {
			fprintf(stderr, "sampler_bench: %s --root %s failed\n", o.sim, tree);
			goto out;
		}
		sim = bench_spawn(live, o.reader_cpu, simlog, simlog);
	}
	res.cpu = o.cpu;
	res.reader_cpu = o.reader_cpu;
	res.priority = o.priority;
	res.duration_s = o.duration_s;
	{
		/* "# (sovereign-sim --print-config; AMD EPYC, 1 socket(s), ...)." */
		static const char tag[] = "(sovereign-sim --print-config; ";
		const char *l = strstr(sim_conf, tag), *e;

		l = l ? l + sizeof(tag) - 1 : "";
		e = l + strcspn(l, "\n");
		while (e > l && (e[-1] == '.' || e[-1] == ' '))
			e--;
		if (e > l && e[-1] == ')')
			e--;
		snprintf(res.sim_conf, sizeof(res.sim_conf), "%.*s", (int)(e - l), l);
	}
	for (i = 0; i < SB_NRATES; i++) {
		fprintf(stderr, "sampler_bench: %u Hz for %.0f s ...\n", rates_hz[i], o.duration_s);
		if (run_rate(&o, dir, tree, sim_conf, rates_hz[i], false, i, &res.rate[i], &res))
			goto out;
	}
	{
		unsigned hz = shipped_hz(shipped_conf);

		if (!hz) {
			fprintf(stderr, "sampler_bench: %s: no [sampler] period_ms dividing 1000\n",
				o.shipped);
			goto out;
		}
		fprintf(stderr, "sampler_bench: the shipped configuration (%u Hz grid) for %.0f s ...\n",
			hz, o.duration_s);
		snprintf(res.shipped_conf, sizeof(res.shipped_conf), "%s", o.shipped);
		if (run_rate(&o, dir, tree, shipped_conf, hz, true, SB_NRATES, &res.shipped, &res))
			goto out;
	}
	sb_print_table(&res, stdout);
	rc = write_outputs(&o, &res, dir) ? 1 : 0;
	if (o.check && sb_check(&res, stderr))
		rc = 1;
out:
	if (sim > 0) {
		bench_stop(sim, REAP_MS);
	}
	bench_rmtree(tree);
	bench_rmtree(dir);
	return rc;
}
