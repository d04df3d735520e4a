/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * report.c - smi_jitter's summary, table, JSON and gnuplot plot (see report.h).
 */
#define _GNU_SOURCE
#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_out.h"
#include "report.h"

static const char *const mode_key[JIT_NMODES] = { "baseline", "loaded" };

/* Stolen % of @r less its runqueue wait, or NAN when that was not read. */
static double run_excl_pct(const struct jit_bench *b, const struct jit_run *r)
{
	double stolen = 0.0, span = 0.0;

	for (int c = 0; c < b->ncpus; c++) {
		if (!r->cell[c].sched_valid)
			return NAN;
		stolen += r->cell[c].stolen_ns - r->cell[c].run_delay_ns;
		span += r->cell[c].dur_ns;
	}
	return span > 0.0 ? 100.0 * stolen / span : 0.0;
}

double jit_run_stolen_pct(const struct jit_bench *b, const struct jit_run *r)
{
	double stolen = 0.0, span = 0.0;

	for (int c = 0; c < b->ncpus; c++) {
		stolen += r->cell[c].stolen_ns;
		span += r->cell[c].dur_ns;
	}
	return span > 0.0 ? 100.0 * stolen / span : 0.0;
}

int report_summarize(const struct jit_bench *b, struct jit_summary *s)
{
	double *x, *d, *e;
	int nd = 0, ne = 0;

	memset(s, 0, sizeof(*s));
	x = calloc((size_t)b->nruns + 1, sizeof(*x));
	d = calloc((size_t)b->nruns + 1, sizeof(*d));
	e = calloc((size_t)b->nruns + 1, sizeof(*e));
	if (!x || !d || !e) {
		free(x);
		free(d);
		free(e);
		return -ENOMEM;
	}
	for (int m = 0; m < JIT_NMODES; m++) {
		struct jit_mode_sum *ms = &s->mode[m];
		int n = 0;

		for (int k = 0; k < IRQ_NKINDS; k++)
			ms->irq_valid[k] = true;
		ms->smi_valid = ms->ipi_valid = ms->sched_valid = true;
		for (int i = 0; i < b->nruns; i++) {
			const struct jit_run *r = &b->runs[i];

			if (r->mode != (enum jit_mode)m)
				continue;
			x[n++] = jit_run_stolen_pct(b, r);
			ms->scrapes_ok += r->scrapes_ok;
			ms->scrapes_failed += r->scrapes_failed;
			for (int c = 0; c < b->ncpus; c++) {
				const struct jit_cell *cl = &r->cell[c];

				ms->seconds += cl->dur_ns / 1e9;
				ms->gaps_per_s += (double)cl->count;    /* divided below */
				if (cl->max_ns > ms->max_gap_ns)
					ms->max_gap_ns = cl->max_ns;
				for (int k = 0; k < JIT_NBUCKETS; k++)
					ms->hist[k] += cl->hist[k];
				ms->sched_valid &= cl->sched_valid;
				ms->nivcsw += cl->nivcsw;
				ms->run_delay_ns += cl->run_delay_ns;
				for (int k = 0; k < IRQ_NKINDS; k++) {
					ms->irq[k] += cl->irq[k];
					ms->irq_valid[k] &= cl->irq_valid[k];
				}
				ms->smi += cl->smi;
				ms->smi_valid &= cl->smi_valid;
				ms->ipi_valid &= cl->ipi_valid;
				for (int k = 0; k < IPI_NSENDERS; k++) {
					ms->ipi.cal[k] += cl->ipi.cal[k];
					ms->ipi.res[k] += cl->ipi.res[k];
				}
			}
		}
		ms->runs = n;
		if (n)
			stats_mean_ci(x, n, JIT_CI_LEVEL, &ms->stolen_pct);
		if (ms->seconds > 0.0)
			ms->gaps_per_s /= ms->seconds;
		if (!n)
			ms->smi_valid = ms->ipi_valid = ms->sched_valid = false;
	}
	/* Paired differences: run i of B against run i of A (same pair index). */
	for (int i = 0; i < b->nruns; i++) {
		if (b->runs[i].mode != JIT_LOADED)
			continue;
		for (int j = 0; j < b->nruns; j++)
			if (b->runs[j].mode == JIT_BASELINE && b->runs[j].pair == b->runs[i].pair) {
				double ex = run_excl_pct(b, &b->runs[i]) - run_excl_pct(b, &b->runs[j]);

				d[nd++] = jit_run_stolen_pct(b, &b->runs[i]) -
					  jit_run_stolen_pct(b, &b->runs[j]);
				if (!isnan(ex))
					e[ne++] = ex;
			}
	}
	if (ne >= 2 && ne == nd) {
		s->have_excl = true;
		stats_mean_ci(e, ne, JIT_CI_LEVEL, &s->overhead_excl_pct);
	}
	if (nd >= 2) {
		s->have_overhead = true;
		stats_mean_ci(d, nd, JIT_CI_LEVEL, &s->overhead_pct);
		s->pass = s->overhead_pct.hi < b->bar_pct;
	}
	free(x);
	free(d);
	free(e);
	return 0;
}

static void fmt_rate(char *buf, size_t n, bool valid, uint64_t v, double secs)
{
	if (!valid || secs <= 0.0)
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.1f", (double)v / secs);
}

void report_table(FILE *f, const struct jit_bench *b, const struct jit_summary *s)
{
	fprintf(f, "\n%-34s %4s %24s %8s %9s %7s %7s %7s %7s %6s %s\n", "mode", "runs",
		"stolen % (95% CI)", "gaps/s", "max gap", "CAL/s", "LOC/s", "RES/s", "TLB/s",
		"SMIs", "sampler IPIs (CAL/RES)");
	for (int m = 0; m < JIT_NMODES; m++) {
		const struct jit_mode_sum *ms = &s->mode[m];
		char rate[IRQ_NKINDS][24], smi[24], ipi[48], ci[40];

		if (!ms->runs)
			continue;
		for (int k = 0; k < IRQ_NKINDS; k++)
			fmt_rate(rate[k], sizeof(rate[k]), ms->irq_valid[k], ms->irq[k], ms->seconds);
		if (ms->smi_valid)
			snprintf(smi, sizeof(smi), "%" PRIu64, ms->smi);
		else
			snprintf(smi, sizeof(smi), "n/a");
		if (ms->ipi_valid)
			snprintf(ipi, sizeof(ipi), "%" PRIu64 "/%" PRIu64, ms->ipi.cal[IPI_SAMPLER],
				 ms->ipi.res[IPI_SAMPLER]);
		else
			snprintf(ipi, sizeof(ipi), "n/a");
		if (ms->runs > 1)
			snprintf(ci, sizeof(ci), "%.3f [%.3f,%.3f]", ms->stolen_pct.mean,
				 ms->stolen_pct.lo, ms->stolen_pct.hi);
		else
			snprintf(ci, sizeof(ci), "%.3f", ms->stolen_pct.mean);
		fprintf(f, "%-34s %4d %24s %8.1f %7.1fus %7s %7s %7s %7s %6s %s\n",
			b->mode_label[m], ms->runs, ci, ms->gaps_per_s, ms->max_gap_ns / 1e3,
			rate[IRQ_CAL], rate[IRQ_LOC], rate[IRQ_RES], rate[IRQ_TLB], smi, ipi);
	}
	if (s->have_overhead)
		fprintf(f, "\noverhead (B - A, %d paired runs): %+.3f %% of the core, 95%% CI "
			"[%+.3f, %+.3f] %%  ->  %s (upper bound %s %.2f %%)\n",
			s->overhead_pct.n, s->overhead_pct.mean, s->overhead_pct.lo,
			s->overhead_pct.hi, s->pass ? "PASS" : "FAIL", s->pass ? "<" : ">=",
			b->bar_pct);
	else if (b->modes[JIT_LOADED] && b->modes[JIT_BASELINE])
		fprintf(f, "\noverhead: fewer than 2 complete pairs, no confidence interval\n");
	if (s->have_excl)
		fprintf(f, "  without other tasks' runqueue wait: %+.3f %%, 95%% CI [%+.3f, %+.3f] %% "
			"(secondary: blind to work the stack causes on the core)\n",
			s->overhead_excl_pct.mean, s->overhead_excl_pct.lo,
			s->overhead_excl_pct.hi);
	for (int m = 0; m < JIT_NMODES; m++) {
		const struct jit_mode_sum *ms = &s->mode[m];

		if (ms->runs && ms->sched_valid && ms->seconds > 0)
			fprintf(f, "%s: other tasks preempted the loop %.1f times/s, runqueue wait "
				"%.3f %% of the core\n", mode_key[m], (double)ms->nivcsw / ms->seconds,
				ms->run_delay_ns / 1e7 / ms->seconds);
	}
	for (int c = 0; c < b->ncpus; c++)
		fprintf(f, "SMI count, cpu %d: %s\n", b->cpus[c], b->smi_what[c]);
	fprintf(f, "IPI attribution: %s\n", b->ipi_what);
	if (b->ipi_on) {
		for (int m = 0; m < JIT_NMODES; m++) {
			const struct jit_mode_sum *ms = &s->mode[m];

			if (!ms->runs || !ms->ipi_valid)
				continue;
			fprintf(f, "  %s: IPIs to measured cores by sender (CAL/RES):", mode_key[m]);
			for (int k = 0; k < IPI_NSENDERS; k++)
				fprintf(f, " %s %" PRIu64 "/%" PRIu64, ipi_sender_name[k],
					ms->ipi.cal[k], ms->ipi.res[k]);
			fputc('\n', f);
		}
	}
}

static cJSON *ci_json(const struct stats_ci *ci)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "mean", ci->mean);
	cJSON_AddNumberToObject(o, "lo", ci->lo);
	cJSON_AddNumberToObject(o, "hi", ci->hi);
	cJSON_AddNumberToObject(o, "sd", ci->sd);
	cJSON_AddNumberToObject(o, "n", ci->n);
	cJSON_AddNumberToObject(o, "level", ci->level);
	return o;
}

static cJSON *u64_array(const uint64_t *v, int n)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
	return a;
}

static cJSON *irq_json(const uint64_t *v, const bool *valid)
{
	cJSON *o = cJSON_CreateObject();

	for (int k = 0; k < IRQ_NKINDS; k++) {
		if (valid[k])
			cJSON_AddNumberToObject(o, irq_kind_name[k], (double)v[k]);
		else
			cJSON_AddNullToObject(o, irq_kind_name[k]);
	}
	return o;
}

static cJSON *ipi_json(bool valid, const struct ipi_counts *c)
{
	cJSON *o, *cal, *res;

	if (!valid)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cal = cJSON_AddObjectToObject(o, "CAL");
	res = cJSON_AddObjectToObject(o, "RES");
	for (int k = 0; k < IPI_NSENDERS; k++) {
		cJSON_AddNumberToObject(cal, ipi_sender_name[k], (double)c->cal[k]);
		cJSON_AddNumberToObject(res, ipi_sender_name[k], (double)c->res[k]);
	}
	return o;
}

static cJSON *cell_json(const struct jit_cell *cl, bool gaps)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "cpu", cl->cpu);
	cJSON_AddNumberToObject(o, "duration_s", cl->dur_ns / 1e9);
	cJSON_AddNumberToObject(o, "gaps", (double)cl->count);
	cJSON_AddNumberToObject(o, "stolen_ns", cl->stolen_ns);
	cJSON_AddNumberToObject(o, "stolen_pct",
				cl->dur_ns > 0 ? 100.0 * cl->stolen_ns / cl->dur_ns : 0.0);
	cJSON_AddNumberToObject(o, "max_gap_ns", cl->max_ns);
	cJSON_AddNumberToObject(o, "loops", (double)cl->loops);
	if (cl->sched_valid) {
		cJSON_AddNumberToObject(o, "involuntary_switches", (double)cl->nivcsw);
		cJSON_AddNumberToObject(o, "run_delay_ns", cl->run_delay_ns);
	} else {
		cJSON_AddNullToObject(o, "involuntary_switches");
		cJSON_AddNullToObject(o, "run_delay_ns");
	}
	cJSON_AddItemToObject(o, "hist", u64_array(cl->hist, JIT_NBUCKETS));
	cJSON_AddItemToObject(o, "irq", irq_json(cl->irq, cl->irq_valid));
	if (cl->smi_valid)
		cJSON_AddNumberToObject(o, "smi", (double)cl->smi);
	else
		cJSON_AddNullToObject(o, "smi");
	cJSON_AddItemToObject(o, "ipi", ipi_json(cl->ipi_valid, &cl->ipi));
	cJSON_AddNumberToObject(o, "gaps_kept", (double)cl->ngaps);
	cJSON_AddNumberToObject(o, "gaps_dropped", (double)cl->gaps_dropped);
	if (gaps) {
		cJSON *a = cJSON_AddArrayToObject(o, "gap_list");

		/* [start ns since the run's start, length ns] */
		for (size_t i = 0; i < cl->ngaps; i++) {
			cJSON *p = cJSON_CreateArray();

			cJSON_AddItemToArray(p, cJSON_CreateNumber(round(cl->gap_t_ns[i])));
			cJSON_AddItemToArray(p, cJSON_CreateNumber(round(cl->gap_len_ns[i])));
			cJSON_AddItemToArray(a, p);
		}
	}
	return o;
}

int report_json(const char *path, const struct jit_bench *b, const struct jit_summary *s,
		bool gaps)
{
	cJSON *root = cJSON_CreateObject(), *o, *modes, *runs;
	double edges[JIT_NBUCKETS - 1];

	cJSON_AddStringToObject(root, "tool", "smi_jitter");
	o = cJSON_AddObjectToObject(root, "tsc");
	cJSON_AddNumberToObject(o, "hz", b->tsc.hz);
	cJSON_AddBoolToObject(o, "constant_tsc", b->tsc.constant);
	cJSON_AddBoolToObject(o, "nonstop_tsc", b->tsc.nonstop);
	o = cJSON_AddObjectToObject(root, "setup");
	cJSON_AddItemToObject(o, "cpus", cJSON_CreateIntArray(b->cpus, b->ncpus));
	cJSON_AddNumberToObject(o, "housekeeping_cpu", b->hk_cpu);
	cJSON_AddNumberToObject(o, "fifo_prio", b->fifo_prio);
	cJSON_AddNumberToObject(o, "duration_s", b->duration_s);
	cJSON_AddNumberToObject(o, "threshold_ns", b->threshold_ns);
	cJSON_AddNumberToObject(o, "sampler_rate_hz", b->rate_hz);
	cJSON_AddNumberToObject(o, "scrape_hz", b->scrape_hz);
	cJSON_AddNumberToObject(o, "bar_pct", b->bar_pct);
	cJSON_AddStringToObject(o, "sampler_config", b->sampler_config);
	o = cJSON_AddObjectToObject(root, "smi_source");
	for (int c = 0; c < b->ncpus; c++) {
		char k[16];

		snprintf(k, sizeof(k), "%d", b->cpus[c]);
		cJSON_AddStringToObject(o, k, b->smi_what[c]);
	}
	cJSON_AddStringToObject(root, "ipi_attribution", b->ipi_what);
	for (int i = 0; i < JIT_NBUCKETS - 1; i++)
		edges[i] = jit_bucket_edge_ns[i];
	cJSON_AddItemToObject(root, "hist_edges_ns", cJSON_CreateDoubleArray(edges,
								       JIT_NBUCKETS - 1));
	modes = cJSON_AddObjectToObject(root, "modes");
	for (int m = 0; m < JIT_NMODES; m++) {
		const struct jit_mode_sum *ms = &s->mode[m];

		if (!ms->runs)
			continue;
		o = cJSON_AddObjectToObject(modes, mode_key[m]);
		cJSON_AddStringToObject(o, "label", b->mode_label[m]);
		cJSON_AddNumberToObject(o, "runs", ms->runs);
		cJSON_AddItemToObject(o, "stolen_pct", ci_json(&ms->stolen_pct));
		cJSON_AddNumberToObject(o, "gaps_per_s", ms->gaps_per_s);
		cJSON_AddNumberToObject(o, "max_gap_ns", ms->max_gap_ns);
		cJSON_AddNumberToObject(o, "core_seconds", ms->seconds);
		cJSON_AddItemToObject(o, "hist", u64_array(ms->hist, JIT_NBUCKETS));
		if (ms->sched_valid) {
			cJSON_AddNumberToObject(o, "involuntary_switches", (double)ms->nivcsw);
			cJSON_AddNumberToObject(o, "run_delay_ns", ms->run_delay_ns);
		} else {
			cJSON_AddNullToObject(o, "involuntary_switches");
			cJSON_AddNullToObject(o, "run_delay_ns");
		}
		cJSON_AddItemToObject(o, "irq", irq_json(ms->irq, ms->irq_valid));
		if (ms->smi_valid)
			cJSON_AddNumberToObject(o, "smi", (double)ms->smi);
		else
			cJSON_AddNullToObject(o, "smi");
		cJSON_AddItemToObject(o, "ipi", ipi_json(ms->ipi_valid, &ms->ipi));
		cJSON_AddNumberToObject(o, "scrapes_ok", (double)ms->scrapes_ok);
		cJSON_AddNumberToObject(o, "scrapes_failed", (double)ms->scrapes_failed);
	}
	if (s->have_overhead) {
		o = cJSON_AddObjectToObject(root, "overhead");
		cJSON_AddStringToObject(o, "what", "stolen % loaded - baseline, paired runs");
		cJSON_AddItemToObject(o, "pct", ci_json(&s->overhead_pct));
		cJSON_AddNumberToObject(o, "bar_pct", b->bar_pct);
		cJSON_AddBoolToObject(o, "pass", s->pass);
		if (s->have_excl)
			cJSON_AddItemToObject(o, "pct_excl_runqueue_wait",
					      ci_json(&s->overhead_excl_pct));
	} else {
		cJSON_AddNullToObject(root, "overhead");
	}
	runs = cJSON_AddArrayToObject(root, "runs");
	for (int i = 0; i < b->nruns; i++) {
		const struct jit_run *r = &b->runs[i];
		cJSON *cores;

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "mode", mode_key[r->mode]);
		cJSON_AddNumberToObject(o, "pair", r->pair);
		cJSON_AddNumberToObject(o, "start_s", r->start_s);
		cJSON_AddNumberToObject(o, "stolen_pct", jit_run_stolen_pct(b, r));
		cJSON_AddNumberToObject(o, "scrapes_ok", (double)r->scrapes_ok);
		cJSON_AddNumberToObject(o, "scrapes_failed", (double)r->scrapes_failed);
		cores = cJSON_AddArrayToObject(o, "cores");
		for (int c = 0; c < b->ncpus; c++)
			cJSON_AddItemToArray(cores, cell_json(&r->cell[c], gaps));
		cJSON_AddItemToArray(runs, o);
	}
	return bench_json_write(root, path);
}

int report_plot(const char *path, const struct jit_bench *b, const struct jit_summary *s)
{
	static const char *const color[JIT_NMODES] = { "#1f77b4", "#d62728" };
	char gp[4096], title[160];
	bool svg;
	size_t len = strlen(path);
	FILE *f;
	int x = 0;

	svg = len > 4 && !strcmp(path + len - 4, ".svg");
	snprintf(gp, sizeof(gp), "%s.gp", path);
	f = fopen(gp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# smi_jitter plot; rerun with: gnuplot %s\n", gp);
	fprintf(f, "set terminal %s size 1400,560 font 'sans,11' noenhanced\n"
		"set output '%s'\n",
		svg ? "svg dynamic" : "pngcairo", path);
	/* Histogram: gaps per core-second in each bucket, at the bucket's geometric middle. */
	for (int m = 0; m < JIT_NMODES; m++) {
		const struct jit_mode_sum *ms = &s->mode[m];

		fprintf(f, "$hist%d << EOD\n", m);
		for (int k = 0; ms->runs && k < JIT_NBUCKETS; k++) {
			double lo = k ? jit_bucket_edge_ns[k - 1] : jit_bucket_edge_ns[0] / 2;
			double hi = k < JIT_NBUCKETS - 1 ? jit_bucket_edge_ns[k] : lo * 2;

			if (ms->hist[k])
				fprintf(f, "%g %g\n", sqrt(lo * hi) / 1e3,
					(double)ms->hist[k] / ms->seconds);
		}
		fprintf(f, "EOD\n");
	}
	fprintf(f, "$bars << EOD\n");
	for (int m = 0; m < JIT_NMODES; m++) {
		const struct jit_mode_sum *ms = &s->mode[m];

		if (ms->runs)
			fprintf(f, "%d \"%s\" %g %g %g\n", x++, m ? "loaded (B)" : "baseline (A)",
				ms->stolen_pct.mean, ms->stolen_pct.lo, ms->stolen_pct.hi);
	}
	if (s->have_overhead)
		fprintf(f, "%d \"overhead B-A\" %g %g %g\n", x++, s->overhead_pct.mean,
			s->overhead_pct.lo, s->overhead_pct.hi);
	fprintf(f, "EOD\n");
	snprintf(title, sizeof(title), "smi_jitter: cpu%s %d, %.1f s runs, threshold %.0f ns",
		 b->ncpus > 1 ? "s" : "", b->cpus[0], b->duration_s, b->threshold_ns);
	fprintf(f, "set multiplot layout 1,2 title '%s'\n", title);
	fprintf(f, "set title 'gap length histogram'\nset logscale xy\nset grid\n"
		"set xlabel 'gap length (us)'\nset ylabel 'gaps per core-second'\n"
		"set key top right\nplot ");
	for (int m = 0, first = 1; m < JIT_NMODES; m++) {
		if (!s->mode[m].runs)
			continue;
		fprintf(f, "%s$hist%d using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' title '%s'",
			first ? "" : ", ", m, color[m], b->mode_label[m]);
		first = 0;
	}
	fprintf(f, "\nunset logscale\nset title 'stolen time (mean, %.0f%% CI)'\n"
		"set xlabel ''\nset ylabel '%% of the core'\nset xrange [-0.6:%d.6]\n"
		"set yrange [*:*]\nset style fill solid 0.35\nset boxwidth 0.5\n"
		"set arrow from -0.6,%g to %d.6,%g nohead dt 2 lc rgb 'black'\n"
		"set label 'bar %.2f %%' at %d.5,%g right offset 0,0.7\n"
		"plot $bars using 1:3:xtic(2) with boxes lc rgb '#888888' notitle, "
		"$bars using 1:3:4:5 with yerrorbars lw 2 pt 7 lc rgb 'black' notitle\n"
		"unset multiplot\n", JIT_CI_LEVEL * 100, x - 1, b->bar_pct, x - 1, b->bar_pct,
		b->bar_pct, x - 1, b->bar_pct);
	if (fclose(f))
		return -errno;
	return bench_gnuplot(NULL, gp, b->hk_cpu, NULL, 0);
}
