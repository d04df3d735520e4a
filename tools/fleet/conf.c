// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conf.c - fleet.conf, the orchestrator's inventory: [fleet] settings,
 * [emergency] limits and one [server ID] per server.  Read with the
 * project's strict INI reader: an unknown key or section or a bad value is
 * an error naming file:line (a [server ID] repeated continues the first, as
 * every section of the project's INI files does).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fleet.h"

static const char *const fleet_keys[] = { "listen", "tls_cert", "tls_key", "tokens_file",
					  "store", "file_sd_dir", "prometheus_url",
					  "budget_percent", "max_concurrent", "drain_timeout_s",
					  "smi_flat_s", "task_timeout_s", "bmc_reboot_timeout_s",
					  "poll_ms", NULL };
static const char *const emergency_keys[] = { "dry_run", "max_concurrent", "per_hour",
					      "reset_types", "alerts", NULL };
static const char *const server_keys[] = { "exporter", "bmc_url", "bmc_user", "credentials",
					   "bmc_ca_file", "bmc_insecure", "rack",
					   "pool", "drain", "undrain", "bmc_wake",
					   "bmc_standby", "inactive_query", "firmware_image",
					   "firmware_version", NULL };

static const struct rt_conf_schema fleet_schema[] = {
	{ "fleet", RT_CONF_NO_ARG, fleet_keys, NULL },
	{ "emergency", RT_CONF_NO_ARG, emergency_keys, NULL },
	{ "server", RT_CONF_ARG, server_keys, NULL },
};

static int int_key(const struct rt_conf_section *s, const char *key, long long lo, long long hi,
		   long long def, int *out, struct rt_err *err)
{
	long long v;
	int rc = rt_conf_int(s, key, lo, hi, def, &v, err);

	if (!rc)
		*out = (int)v;
	return rc;
}

static int abs_path(const struct rt_conf_section *s, const char *key, char *out, size_t len,
		    struct rt_err *err)
{
	int rc = rt_conf_str(s, key, "", out, len, err);

	if (!rc && out[0] && out[0] != '/')
		rc = rt_conf_errorf(err, s, key, "'%s' is not an absolute path", out);
	return rc;
}

static bool is_url(const char *v)
{
	return !strncmp(v, "http://", 7) || !strncmp(v, "https://", 8);
}

static int url_key(const struct rt_conf_section *s, const char *key, char *out, size_t len,
		   struct rt_err *err)
{
	int rc = rt_conf_str(s, key, "", out, len, err);

	if (!rc && out[0] && !is_url(out))
		rc = rt_conf_errorf(err, s, key, "'%s' is not an http:// or https:// URL", out);
	return rc;
}

/* hook() - "http(s)://..." or a command: words split on blanks, no shell. */
static int hook(const struct rt_conf_section *s, const char *key, struct fleet_hook *h,
		struct rt_err *err)
{
	const char *v = rt_conf_get(s, key);
	char *copy, *save = NULL, *w;
	int n = 0;

	memset(h, 0, sizeof(*h));
	if (!v || !*v)
		return 0;
	if (is_url(v)) {
		if (strlen(v) >= sizeof(h->url))
			return rt_conf_errorf(err, s, key, "URL longer than %zu bytes",
					      sizeof(h->url) - 1);
		strcpy(h->url, v);
		return 0;
	}
	if (v[0] != '/')
		return rt_conf_errorf(err, s, key,
				      "'%s': a command is an absolute path and its arguments "
				      "(no shell), or an http(s):// URL", v);
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == FLEET_ARGV_MAX) {
			free(copy);
			for (n = 0; h->argv[n]; n++)
				free(h->argv[n]);
			memset(h, 0, sizeof(*h));
			return rt_conf_errorf(err, s, key, "more than %d words", FLEET_ARGV_MAX);
		}
		h->argv[n++] = strdup(w);
	}
	free(copy);
	return 0;
}

static void hook_free(struct fleet_hook *h)
{
	for (int i = 0; h->argv[i]; i++)
		free(h->argv[i]);
	memset(h, 0, sizeof(*h));
}

static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (!n || n >= FLEET_ID_MAX)
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int load_server(const struct rt_conf_section *s, struct fleet_server *v,
		       struct rt_err *err)
{
	int rc;

	if (!id_ok(s->arg))
		return rt_conf_errorf(err, s, NULL,
				      "server id '%s': 1 to %d of A-Z a-z 0-9 . _ -", s->arg,
				      FLEET_ID_MAX - 1);
	strcpy(v->id, s->arg);
	rc = rt_conf_str(s, "exporter", "", v->exporter, sizeof(v->exporter), err);
	if (!rc && !v->exporter[0])
		rc = rt_conf_errorf(err, s, NULL, "exporter (host:port) is required");
	if (!rc && !strchr(v->exporter, ':'))
		rc = rt_conf_errorf(err, s, "exporter", "'%s' is not host:port", v->exporter);
	if (!rc)
		rc = url_key(s, "bmc_url", v->bmc_url, sizeof(v->bmc_url), err);
	if (!rc)
		rc = rt_conf_str(s, "bmc_user", "admin", v->bmc_user, sizeof(v->bmc_user), err);
	if (!rc)
		rc = abs_path(s, "credentials", v->credentials, sizeof(v->credentials), err);
	if (!rc)
		rc = abs_path(s, "bmc_ca_file", v->bmc_ca_file, sizeof(v->bmc_ca_file), err);
	if (!rc)
		rc = rt_conf_bool(s, "bmc_insecure", false, &v->bmc_insecure, err);
	if (!rc && v->bmc_url[0] && !v->credentials[0])
		rc = rt_conf_errorf(err, s, "bmc_url", "a BMC needs credentials (its password in a 0600 file)");
	if (!rc)
		rc = rt_conf_str(s, "rack", "", v->rack, sizeof(v->rack), err);
	if (!rc)
		rc = rt_conf_str(s, "pool", "default", v->pool, sizeof(v->pool), err);
	if (!rc)
		rc = hook(s, "drain", &v->drain, err);
	if (!rc)
		rc = hook(s, "undrain", &v->undrain, err);
	if (!rc)
		rc = hook(s, "bmc_wake", &v->bmc_wake, err);
	if (!rc)
		rc = hook(s, "bmc_standby", &v->bmc_standby, err);
	if (!rc)
		rc = rt_conf_str(s, "inactive_query", "", v->inactive_query,
				 sizeof(v->inactive_query), err);
	if (!rc)
		rc = rt_conf_str(s, "firmware_image", "", v->firmware_image,
				 sizeof(v->firmware_image), err);
	if (!rc)
		rc = rt_conf_str(s, "firmware_version", "", v->firmware_version,
				 sizeof(v->firmware_version), err);
	return rc;
}

static int load_fleet(const struct rt_config *cfg, struct fleet_inventory *inv,
		      struct rt_err *err)
{
	const struct rt_conf_section *s = rt_config_section(cfg, "fleet", NULL);
	const struct rt_conf_section *e = rt_config_section(cfg, "emergency", NULL);
	int rc = rt_conf_str(s, "listen", "127.0.0.1:9180", inv->listen, sizeof(inv->listen), err);

	if (!rc)
		rc = abs_path(s, "tls_cert", inv->tls_cert, sizeof(inv->tls_cert), err);
	if (!rc)
		rc = abs_path(s, "tls_key", inv->tls_key, sizeof(inv->tls_key), err);
	if (!rc && !inv->tls_cert[0] != !inv->tls_key[0])
		rc = rt_conf_errorf(err, s, inv->tls_cert[0] ? "tls_cert" : "tls_key",
				    "TLS needs both tls_cert and tls_key");
	if (!rc)
		rc = abs_path(s, "tokens_file", inv->tokens_file, sizeof(inv->tokens_file), err);
	if (!rc && !inv->tokens_file[0])
		rc = rt_config_errorf(err, cfg, s ? s->line : 0,
				      "[fleet] tokens_file is required: every state change is "
				      "authenticated");
	if (!rc)
		rc = rt_conf_str(s, "store", "sqlite:/var/lib/sovereign/fleet.db", inv->store,
				 sizeof(inv->store), err);
	if (!rc)
		rc = abs_path(s, "file_sd_dir", inv->file_sd_dir, sizeof(inv->file_sd_dir), err);
	if (!rc)
		rc = url_key(s, "prometheus_url", inv->prometheus_url, sizeof(inv->prometheus_url),
			     err);
	if (!rc)
		rc = int_key(s, "budget_percent", 1, 100, 25, &inv->budget_percent, err);
	if (!rc)
		rc = int_key(s, "max_concurrent", 1, 10000, 4, &inv->max_concurrent, err);
	if (!rc)
		rc = int_key(s, "drain_timeout_s", 1, 86400, 600, &inv->drain_timeout_s, err);
	if (!rc)
		rc = int_key(s, "smi_flat_s", 0, 3600, 30, &inv->smi_flat_s, err);
	if (!rc)
		rc = int_key(s, "task_timeout_s", 10, 86400, 3600, &inv->task_timeout_s, err);
	if (!rc)
		rc = int_key(s, "bmc_reboot_timeout_s", 10, 3600, 600, &inv->bmc_reboot_timeout_s,
			     err);
	if (!rc)
		rc = int_key(s, "poll_ms", 10, 60000, 1000, &inv->poll_ms, err);
	if (!rc)
		rc = rt_conf_bool(e, "dry_run", true, &inv->reset_dry_run, err);
	if (!rc)
		rc = int_key(e, "max_concurrent", 1, 1000, 1, &inv->reset_max_concurrent, err);
	if (!rc)
		rc = int_key(e, "per_hour", 1, 100000, 4, &inv->reset_per_hour, err);
	if (!rc)
		rc = rt_conf_str(e, "reset_types", "ForceRestart,PowerCycle", inv->reset_types,
				 sizeof(inv->reset_types), err);
	if (!rc)
		rc = rt_conf_str(e, "alerts", "SovereignNodeDown,SovereignExporterDown",
				 inv->node_down_alerts, sizeof(inv->node_down_alerts), err);
	return rc;
}

int fleet_inventory_load(const char *path, struct fleet_inventory **out, char *errbuf,
			 size_t errlen)
{
	struct fleet_inventory *inv = calloc(1, sizeof(*inv));
	struct rt_config cfg;
	struct rt_err err = { "" };
	size_t i, n = 0;
	int rc;

	if (!inv)
		return -ENOMEM;
	/* 10,000 servers with hooks and labels are ~5 MiB: the inventory's own limit */
	rc = rt_config_load_max(path, FLEET_CONF_MAX_BYTES, &cfg, &err);
	if (rc) {
		free(inv);
		snprintf(errbuf, errlen, "%s", err.msg);
		return rc;
	}
	rc = rt_config_check(&cfg, fleet_schema, sizeof(fleet_schema) / sizeof(fleet_schema[0]),
			     &err);
	if (!rc)
		rc = load_fleet(&cfg, inv, &err);
	for (i = 0; i < cfg.nsec; i++)
		n += !strcmp(cfg.sec[i].name, "server");
	inv->server = calloc(n ? n : 1, sizeof(*inv->server));
	if (!rc && !inv->server)
		rc = -ENOMEM;
	for (i = 0; !rc && i < cfg.nsec; i++) {
		const struct rt_conf_section *s = &cfg.sec[i];

		if (strcmp(s->name, "server"))
			continue;
		rc = load_server(s, &inv->server[inv->nserver], &err);
		inv->nserver++; /* counted even on failure: freed below */
	}
	rt_config_free(&cfg);
	if (rc) {
		snprintf(errbuf, errlen, "%s", err.msg);
		fleet_inventory_free(inv);
		return rc;
	}
	inv->refs = 1;
	*out = inv;
	return 0;
}

void fleet_inventory_free(struct fleet_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->nserver; i++) {
		hook_free(&inv->server[i].drain);
		hook_free(&inv->server[i].undrain);
		hook_free(&inv->server[i].bmc_wake);
		hook_free(&inv->server[i].bmc_standby);
	}
	free(inv->server);
	free(inv);
}

const struct fleet_server *fleet_inventory_find(const struct fleet_inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->nserver; i++)
		if (!strcmp(inv->server[i].id, id))
			return &inv->server[i];
	return NULL;
}
