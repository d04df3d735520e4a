/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sb_report.c - sampler_bench's figures: histogram summaries, the
 * human table, the JSON report (cJSON), the plot (gnuplot) and the smoke
 * test's check that every figure is there (see sampler_bench.h).
 */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_out.h"
#include "sampler_bench.h"

/* Nearest-rank percentile @q of a histogram with @total entries. */
static double hist_rank(const uint32_t *hist, size_t nb, uint64_t total, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)total), seen = 0;
	size_t i;

	if (!rank)
		rank = 1;
	for (i = 0; i < nb; i++) {
		seen += hist[i];
		if (seen >= rank)
			return (double)i;
	}
	return (double)(nb - 1);
}

struct bench_dist sb_dist_of_hist(const uint32_t *hist, size_t nb, double max_seen)
{
	struct bench_dist d = { .mean = NAN, .p50 = NAN, .p99 = NAN, .max = max_seen };
	uint64_t total = 0;
	double sum = 0;
	size_t i;

	for (i = 0; i < nb; i++) {
		total += hist[i];
		sum += (double)i * hist[i];
	}
	d.n = (size_t)total;
	if (!total)
		return d;
	d.mean = sum / (double)total;
	d.p50 = hist_rank(hist, nb, total, 0.50);
	d.p99 = hist_rank(hist, nb, total, 0.99);
	return d;
}

/* ------------------------------------------------------------------ */
/* the table                                                            */

static const struct sb_rate *rate_of(const struct sb_result *r, unsigned hz)
{
	size_t i;

	for (i = 0; i < SB_NRATES; i++)
		if (r->rate[i].hz == hz)
			return &r->rate[i];
	return NULL;
}

/* The sampler's figures at 1 kHz in µs, for the comparison with cyclictest. */
static struct bench_dist wake_us_1khz(const struct sb_result *r)
{
	const struct sb_rate *k = rate_of(r, 1000);
	struct bench_dist d = { 0 };

	if (!k)
		return d;
	d = k->wake_ns;
	d.mean /= 1e3;
	d.p50 /= 1e3;
	d.p99 /= 1e3;
	d.max /= 1e3;
	return d;
}

/*
 * The goal: the whole sampler (all threads) with the shipped configuration
 * at most SB_GOAL_MS_PER_S of CPU per second, beside the bare loop's floor
 * at the same wake-up rate in the same run.
 */
static void print_verdict(const struct sb_result *r, FILE *f)
{
	const struct sb_rate *t = &r->shipped;
	double ms = t->share_pct * 10.0, floor_ms = t->floor_pct * 10.0;
	double wake_ms = t->wakeups_per_s * t->floor_wake_us / 1e3;

	fprintf(f, "\nShipped configuration (%s) on the simulated server, grid %u Hz\n",
		r->shipped_conf, t->hz);
	fprintf(f, "  whole sampler:  %.3f ms of CPU per second (%.4f %% of CPU %d), %.1f wake-ups/s\n",
		ms, t->share_pct, r->cpu, t->wakeups_per_s);
	for (size_t j = 0; j < t->nthreads; j++)
		fprintf(f, "    %-16s %.3f ms/s, %.1f wake-ups/s\n", t->thr[j].name,
			t->thr[j].share_pct * 10.0, t->thr[j].wakeups_per_s);
	fprintf(f, "  bare loop floor: %.3f ms/s at %u wake-ups/s (%.1f µs of CPU per wake-up);\n"
		"  the sampler's wake-ups at that cost: %.3f ms/s; beyond them: %.3f ms/s\n",
		floor_ms, t->hz, t->floor_wake_us, wake_ms, ms - wake_ms);
	fprintf(f, "Goal (whole sampler <= %.2f ms of CPU per second): %s", SB_GOAL_MS_PER_S,
		ms <= SB_GOAL_MS_PER_S ? "MET\n" : "NOT MET");
	if (ms > SB_GOAL_MS_PER_S)
		fprintf(f, ", by %.3f ms/s (x%.2f)\n", ms - SB_GOAL_MS_PER_S, ms / SB_GOAL_MS_PER_S);
	if (floor_ms > SB_GOAL_MS_PER_S)
		fprintf(f, "  On this machine the bare %u Hz loop alone (%.3f ms/s) is above the goal: it can\n"
			"  only hold where a wake-up costs less than %.1f µs of CPU.\n",
			t->hz, floor_ms, SB_GOAL_MS_PER_S * 1e3 / (t->wakeups_per_s > 0 ? t->wakeups_per_s : 1));
}

void sb_print_table(const struct sb_result *r, FILE *f)
{
	size_t i, j;
	struct bench_dist sw = wake_us_1khz(r);

	fprintf(f, "sampler_bench: sovereign-sampler on CPU %d (%s, priority %d), reader on CPU %d;\n"
		"  sim: %s; %.1f s measured per rate\n",
		r->cpu, r->rt ? "SCHED_FIFO" : "NOT real-time", r->priority, r->reader_cpu,
		r->sim_conf[0] ? r->sim_conf : "?", r->duration_s);

	fprintf(f, "\nCycle cost, ns (ring: <backend>-read-ns in cycles that read it; whole cycle: cycle_cost_ns)\n");
	fprintf(f, "  %-14s", "");
	for (i = 0; i < SB_NRATES; i++)
		fprintf(f, " %8u Hz med/p99  ", r->rate[i].hz);
	fprintf(f, "\n");
	for (j = 0; j < r->rate[0].nbackends; j++) {
		fprintf(f, "  %-14s", r->rate[0].be[j].name);
		for (i = 0; i < SB_NRATES; i++) {
			const struct bench_dist *d =
				j < r->rate[i].nbackends ? &r->rate[i].be[j].read_ns : NULL;

			fprintf(f, " %9.0f %9.0f  ", d ? d->p50 : NAN, d ? d->p99 : NAN);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "  %-14s", "whole cycle");
	for (i = 0; i < SB_NRATES; i++)
		fprintf(f, " %9.0f %9.0f  ", r->rate[i].cycle_ns.p50, r->rate[i].cycle_ns.p99);
	fprintf(f, "\n");

	fprintf(f, "\nCPU share of one core, %% (schedstat CPU time / wall time; floor: bare clock_nanosleep\n"
		"loop at the same rate on CPU %d, SCHED_FIFO one below the sampler)\n", r->cpu);
	fprintf(f, "  %7s %9s %9s %9s %9s %10s  %s\n", "rate", "share", "floor", "share-fl",
		"wakes/s", "floor/wake", "per thread: share % (wake-ups/s)");
	for (i = 0; i < SB_NRATES; i++) {
		const struct sb_rate *t = &r->rate[i];

		fprintf(f, "  %4u Hz %9.4f %9.4f %9.4f %9.1f %8.1fµs ", t->hz, t->share_pct, t->floor_pct,
			t->own_pct, t->wakeups_per_s, t->floor_wake_us);
		for (j = 0; j < t->nthreads; j++)
			fprintf(f, " %s %.4f (%.1f)", t->thr[j].name, t->thr[j].share_pct,
				t->thr[j].wakeups_per_s);
		fprintf(f, "\n");
	}

	fprintf(f, "\nEnd-to-end latency, µs (reader spinning on CPU %d)\n"
		"  deadline->visible: slot deadline (mono_ns) to the reader seeing it published\n"
		"  (= wake-up latency + cycle work up to publish + cross-core visibility);\n"
		"  change->reader: a hwmon file rewritten at a random phase to the reader seeing the\n"
		"  new value (= about half the channel's period + the above)\n", r->reader_cpu);
	fprintf(f, "  %7s %10s %10s %10s %10s %10s %6s %5s %9s\n", "rate", "vis p50", "vis p99",
		"chg p50", "chg p99", "chg mean", "trials", "lost", "ch.period");
	for (i = 0; i < SB_NRATES; i++) {
		const struct sb_rate *t = &r->rate[i];

		fprintf(f, "  %4u Hz %10.1f %10.1f %10.1f %10.1f %10.1f %6zu %5u %6u ms\n", t->hz,
			t->visible_ns.p50 / 1e3, t->visible_ns.p99 / 1e3, t->change_ns.p50 / 1e3,
			t->change_ns.p99 / 1e3, t->change_ns.mean / 1e3, t->change_ns.n, t->change_lost,
			t->change_period_ms);
	}

	fprintf(f, "\nWake-up latency at 1 kHz on CPU %d, µs, same run (sampler: sampler-wake-ns)\n", r->cpu);
	fprintf(f, "  %-18s %8s %8s %8s %8s %8s\n", "", "avg", "p50", "p99", "max", "n");
	fprintf(f, "  %-18s %8.1f %8.1f %8.1f %8.1f %8zu\n", "sovereign-sampler", sw.mean, sw.p50, sw.p99,
		sw.max, sw.n);
	if (r->ct.ran) {
		const struct bench_dist *c = &r->ct.lat_us;

		fprintf(f, "  %-18s %8.1f %8.1f %8.1f %8.1f %8zu\n", "cyclictest", c->mean, c->p50, c->p99,
			c->max, c->n);
		fprintf(f, "  %-18s %8.2f %8.2f %8.2f %8.2f\n", "ratio", sw.mean / c->mean,
			sw.p50 / c->p50, sw.p99 / c->p99, sw.max / c->max);
	} else {
		fprintf(f, "  cyclictest did not run\n");
	}
	for (i = 0; i < SB_NRATES; i++)
		if (r->rate[i].missed_samples)
			fprintf(f, "  note: the reader lost %llu samples at %u Hz\n",
				(unsigned long long)r->rate[i].missed_samples, r->rate[i].hz);
	print_verdict(r, f);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */

static cJSON *dist_json(const struct bench_dist *d, double scale)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "n", (double)d->n);
	/* cJSON writes NaN as null: a missing figure stays visible. */
	cJSON_AddNumberToObject(o, "mean", d->mean * scale);
	cJSON_AddNumberToObject(o, "p50", d->p50 * scale);
	cJSON_AddNumberToObject(o, "p99", d->p99 * scale);
	cJSON_AddNumberToObject(o, "max", d->max * scale);
	return o;
}

/* One run's figures as JSON. */
static cJSON *rate_json(const struct sb_rate *t)
{
	cJSON *o = cJSON_CreateObject(), *cpu, *thr, *be, *e2e;
	size_t j;

	cJSON_AddNumberToObject(o, "hz", t->hz);
	cJSON_AddNumberToObject(o, "window_s", t->window_s);
	cpu = cJSON_AddObjectToObject(o, "cpu");
	cJSON_AddNumberToObject(cpu, "share_pct", t->share_pct);
	cJSON_AddNumberToObject(cpu, "floor_pct", t->floor_pct);
	cJSON_AddNumberToObject(cpu, "share_minus_floor_pct", t->own_pct);
	cJSON_AddNumberToObject(cpu, "wakeups_per_s", t->wakeups_per_s);
	cJSON_AddNumberToObject(cpu, "floor_us_per_wakeup", t->floor_wake_us);
	thr = cJSON_AddArrayToObject(cpu, "threads");
	for (j = 0; j < t->nthreads; j++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "name", t->thr[j].name);
		cJSON_AddNumberToObject(x, "tid", t->thr[j].tid);
		cJSON_AddNumberToObject(x, "share_pct", t->thr[j].share_pct);
		cJSON_AddNumberToObject(x, "wakeups_per_s", t->thr[j].wakeups_per_s);
		cJSON_AddItemToArray(thr, x);
	}
	be = cJSON_AddObjectToObject(o, "backend_read_ns");
	for (j = 0; j < t->nbackends; j++)
		cJSON_AddItemToObject(be, t->be[j].name, dist_json(&t->be[j].read_ns, 1));
	cJSON_AddItemToObject(o, "cycle_ns", dist_json(&t->cycle_ns, 1));
	cJSON_AddItemToObject(o, "wake_ns", dist_json(&t->wake_ns, 1));
	e2e = cJSON_AddObjectToObject(o, "end_to_end");
	cJSON_AddItemToObject(e2e, "deadline_to_visible_ns", dist_json(&t->visible_ns, 1));
	cJSON_AddItemToObject(e2e, "sensor_change_to_reader_ns", dist_json(&t->change_ns, 1));
	cJSON_AddNumberToObject(e2e, "sensor_change_lost", t->change_lost);
	cJSON_AddNumberToObject(e2e, "changed_channel_period_ms", t->change_period_ms);
	cJSON_AddNumberToObject(o, "reader_missed_samples", (double)t->missed_samples);
	return o;
}

int sb_write_json(const struct sb_result *r, const char *path)
{
	cJSON *root = cJSON_CreateObject(), *rates, *w, *goal;
	struct bench_dist sw = wake_us_1khz(r);
	size_t i;

	if (!root)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "bench", "sampler_bench");
	cJSON_AddNumberToObject(root, "cpu", r->cpu);
	cJSON_AddNumberToObject(root, "reader_cpu", r->reader_cpu);
	cJSON_AddNumberToObject(root, "priority", r->priority);
	cJSON_AddBoolToObject(root, "sched_fifo", r->rt);
	cJSON_AddNumberToObject(root, "duration_s", r->duration_s);
	cJSON_AddStringToObject(root, "sim", r->sim_conf);
	rates = cJSON_AddArrayToObject(root, "rates");
	for (i = 0; i < SB_NRATES; i++)
		cJSON_AddItemToArray(rates, rate_json(&r->rate[i]));
	w = cJSON_AddObjectToObject(root, "wake_1khz_us");
	cJSON_AddItemToObject(w, "sampler", dist_json(&sw, 1));
	if (r->ct.ran) {
		cJSON_AddItemToObject(w, "cyclictest", dist_json(&r->ct.lat_us, 1));
		cJSON_AddNumberToObject(w, "ratio_mean", sw.mean / r->ct.lat_us.mean);
		cJSON_AddNumberToObject(w, "ratio_p99", sw.p99 / r->ct.lat_us.p99);
		cJSON_AddNumberToObject(w, "ratio_max", sw.max / r->ct.lat_us.max);
	}
	cJSON_AddItemToObject(root, "shipped", rate_json(&r->shipped));
	cJSON_AddStringToObject(root, "shipped_conf", r->shipped_conf);
	goal = cJSON_AddObjectToObject(root, "goal");
	cJSON_AddNumberToObject(goal, "max_ms_per_s", SB_GOAL_MS_PER_S);
	cJSON_AddNumberToObject(goal, "ms_per_s", r->shipped.share_pct * 10.0);
	cJSON_AddNumberToObject(goal, "floor_ms_per_s", r->shipped.floor_pct * 10.0);
	cJSON_AddNumberToObject(goal, "wakeups_per_s", r->shipped.wakeups_per_s);
	cJSON_AddBoolToObject(goal, "met", r->shipped.share_pct * 10.0 <= SB_GOAL_MS_PER_S);
	return bench_json_write(root, path);
}

/* ------------------------------------------------------------------ */
/* the plot                                                             */

int sb_write_plot(const struct sb_result *r, const char *path, const char *workdir)
{
	const struct sb_rate *k = rate_of(r, 1000);
	size_t len = strlen(path), i, top = 0;
	bool png = len > 4 && !strcmp(path + len - 4, ".png");
	char gp[4096];
	FILE *g;
	int ret;

	if (strchr(path, '\'') || strchr(path, '\n'))
		return -EINVAL; /* it goes into a gnuplot string */
	/* Show up to the 99.9th percentile of either (the max is in the title). */
	if (k) {
		uint64_t ns = 0, nc = 0;
		double a, b;

		for (i = 0; i <= SB_HIST_US; i++) {
			ns += k->wake_hist[i];
			nc += r->ct.hist[i];
		}
		a = ns ? hist_rank(k->wake_hist, SB_HIST_US + 1, ns, 0.999) : 0;
		b = nc ? hist_rank(r->ct.hist, SB_HIST_US + 1, nc, 0.999) : 0;
		top = (size_t)((a > b ? a : b) * 1.5) + 10;
		if (top > SB_HIST_US)
			top = SB_HIST_US;
	}
	snprintf(gp, sizeof(gp), "%s/plot.gp", workdir);
	g = fopen(gp, "we");
	if (!g)
		return -errno;
	fprintf(g, "set terminal %s size 1200,480 font ',10'\nset output '%s'\n",
		png ? "pngcairo" : "svg", path);
	fprintf(g, "$wake << EOD\n");
	for (i = 0; k && i <= top; i++)
		fprintf(g, "%zu %u %u\n", i, k->wake_hist[i], r->ct.hist[i]);
	fprintf(g, "EOD\n$cpu << EOD\n");
	for (i = 0; i < SB_NRATES; i++)
		fprintf(g, "%u %.6g %.6g %.6g\n", r->rate[i].hz, r->rate[i].share_pct,
			r->rate[i].floor_pct, r->rate[i].own_pct);
	fprintf(g, "EOD\n"
		"set multiplot layout 1,2 title 'sampler\\_bench: sovereign-sampler on CPU %d'\n"
		"set title 'Wake-up latency at 1 kHz, same run, same core (max: sampler %.0f µs, cyclictest %.0f µs)'\n"
		"set xlabel 'latency, µs (1 µs buckets)'\nset ylabel 'cycles'\nset logscale xy\n"
		"set xrange [1:%zu]\nset key top right\n"
		"plot $wake using 1:($2>0?$2:NaN) with steps lw 2 title 'sovereign-sampler (sampler-wake-ns)', "
		"$wake using 1:($3>0?$3:NaN) with steps lw 2 title 'cyclictest'\n"
		"unset xrange\nset title 'CPU share of its core'\nset logscale xy\n"
		"set xlabel 'loop rate, Hz'\nset ylabel '%% of one core'\nset xrange [0.5:2000]\n"
		"set key top left\n"
		"plot $cpu using 1:2 with linespoints lw 2 title 'sampler (all threads)', "
		"$cpu using 1:3 with linespoints lw 2 title 'floor: bare clock\\_nanosleep loop', "
		"$cpu using 1:($4>0?$4:NaN) with linespoints title 'sampler - floor', "
		"%g with lines dt 2 title 'goal %g ms/s (shipped config)'\n"
		"unset multiplot\n",
		r->cpu, k ? k->wake_ns.max / 1e3 : NAN, r->ct.lat_us.max, top + 1, SB_GOAL_MS_PER_S / 10.0,
		SB_GOAL_MS_PER_S);
	if (fclose(g))
		return -errno;
	ret = bench_gnuplot(NULL, gp, -1, NULL, 0);
	return ret == -ECHILD ? -EIO : ret;
}

/* ------------------------------------------------------------------ */
/* the check                                                            */

static int want(FILE *f, const char *what, unsigned hz, double v)
{
	if (isfinite(v) && v > 0)
		return 0;
	fprintf(f, "sampler_bench: check: %s at %u Hz is %g, not a positive finite figure\n", what, hz, v);
	return 1;
}

static int want_dist(FILE *f, const char *what, unsigned hz, const struct bench_dist *d)
{
	char w[96];
	int bad = 0;

	if (!d->n) {
		fprintf(f, "sampler_bench: check: no samples of %s at %u Hz\n", what, hz);
		return 1;
	}
	snprintf(w, sizeof(w), "%s median", what);
	bad += want(f, w, hz, d->p50);
	snprintf(w, sizeof(w), "%s p99", what);
	bad += want(f, w, hz, d->p99);
	snprintf(w, sizeof(w), "%s mean", what);
	bad += want(f, w, hz, d->mean);
	return bad;
}

/* The figures of one run (@t), present, positive and finite.  Return: failures. */
static int check_rate(const struct sb_rate *t, FILE *f)
{
	int bad = 0;
	size_t j;

	bad += want(f, "CPU share", t->hz, t->share_pct);
	bad += want(f, "wake-ups/s", t->hz, t->wakeups_per_s);
	bad += want(f, "floor share", t->hz, t->floor_pct);
	bad += want(f, "floor per wake-up", t->hz, t->floor_wake_us);
	if (!isfinite(t->own_pct)) {
		fprintf(f, "sampler_bench: check: share - floor at %u Hz is not finite\n", t->hz);
		bad++;
	}
	if (!t->nthreads) {
		fprintf(f, "sampler_bench: check: no per-thread CPU at %u Hz\n", t->hz);
		bad++;
	}
	for (j = 0; j < t->nthreads; j++)
		if (!isfinite(t->thr[j].share_pct) || t->thr[j].share_pct < 0) {
			fprintf(f, "sampler_bench: check: thread %s at %u Hz: share %g\n",
				t->thr[j].name, t->hz, t->thr[j].share_pct);
			bad++;
		}
	if (!t->nbackends) {
		fprintf(f, "sampler_bench: check: no <backend>-read-ns channel at %u Hz\n", t->hz);
		bad++;
	}
	for (j = 0; j < t->nbackends; j++)
		bad += want_dist(f, t->be[j].name, t->hz, &t->be[j].read_ns);
	bad += want_dist(f, "whole cycle", t->hz, &t->cycle_ns);
	bad += want_dist(f, "sampler-wake-ns", t->hz, &t->wake_ns);
	bad += want_dist(f, "deadline->visible", t->hz, &t->visible_ns);
	bad += want_dist(f, "sensor change->reader", t->hz, &t->change_ns);
	return bad;
}

int sb_check(const struct sb_result *r, FILE *f)
{
	struct bench_dist sw = wake_us_1khz(r);
	int bad = 0;
	size_t i;

	for (i = 0; i < SB_NRATES; i++)
		bad += check_rate(&r->rate[i], f);
	if (check_rate(&r->shipped, f)) {
		fprintf(f, "sampler_bench: check: (those at %u Hz: the shipped configuration's run)\n",
			r->shipped.hz);
		bad++;
	}
	bad += want_dist(f, "sampler wake (µs)", 1000, &sw);
	if (!r->ct.ran) {
		fprintf(f, "sampler_bench: check: no cyclictest figures\n");
		bad++;
	} else {
		bad += want_dist(f, "cyclictest", 1000, &r->ct.lat_us);
		bad += want(f, "cyclictest max", 1000, r->ct.lat_us.max);
	}
	return bad;
}
