/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * eb_report.h - exporter_bench's results: the figures of one run, their
 * ratios, the sanity check, and the table, JSON and gnuplot outputs.
 * Filled by exporter_bench.c; nothing here starts a server.
 */
#ifndef EB_REPORT_H
#define EB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum eb_mode { EB_PLAIN, EB_GZIP, EB_MODES_ };

enum eb_side { EB_OURS, EB_NODE, EB_SIDES_ };

/* Sequential scrapes of one server in one mode. */
struct eb_lat {
	double *us;          /* sorted scrape latencies, µs; owned (eb_results_free) */
	size_t n;
	double med_us, p99_us, mean_us;
	double wire_bytes;   /* mean bytes received per scrape */
	double cpu_s;        /* server CPU over the mode's interleaved run */
	double sampler_cpu_s; /* sampler CPU over the same interval (EB_OURS only) */
};

/* Everything measured about one server. */
struct eb_server {
	size_t series_total;   /* sample lines of one scrape */
	size_t series_sensor;  /* sensor series: ours with sensor="", node_hwmon_* */
	size_t body_bytes;     /* uncompressed exposition size */
	struct eb_lat lat[EB_MODES_];
	double wrk_rps;        /* scrapes/s under wrk */
	uint64_t wrk_requests;
	double wrk_secs;
	double wrk_p50_us, wrk_p99_us;
	double wrk_cpu_s;      /* server CPU over its wrk run */
	double wrk_sampler_cpu_s; /* sampler CPU over this server's wrk run */
	double idle_cpu_s;     /* server CPU over the idle interval */
	uint64_t rss_kb, hwm_kb; /* after the runs */
};

struct eb_results {
	/* the run */
	unsigned sockets, dimms, fans;
	unsigned scrapes;      /* per server and mode */
	unsigned wrk_secs;
	double idle_secs;
	bool pinned;
	long ncpu;
	char node_version[32];
	/* the figures */
	struct eb_server s[EB_SIDES_];
	double sampler_idle_cpu_s;
	uint64_t sampler_rss_kb, sampler_hwm_kb;
};

/*
 * eb_summarise: sort @l->us and fill median, p99 (GSL: interpolated between
 * the neighbouring samples) and mean.  Needs l->n > 0.
 */
void eb_summarise(struct eb_lat *l);

/*
 * eb_check: is every figure present, positive and finite, and does each
 * server serve >= @min_series sensor series?  Prints each failure to @err.
 * Return: true if all is well.
 */
bool eb_check(const struct eb_results *r, size_t min_series, FILE *err);

/* eb_print_table: the human table with ratios to @f. */
void eb_print_table(const struct eb_results *r, FILE *f);

/* eb_write_json: the results as JSON into @path.  Return: 0 or -errno. */
int eb_write_json(const struct eb_results *r, const char *path);

/*
 * eb_write_plot: a gnuplot figure (.svg, or .png by extension) into @path:
 * the scrape-latency quantiles of both servers and the ratio bars.  Writes
 * its data and script into @workdir and runs @gnuplot.
 * Return: 0, -EINVAL for another extension, -EPROTO if gnuplot failed, or -errno.
 */
int eb_write_plot(const struct eb_results *r, const char *path, const char *workdir,
		  const char *gnuplot);

/* eb_results_free: release the latency samples of @r. */
void eb_results_free(struct eb_results *r);

#endif /* EB_REPORT_H */
