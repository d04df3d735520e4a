// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - sovereign-fleet, the orchestrator: load fleet.conf, start the
 * HTTP API and the engine, reload on SIGHUP, stop on SIGTERM/SIGINT.  Runs
 * on a management node, never on an inference server.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "internal.h"

#define FLEET_CONF_DEFAULT "/etc/sovereign/fleet.conf"

static volatile sig_atomic_t stop_sig, hup_sig;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_sig = 1;
	else
		stop_sig = sig;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sovereign-fleet [-c FILE] [--check]\n"
		   "  -c, --config FILE  default " FLEET_CONF_DEFAULT "\n"
		   "      --check        check the configuration and the store, then exit\n"
		   "  -h, --help         this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = FLEET_CONF_DEFAULT;
	struct sigaction sa = { .sa_handler = on_signal };
	struct fleet_api *api = NULL;
	struct fleet *f = NULL;
	char err[FLEET_ERR];
	bool check = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = fleet_open(conf, &f, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sovereign-fleet: %s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: %zu servers, store %s: ok\n", conf, f->inv->nserver, f->ops->name);
		fleet_close(f);
		return 0;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = fleet_api_start(f, &api, err, sizeof(err));
	if (!rc)
		rc = fleet_engine_start(f, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sovereign-fleet: %s\n", err);
		fleet_api_stop(api);
		fleet_close(f);
		return 1;
	}
	sd_notify(0, "READY=1");
	sd_journal_send("MESSAGE=sovereign-fleet: %zu servers, listening on %s, store %s",
			f->inv->nserver, f->inv->listen, f->ops->name, "PRIORITY=%d", LOG_INFO,
			"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
	while (!stop_sig) {
		pause();
		if (hup_sig) {
			hup_sig = 0;
			sd_notify(0, "RELOADING=1");
			if (fleet_reload(f, err, sizeof(err)))
				sd_journal_send("MESSAGE=reload refused: %s", err, "PRIORITY=%d",
						LOG_ERR, "SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
			else
				sd_journal_send("MESSAGE=inventory reloaded", "PRIORITY=%d", LOG_INFO,
						"SYSLOG_IDENTIFIER=sovereign-fleet", NULL);
			sd_notify(0, "READY=1");
		}
	}
	sd_notify(0, "STOPPING=1");
	fleet_api_stop(api);
	fleet_close(f);
	curl_global_cleanup();
	return 0;
}
