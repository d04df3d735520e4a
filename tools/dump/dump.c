/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump.c - sovereign-dump: what `sensors` is to lm-sensors.  Attaches to the
 * segment read-only like any reader and prints its header, sensor table,
 * newest samples and events as a table or JSON; --follow keeps printing.
 * This file: options and main; the parts are named in dump.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "opt.h"
#include "shm_names.h"
#include "sovereign.h"

#include "dump.h"

/* Options. */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [OPTION]...\n"
		"Print the Sovereign shared-memory segment: header, sensor table, newest\n"
		"sample(s) and events.  Attaches read-only, like any reader.\n"
		"\n"
		"  -n, --name NAME     segment name (default " SOV_SHM_DEFAULT_NAME ")\n"
		"  -j, --json          one JSON document (with --follow: one object per line)\n"
		"  -f, --follow        then print new samples and events until SIGINT/SIGTERM\n"
		"  -i, --interval MS   --follow poll interval, 1..%d ms (default %d)\n"
		"  -s, --samples N     print the last N samples, newest first (default: the newest)\n"
		"  -E, --no-events     leave the event ring out\n"
		"  -h, --help          this help\n"
		"  -V, --version       version and segment ABI\n"
		"\n"
		"Exit status: 0 on success, 1 on any error.\n",
		DUMP_INTERVAL_MAX_MS, DUMP_INTERVAL_DEFAULT_MS);
}

/* @s as the decimal value of option @name in [1, @max] (opt.h); a refusal says why. */
static int parse_u32(const char *name, const char *s, long long max, uint32_t *out)
{
	struct sov_opt_err err;
	long long v;

	if (sov_opt_int(name, s, 1, max, &v, &err)) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Return: 0 to run, 1 to exit 0 (--help, --version), -EINVAL on misuse. */
static int parse_args(int argc, char **argv, struct dump_opts *o)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ "interval", required_argument, NULL, 'i' },
		{ "samples", required_argument, NULL, 's' },
		{ "no-events", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct dump_opts){
		.name = SOV_SHM_DEFAULT_NAME,
		.interval_ms = DUMP_INTERVAL_DEFAULT_MS,
	};
	while ((c = getopt_long(argc, argv, "n:jfi:s:EhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->name = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'i':
			if (parse_u32("--interval", optarg, DUMP_INTERVAL_MAX_MS, &o->interval_ms))
				return -EINVAL;
			break;
		case 's':
			if (parse_u32("--samples", optarg, SOV_NSLOTS_MAX, &o->nsamples))
				return -EINVAL;
			break;
		case 'E':
			o->no_events = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROG " %s (segment ABI %u.%u)\n", SOV_VERSION, SOV_ABI_MAJOR,
			       SOV_ABI_MINOR);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* What to try when attaching fails with @rc. */
static const char *attach_hint(int rc)
{
	switch (rc) {
	case -ENOENT:        return " (is the sampler running?)";
	case -EACCES:        return " (is this user in the segment's group?)";
	case -SOV_ENOTREADY: return " (try again in a moment)";
	case -EINVAL:        return " (a name is \"/x\": one leading slash, no other)";
	}
	return "";
}

int main(int argc, char **argv)
{
	struct dump d = { 0 };
	int rc, tries;

	rc = parse_args(argc, argv, &d.o);
	if (rc)
		return rc > 0 ? 0 : 1;

	rc = sov_reader_open(d.o.name, NULL, &d.r);
	if (rc) {
		fprintf(stderr, PROG ": cannot attach to %s: %s%s\n", d.o.name, sov_strerror(rc),
			attach_hint(rc));
		return 1;
	}
	d.sample = sov_sample_alloc(d.r);
	if (!d.sample) {
		rc = -ENOMEM;
		fprintf(stderr, PROG ": sample buffer: %s\n", sov_strerror(rc));
		goto out_close_reader;
	}

	/* A writer restarting under a one-shot dump: attach to the new one. */
	for (tries = 0; tries < DUMP_RESTART_TRIES; tries++) {
		rc = dump_once(&d);
		if (rc != -SOV_ERESTARTED)
			break;
		rc = sov_reader_reattach(d.r);
		if (rc)
			break;
		sov_sample_free(d.sample);
		d.sample = sov_sample_alloc(d.r);
		if (!d.sample) {
			rc = -ENOMEM;
			break;
		}
		rc = -SOV_ERESTARTED;
	}
	if (rc) {
		fprintf(stderr, PROG ": reading %s: %s%s\n", d.o.name, sov_strerror(rc),
			attach_hint(rc));
		goto out_free_sample;
	}
	if (d.o.follow) {
		rc = follow(&d);
		if (rc) {
			fprintf(stderr, PROG ": following %s: %s\n", d.o.name, sov_strerror(rc));
			goto out_free_sample;
		}
	}
	if (fflush(stdout) || ferror(stdout)) {
		rc = -EIO;
		fprintf(stderr, PROG ": writing output: %s\n", sov_strerror(rc));
		goto out_free_sample;
	}

out_free_sample:
	sov_sample_free(d.sample);
	free(d.sensors);
out_close_reader:
	sov_reader_close(d.r);
	return rc ? 1 : 0;
}
