/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_fleet_core.c - fleet.conf (tools/fleet/conf.c) and the hooks
 * (tools/fleet/hook.c) of the orchestrator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "internal.h"

static char dir[64], conf[128], err[FLEET_ERR];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sov-fleet-core-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/fleet.conf", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void write_conf(const char *text)
{
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

#define BASE "[fleet]\ntokens_file = /etc/sovereign/fleet.tokens\n"

/* load_fails() - loading @text fails with -EINVAL and @err has @line and @want. */
static void load_fails(const char *text, const char *line, const char *want)
{
	struct fleet_inventory *inv = NULL;

	write_conf(text);
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), -EINVAL, "%s", text);
	cr_assert_null(inv);
	cr_assert(strstr(err, line), "no '%s' in: %s", line, err);
	cr_assert(strstr(err, want), "no '%s' in: %s", want, err);
}

TestSuite(conf, .init = setup, .fini = teardown);

Test(conf, the_shipped_example_loads_with_its_defaults)
{
	struct fleet_inventory *inv;

	cr_assert_eq(fleet_inventory_load(SOV_FLEET_EXAMPLE, &inv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inv->nserver, 0);
	cr_assert_str_eq(inv->listen, "127.0.0.1:9180");
	cr_assert_eq(inv->budget_percent, 25);
	cr_assert(inv->reset_dry_run, "dry run by default: a reset is only recorded");
	cr_assert_str_eq(inv->node_down_alerts, "SovereignNodeDown,SovereignExporterDown");
	fleet_inventory_free(inv);
}

Test(conf, servers_and_hooks)
{
	struct fleet_inventory *inv;
	const struct fleet_server *s;

	write_conf(BASE "[server n-1.a]\nexporter = 10.0.0.1:9100\nbmc_url = https://10.0.1.1\n"
		   "credentials = /etc/pw\npool = p\ndrain = /usr/bin/ssh root@{id} drain now\n"
		   "undrain = https://lb.example/up\n"
		   "[server n2]\nexporter = 10.0.0.2:9100\n");
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inv->nserver, 2);
	s = fleet_inventory_find(inv, "n-1.a");
	cr_assert_not_null(s);
	cr_assert_str_eq(s->drain.argv[0], "/usr/bin/ssh");
	cr_assert_str_eq(s->drain.argv[1], "root@{id}");
	cr_assert_str_eq(s->drain.argv[3], "now");
	cr_assert_null(s->drain.argv[4]);
	cr_assert_str_eq(s->undrain.url, "https://lb.example/up");
	cr_assert_str_eq(s->bmc_user, "admin");
	cr_assert_str_eq(fleet_inventory_find(inv, "n2")->pool, "default");
	cr_assert_null(fleet_inventory_find(inv, "n3"));
	fleet_inventory_free(inv);
}

Test(conf, every_refusal_names_file_and_line)
{
	load_fails(BASE "budget_procent = 10\n", "fleet.conf:3", "budget_percent");
	load_fails(BASE "budget_percent = 0\n", "fleet.conf:3", "budget_percent");
	load_fails("[fleet]\nlisten = 127.0.0.1:1\n", "fleet.conf", "tokens_file is required");
	load_fails(BASE "[server a b]\nexporter = h:1\n", "fleet.conf:3", "server id");
	load_fails(BASE "[server a]\nbmc_url = https://x\n", "fleet.conf:3", "exporter");
	load_fails(BASE "[server a]\nexporter = nohostport\n", "fleet.conf:4", "host:port");
	load_fails(BASE "[server a]\nexporter = h:1\nbmc_url = https://x\n", "fleet.conf:5",
		   "credentials");
	load_fails(BASE "[server a]\nexporter = h:1\ndrain = lb-drain {id}\n", "fleet.conf:5",
		   "absolute path");
	load_fails(BASE "[server a]\nexporter = h:1\nbmc_url = ftp://x\n", "fleet.conf:5",
		   "http");
	load_fails(BASE "[emergency]\ndry_run = maybe\n", "fleet.conf:4", "dry_run");
	load_fails(BASE "tls_cert = /c.pem\n", "fleet.conf:3", "both");
}

Test(conf, hostile_files_are_refused_with_a_reason)
{
	struct fleet_inventory *inv = NULL;
	char big[150];

	write_conf("");
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "empty"), "%s", err);
	write_conf(BASE "[server \xff\xfe]\nexporter = h:1\n");
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "UTF-8"), "%s", err);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char text[8192];

		snprintf(text, sizeof(text), BASE "[server a]\nexporter = h:1\nrack = %s\n", big);
		write_conf(text);
	}
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "rack") && strstr(err, "longer"), "%s", err);
	cr_assert_eq(fleet_inventory_load("/nonexistent/fleet.conf", &inv, err, sizeof(err)),
		     -ENOENT);
}

/* ---- hooks ---------------------------------------------------------------- */

TestSuite(hook, .init = setup, .fini = teardown);

static void script(const char *name, const char *body, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, 0755), 0);
}

Test(hook, command_gets_the_id_and_no_shell)
{
	struct fleet_hook h = { 0 };
	char path[128], out[128], log[256] = "";
	FILE *f;

	snprintf(out, sizeof(out), "%s/args", dir);
	script("h", "printf '%s|' \"$@\" > \"$1\"", path, sizeof(path));
	h.argv[0] = path;
	h.argv[1] = out;
	h.argv[2] = "node-{id}";
	h.argv[3] = "$(touch /tmp/pwned);{id}";
	cr_assert_eq(fleet_hook_run(&h, "n7", 10, err, sizeof(err)), 0, "%s", err);
	f = fopen(out, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(log, sizeof(log), f));
	fclose(f);
	snprintf(path, sizeof(path), "%s|node-n7|$(touch /tmp/pwned);n7|", out);
	cr_assert_str_eq(log, path, "the words reach the command as they are, {id} replaced");
}

Test(hook, failure_says_exit_status_and_first_stderr_line)
{
	struct fleet_hook h = { 0 };
	char path[128];

	script("h", "echo 'lb: node not found' >&2; echo second >&2; exit 3", path, sizeof(path));
	h.argv[0] = path;
	cr_assert_eq(fleet_hook_run(&h, "n1", 10, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "exit 3") && strstr(err, "lb: node not found"), "%s", err);
	cr_assert_null(strstr(err, "second"), "%s", err);
}

Test(hook, a_hung_hook_is_killed_at_its_time_limit)
{
	struct fleet_hook h = { 0 };
	struct timespec t0, t1;
	char path[128];

	/* a child that keeps stderr open and never exits */
	script("h", "sleep 60 & sleep 60", path, sizeof(path));
	h.argv[0] = path;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(fleet_hook_run(&h, "n1", 1, err, sizeof(err)), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 4, "killed after its 1 s, not later");
	cr_assert(strstr(err, "killed"), "%s", err);
}

Test(hook, missing_program)
{
	struct fleet_hook h = { 0 };

	h.argv[0] = "/nonexistent/lb-drain";
	cr_assert_eq(fleet_hook_run(&h, "n1", 5, err, sizeof(err)), -EIO);
	cr_assert(strstr(err, "exit 127") && strstr(err, "cannot run"), "%s", err);
}

/* An inventory is data: 10,000 servers with labels and hooks (~2.5 MiB, over the 1 MiB of a
 * daemon's configuration) load, each found by id. */
Test(conf, ten_thousand_servers)
{
	struct fleet_inventory *inv;
	struct stat sb;
	FILE *f = fopen(conf, "w");

	cr_assert_not_null(f);
	fputs(BASE, f);
	for (int i = 0; i < 10000; i++)
		fprintf(f, "[server gpu-node-%05d]\nexporter = 10.%d.%d.%d:9100\n"
			   "bmc_url = https://10.%d.%d.%d\ncredentials = /etc/sovereign/bmc/n%05d\n"
			   "rack = r%03d\npool = llm-%c\ndrain = /usr/local/bin/lb-drain {id}\n"
			   "bmc_wake = /usr/bin/ssh -o BatchMode=yes root@{id} sovereign-bmc wake\n",
			i, 1 + i / 65536, (i / 256) % 256, i % 256, 2 + i / 65536, (i / 256) % 256,
			i % 256, i, i / 40, 'a' + i % 4);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(stat(conf, &sb), 0);
	cr_assert_gt(sb.st_size, 1 << 20, "the file is over a daemon's 1 MiB");
	cr_assert_eq(fleet_inventory_load(conf, &inv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inv->nserver, 10000);
	cr_assert_str_eq(fleet_inventory_find(inv, "gpu-node-09999")->rack, "r249");
	cr_assert_str_eq(fleet_inventory_find(inv, "gpu-node-00003")->bmc_wake.argv[3],
			 "root@{id}");
	fleet_inventory_free(inv);
}
