/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_report.c - exporter_bench's ratios, sanity check, table, JSON and
 * gnuplot figure (contracts in eb_report.h).
 */
#define _GNU_SOURCE
#include "eb_report.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_out.h"
#include "bench_stats.h"

#define EB_GNUPLOT_MS 30000u
#define EB_INTERVAL_S 15.0 /* Prometheus's default scrape_interval */

static const char *const side_name[EB_SIDES_] = { "sovereign-exporter", "node_exporter" };
static const char *const side_key[EB_SIDES_] = { "ours", "node_exporter" };
static const char *const mode_name[EB_MODES_] = { "text", "gzip" };

void eb_summarise(struct eb_lat *l)
{
	struct bench_dist d = bench_dist_of(l->us, l->n);

	l->med_us = d.p50;
	l->p99_us = d.p99;
	l->mean_us = d.mean;
}

void eb_results_free(struct eb_results *r)
{
	for (int s = 0; s < EB_SIDES_; s++)
		for (int m = 0; m < EB_MODES_; m++) {
			free(r->s[s].lat[m].us);
			r->s[s].lat[m].us = NULL;
		}
}

/*
 * One line of the comparison.  `plus' is ours with the sampler's share
 * added (NAN where it does not apply).  The ratio is node/ours for costs and
 * ours/node for rates, so > 1 always means ours is better.
 */
struct eb_row {
	const char *key, *label, *unit;
	double ours, plus, node;
	bool higher_better;
	bool must_be_positive; /* checked by eb_check() */
};

#define EB_ROWS_MAX 24

static double per_1k(double cpu_s, double scrapes)
{
	return scrapes > 0 ? cpu_s / scrapes * 1000.0 : NAN;
}

static double ratio(const struct eb_row *w, double ours)
{
	if (!(ours > 0) || !(w->node > 0) || !isfinite(ours) || !isfinite(w->node))
		return NAN;
	return w->higher_better ? ours / w->node : w->node / ours;
}

/* Fill @w with the comparison rows of @r.  Return: the number of rows. */
static size_t rows(const struct eb_results *r, struct eb_row *w)
{
	const struct eb_server *o = &r->s[EB_OURS], *n = &r->s[EB_NODE];
	double so = (double)o->series_sensor, sn = (double)n->series_sensor;
	size_t k = 0;

	for (int m = 0; m < EB_MODES_; m++) {
		const struct eb_lat *lo = &o->lat[m], *ln = &n->lat[m];
		bool gz = m == EB_GZIP;

		w[k++] = (struct eb_row){ gz ? "latency_median_gzip_us" : "latency_median_text_us",
			gz ? "scrape latency median, gzip" : "scrape latency median, text", "us",
			lo->med_us, NAN, ln->med_us, false, true };
		w[k++] = (struct eb_row){ gz ? "latency_p99_gzip_us" : "latency_p99_text_us",
			gz ? "scrape latency p99, gzip" : "scrape latency p99, text", "us",
			lo->p99_us, NAN, ln->p99_us, false, true };
	}
	w[k++] = (struct eb_row){ "latency_median_text_per_series_ns",
		"  median per sensor series, text", "ns",
		o->lat[EB_PLAIN].med_us * 1e3 / so, NAN, n->lat[EB_PLAIN].med_us * 1e3 / sn, false, true };
	for (int m = 0; m < EB_MODES_; m++) {
		const struct eb_lat *lo = &o->lat[m], *ln = &n->lat[m];
		bool gz = m == EB_GZIP;

		w[k++] = (struct eb_row){ gz ? "cpu_s_per_1k_sequential_gzip" : "cpu_s_per_1k_sequential_text",
			gz ? "CPU per 1000 sequential scrapes, gzip" : "CPU per 1000 sequential scrapes, text",
			"s", per_1k(lo->cpu_s, (double)lo->n),
			per_1k(lo->cpu_s + lo->sampler_cpu_s, (double)lo->n), per_1k(ln->cpu_s, (double)ln->n),
			false, true };
	}
	w[k++] = (struct eb_row){ "wrk_scrapes_per_s", "scrapes/s under wrk -t2 -c8, text", "1/s",
		o->wrk_rps, NAN, n->wrk_rps, true, true };
	w[k++] = (struct eb_row){ "wrk_latency_p50_us", "  wrk latency p50", "us",
		o->wrk_p50_us, NAN, n->wrk_p50_us, false, true };
	w[k++] = (struct eb_row){ "wrk_latency_p99_us", "  wrk latency p99", "us",
		o->wrk_p99_us, NAN, n->wrk_p99_us, false, true };
	w[k++] = (struct eb_row){ "cpu_s_per_1k_wrk", "CPU per 1000 scrapes under wrk", "s",
		per_1k(o->wrk_cpu_s, (double)o->wrk_requests),
		per_1k(o->wrk_cpu_s + o->wrk_sampler_cpu_s, (double)o->wrk_requests),
		per_1k(n->wrk_cpu_s, (double)n->wrk_requests), false, true };
	w[k++] = (struct eb_row){ "cpu_ns_per_scrape_per_series_wrk", "  CPU per scrape per sensor series",
		"ns", per_1k(o->wrk_cpu_s, (double)o->wrk_requests) * 1e6 / so,
		per_1k(o->wrk_cpu_s + o->wrk_sampler_cpu_s, (double)o->wrk_requests) * 1e6 / so,
		per_1k(n->wrk_cpu_s, (double)n->wrk_requests) * 1e6 / sn, false, true };
	/* Idle: node_exporter does nothing between scrapes, so 0 is legitimate. */
	w[k++] = (struct eb_row){ "idle_cpu_ms_per_s", "CPU while nobody scrapes", "ms/s",
		o->idle_cpu_s * 1e3 / r->idle_secs,
		(o->idle_cpu_s + r->sampler_idle_cpu_s) * 1e3 / r->idle_secs,
		n->idle_cpu_s * 1e3 / r->idle_secs, false, false };
	/* What one Prometheus scraping every 15 s costs per scrape: the idle
	 * rendering between two scrapes plus one sequential scrape. */
	double io = o->idle_cpu_s / r->idle_secs * EB_INTERVAL_S;
	double is = r->sampler_idle_cpu_s / r->idle_secs * EB_INTERVAL_S;
	double in = n->idle_cpu_s / r->idle_secs * EB_INTERVAL_S;
	w[k++] = (struct eb_row){ "cpu_ms_per_scrape_at_15s", "CPU per scrape, one scrape every 15 s",
		"ms", io * 1e3 + per_1k(o->lat[EB_PLAIN].cpu_s, (double)o->lat[EB_PLAIN].n),
		(io + is) * 1e3 + per_1k(o->lat[EB_PLAIN].cpu_s + o->lat[EB_PLAIN].sampler_cpu_s,
					(double)o->lat[EB_PLAIN].n),
		in * 1e3 + per_1k(n->lat[EB_PLAIN].cpu_s, (double)n->lat[EB_PLAIN].n), false, true };
	w[k++] = (struct eb_row){ "rss_mib", "VmRSS after the runs", "MiB", o->rss_kb / 1024.0,
		(o->rss_kb + r->sampler_rss_kb) / 1024.0, n->rss_kb / 1024.0, false, true };
	w[k++] = (struct eb_row){ "hwm_mib", "VmHWM (peak RSS)", "MiB", o->hwm_kb / 1024.0,
		(o->hwm_kb + r->sampler_hwm_kb) / 1024.0, n->hwm_kb / 1024.0, false, true };
	return k;
}

static bool positive(double v)
{
	return isfinite(v) && v > 0;
}

bool eb_check(const struct eb_results *r, size_t min_series, FILE *err)
{
	struct eb_row w[EB_ROWS_MAX];
	size_t k = rows(r, w);
	bool ok = true;

	for (int s = 0; s < EB_SIDES_; s++) {
		if (r->s[s].series_sensor < min_series) {
			fprintf(err, "exporter_bench: FAIL %s serves %zu sensor series (< %zu)\n",
				side_name[s], r->s[s].series_sensor, min_series);
			ok = false;
		}
		for (int m = 0; m < EB_MODES_; m++)
			if (!positive(r->s[s].lat[m].wire_bytes)) {
				fprintf(err, "exporter_bench: FAIL %s %s: no bytes received\n",
					side_name[s], mode_name[m]);
				ok = false;
			}
	}
	for (size_t i = 0; i < k; i++) {
		const struct eb_row *x = &w[i];
		bool good = x->must_be_positive
			? positive(x->ours) && positive(x->node) && (isnan(x->plus) || positive(x->plus)) &&
			  positive(ratio(x, x->ours))
			: isfinite(x->ours) && isfinite(x->node) && x->ours >= 0 && x->node >= 0;

		if (!good) {
			fprintf(err, "exporter_bench: FAIL %s: ours %g, node_exporter %g\n", x->key, x->ours,
				x->node);
			ok = false;
		}
	}
	if (!positive(r->sampler_rss_kb) || !isfinite(r->sampler_idle_cpu_s)) {
		fprintf(err, "exporter_bench: FAIL sampler figures missing\n");
		ok = false;
	}
	return ok;
}

static void cell(FILE *f, double v, int width)
{
	if (isnan(v))
		fprintf(f, " %*s", width, "-");
	else
		fprintf(f, " %*.4g", width, v);
}

void eb_print_table(const struct eb_results *r, FILE *f)
{
	const struct eb_server *o = &r->s[EB_OURS], *n = &r->s[EB_NODE];
	struct eb_row w[EB_ROWS_MAX];
	size_t k = rows(r, w);

	fprintf(f, "exporter_bench: sovereign-exporter (ours) vs node_exporter %s (hwmon collector only)\n",
		r->node_version);
	fprintf(f, "same fixture tree: %u socket(s), %u DIMMs, %u fans; %ld CPUs, %s\n", r->sockets,
		r->dimms, r->fans, r->ncpu,
		r->pinned ? "servers pinned to CPU 1, clients to CPU 0"
			  : "nothing pinned (clients and servers share the CPUs)");
	fprintf(f, "series per scrape: ours %zu (%zu sensor series: values, limits, window min/max), "
		"node_exporter %zu (%zu node_hwmon_*)\n",
		o->series_total, o->series_sensor, n->series_total, n->series_sensor);
	fprintf(f, "body: ours %zu B text / %.0f B gzip; node_exporter %zu B text / %.0f B gzip\n",
		o->body_bytes, o->lat[EB_GZIP].wire_bytes, n->body_bytes, n->lat[EB_GZIP].wire_bytes);
	fprintf(f, "%u sequential keep-alive scrapes per server and format, alternating; "
		"wrk %u s per server; idle %.1f s\n", r->scrapes, r->wrk_secs, r->idle_secs);
	fprintf(f, "+sampler: ours plus sovereign-sampler over the same interval (it reads the sensors; "
		"the exporter does not)\n");
	fprintf(f, "RATIO = node_exporter/ours for costs, ours/node_exporter for scrapes/s: "
		"> 1 MEANS OURS IS BETTER\n\n");
	fprintf(f, "%-40s %5s %11s %11s %11s %8s %9s\n", "metric", "unit", "ours", "+sampler",
		"node_exp", "ratio", "ratio(+s)");
	for (size_t i = 0; i < k; i++) {
		fprintf(f, "%-40s %5s", w[i].label, w[i].unit);
		cell(f, w[i].ours, 11);
		cell(f, w[i].plus, 11);
		cell(f, w[i].node, 11);
		cell(f, ratio(&w[i], w[i].ours), 8);
		cell(f, isnan(w[i].plus) ? NAN : ratio(&w[i], w[i].plus), 9);
		fputc('\n', f);
	}
}

/* Add @v as a number, or null when it is not finite. */
static void json_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *json_server(const struct eb_results *r, int s)
{
	const struct eb_server *x = &r->s[s];
	cJSON *o = cJSON_CreateObject(), *lat = cJSON_AddObjectToObject(o, "sequential");

	cJSON_AddStringToObject(o, "name", side_name[s]);
	cJSON_AddNumberToObject(o, "series_total", (double)x->series_total);
	cJSON_AddNumberToObject(o, "series_sensor", (double)x->series_sensor);
	cJSON_AddNumberToObject(o, "body_bytes", (double)x->body_bytes);
	for (int m = 0; m < EB_MODES_; m++) {
		const struct eb_lat *l = &x->lat[m];
		cJSON *j = cJSON_AddObjectToObject(lat, mode_name[m]);

		cJSON_AddNumberToObject(j, "scrapes", (double)l->n);
		json_num(j, "median_us", l->med_us);
		json_num(j, "p99_us", l->p99_us);
		json_num(j, "mean_us", l->mean_us);
		json_num(j, "wire_bytes", l->wire_bytes);
		json_num(j, "cpu_s", l->cpu_s);
		if (s == EB_OURS)
			json_num(j, "sampler_cpu_s", l->sampler_cpu_s);
	}
	cJSON *w = cJSON_AddObjectToObject(o, "wrk");
	json_num(w, "scrapes_per_s", x->wrk_rps);
	cJSON_AddNumberToObject(w, "requests", (double)x->wrk_requests);
	json_num(w, "secs", x->wrk_secs);
	json_num(w, "p50_us", x->wrk_p50_us);
	json_num(w, "p99_us", x->wrk_p99_us);
	json_num(w, "cpu_s", x->wrk_cpu_s);
	if (s == EB_OURS)
		json_num(w, "sampler_cpu_s", x->wrk_sampler_cpu_s);
	json_num(o, "idle_cpu_s", x->idle_cpu_s);
	cJSON_AddNumberToObject(o, "vmrss_kb", (double)x->rss_kb);
	cJSON_AddNumberToObject(o, "vmhwm_kb", (double)x->hwm_kb);
	return o;
}

int eb_write_json(const struct eb_results *r, const char *path)
{
	struct eb_row w[EB_ROWS_MAX];
	size_t k = rows(r, w);
	cJSON *root = cJSON_CreateObject(), *cfg, *smp, *arr;

	if (!root)
		return -ENOMEM;
	cfg = cJSON_AddObjectToObject(root, "config");
	cJSON_AddNumberToObject(cfg, "sockets", r->sockets);
	cJSON_AddNumberToObject(cfg, "dimms", r->dimms);
	cJSON_AddNumberToObject(cfg, "fans", r->fans);
	cJSON_AddNumberToObject(cfg, "scrapes", r->scrapes);
	cJSON_AddNumberToObject(cfg, "wrk_secs", r->wrk_secs);
	cJSON_AddNumberToObject(cfg, "idle_secs", r->idle_secs);
	cJSON_AddBoolToObject(cfg, "pinned", r->pinned);
	cJSON_AddNumberToObject(cfg, "ncpu", (double)r->ncpu);
	cJSON_AddStringToObject(cfg, "node_exporter_version", r->node_version);
	cJSON_AddStringToObject(cfg, "ratio", "node_exporter/ours for costs, ours/node_exporter for "
				"rates: > 1 means ours is better");
	for (int s = 0; s < EB_SIDES_; s++)
		cJSON_AddItemToObject(root, side_key[s], json_server(r, s));
	smp = cJSON_AddObjectToObject(root, "sampler");
	json_num(smp, "idle_cpu_s", r->sampler_idle_cpu_s);
	cJSON_AddNumberToObject(smp, "vmrss_kb", (double)r->sampler_rss_kb);
	cJSON_AddNumberToObject(smp, "vmhwm_kb", (double)r->sampler_hwm_kb);
	arr = cJSON_AddArrayToObject(root, "comparison");
	for (size_t i = 0; i < k; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "key", w[i].key);
		cJSON_AddStringToObject(x, "unit", w[i].unit);
		json_num(x, "ours", w[i].ours);
		json_num(x, "ours_with_sampler", w[i].plus);
		json_num(x, "node_exporter", w[i].node);
		json_num(x, "ratio", ratio(&w[i], w[i].ours));
		json_num(x, "ratio_with_sampler", isnan(w[i].plus) ? NAN : ratio(&w[i], w[i].plus));
		cJSON_AddBoolToObject(x, "higher_is_better", w[i].higher_better);
		cJSON_AddItemToArray(arr, x);
	}
	return bench_json_write(root, path);
}

/* Latency quantile curves, one gnuplot data block per server and mode. */
static int plot_data(const struct eb_results *r, const char *path)
{
	struct eb_row w[EB_ROWS_MAX];
	size_t k = rows(r, w);
	char rpath[4200];
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	for (int s = 0; s < EB_SIDES_; s++)
		for (int m = 0; m < EB_MODES_; m++) {
			const struct eb_lat *l = &r->s[s].lat[m];

			fprintf(f, "# %s %s\n", side_name[s], mode_name[m]);
			for (size_t i = 0; i < l->n; i++)
				fprintf(f, "%.4f %.3f\n", 100.0 * ((double)i + 0.5) / (double)l->n, l->us[i]);
			fputs("\n\n", f);
		}
	if (fclose(f) != 0)
		return -errno;
	snprintf(rpath, sizeof(rpath), "%s.ratios", path);
	f = fopen(rpath, "we");
	if (!f)
		return -errno;
	for (size_t i = 0; i < k; i++) {
		double x = ratio(&w[i], w[i].ours);

		if (isfinite(x))
			fprintf(f, "%s %.6g\n", w[i].key, x);
	}
	return fclose(f) != 0 ? -errno : 0;
}

int eb_write_plot(const struct eb_results *r, const char *path, const char *workdir,
		  const char *gnuplot)
{
	const char *ext = strrchr(path, '.');
	char dat[4096], gp[4096], log[4096];
	const char *term;
	int ret;
	FILE *f;

	if (ext && strcmp(ext, ".svg") == 0)
		term = "svg size 1300,560 dynamic font 'sans,11'";
	else if (ext && strcmp(ext, ".png") == 0)
		term = "pngcairo size 1300,560 font 'sans,10'";
	else
		return -EINVAL;
	if (strchr(path, '\'') || strchr(workdir, '\''))
		return -EINVAL; /* the paths go into single-quoted gnuplot strings */
	snprintf(dat, sizeof(dat), "%s/plot.dat", workdir);
	snprintf(gp, sizeof(gp), "%s/plot.gp", workdir);
	snprintf(log, sizeof(log), "%s/gnuplot.log", workdir);
	ret = plot_data(r, dat);
	if (ret)
		return ret;
	f = fopen(gp, "we");
	if (!f)
		return -errno;
	fprintf(f,
		"set terminal %s\n"
		"set output '%s'\n"
		"set multiplot layout 1,2 title 'sovereign-exporter vs node\\_exporter %s, same hwmon tree "
		"(%zu vs %zu sensor series)'\n"
		"set title 'sequential keep-alive scrape latency (%u scrapes each)'\n"
		"set xlabel 'quantile (%%)'\nset ylabel 'latency (us)'\nset logscale y\n"
		"set key top left\nset grid\n"
		"plot '%s' index 0 using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'ours, text', \\\n"
		"     '%s' index 1 using 1:2 with lines lw 2 dt 2 lc rgb '#1f77b4' title 'ours, gzip', \\\n"
		"     '%s' index 2 using 1:2 with lines lw 2 lc rgb '#d62728' title 'node\\_exporter, text', \\\n"
		"     '%s' index 3 using 1:2 with lines lw 2 dt 2 lc rgb '#d62728' title 'node\\_exporter, gzip'\n"
		"unset xlabel\nset title 'node\\_exporter / ours (rates: ours / node\\_exporter); > 1: ours is better'\n"
		"set ylabel 'ratio (log)'\nset style fill solid 0.6\nset boxwidth 0.7\nset key off\n"
		"set xtics rotate by -40 noenhanced font ',8'\nset offsets 0.5, 0.5, graph 0.1, graph 0.05\n"
		"set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb 'black'\n"
		/* bars grow from 1: up and green where ours is better, down and red where not */
		"plot '%s.ratios' using 0:2:($0-0.35):($0+0.35):($2<1?$2:1):($2<1?1:$2):"
		"($2<1?0xd62728:0x2ca02c):xtic(1) with boxxyerror fs solid 0.6 lc rgb variable, "
		"'' using 0:2:(sprintf('%%.3g', $2)) with labels offset 0,0.7 font ',8'\n"
		"unset multiplot\n",
		term, path, r->node_version, r->s[EB_OURS].series_sensor, r->s[EB_NODE].series_sensor,
		r->scrapes, dat, dat, dat, dat, dat);
	if (fclose(f) != 0)
		return -errno;
	ret = bench_gnuplot(gnuplot, gp, -1, log, EB_GNUPLOT_MS);
	return ret == -ECHILD ? -EPROTO : ret;
}
