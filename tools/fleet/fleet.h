/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fleet.h - sovereign-fleet, the orchestrator: its inventory (conf.c), the
 * requests the API turns into workflows (engine.c) and the engine that
 * takes their steps.  The HTTP API (api.c) and the webhook receiver only
 * ever call the fleet_request*() / fleet_wf_*() functions below; the
 * engine thread alone takes steps, and only while this orchestrator is the
 * store's leader.
 *
 * Threads: the API (libmicrohttpd's threads), the engine (one thread).
 * Each opens its own store handle.  The inventory is an immutable snapshot
 * swapped whole on SIGHUP (fleet_inventory_get/put count references).
 */
#ifndef SOVEREIGN_FLEET_FLEET_H
#define SOVEREIGN_FLEET_FLEET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store.h"

#define FLEET_ARGV_MAX 16 /* words of a hook command */
#define FLEET_CONF_MAX_BYTES (64u << 20) /* fleet.conf, an inventory: a larger one is refused */
#define FLEET_PATH_MAX 512 /* a path in the inventory (per-server: kept small) */

/* struct fleet_hook - a command (argv, no shell; "{id}" replaced) or an HTTP call. */
struct fleet_hook {
	char *argv[FLEET_ARGV_MAX + 1]; /* NULL-terminated; argv[0] NULL: none */
	char url[512];                  /* "" or http(s)://...: POSTed {"server": id} */
};

/* struct fleet_server - one server of the inventory ([server ID] in fleet.conf). */
struct fleet_server {
	char id[FLEET_ID_MAX];
	char exporter[256];         /* host:port of its sovereign-exporter */
	char bmc_url[256];          /* its BMC's Redfish service, https://host[:port] */
	char bmc_user[64];          /* its Redfish user */
	char bmc_ca_file[FLEET_PATH_MAX]; /* PEM to verify its certificate; "": the system's */
	bool bmc_insecure;          /* no certificate check (lab BMCs only) */
	char credentials[FLEET_PATH_MAX]; /* its password: a file only its owner reads (0600) */
	char rack[64], pool[64];    /* labels */
	struct fleet_hook drain;    /* take it out of service (load balancer, readiness) */
	struct fleet_hook undrain;  /* put it back */
	struct fleet_hook bmc_wake;    /* e.g. ssh node sovereign-bmc wake */
	struct fleet_hook bmc_standby; /* e.g. ssh node sovereign-bmc standby */
	char inactive_query[512];   /* PromQL that is 0 when no work is in flight; "":
				       the exporter's sovereign_inference_active */
	char firmware_image[512];   /* SimpleUpdate ImageURI for maintain */
	char firmware_version[64];  /* the version expected after the update; "": any change */
};

/* struct fleet_inventory - the whole config: settings and servers. */
struct fleet_inventory {
	/* [fleet] */
	char listen[128];           /* "127.0.0.1:9180" */
	char tls_cert[PATH_MAX], tls_key[PATH_MAX]; /* both or neither */
	char tokens_file[PATH_MAX]; /* "name token" lines, mode 0600 */
	char store[PATH_MAX];       /* dsn (store.h) */
	char file_sd_dir[PATH_MAX]; /* where Prometheus file_sd targets go; "": none */
	char prometheus_url[256];   /* for inactive_query; "": none */
	int budget_percent;         /* of a pool at most out of service at once (1..100) */
	int max_concurrent;         /* workflows running at once, fleet-wide */
	int drain_timeout_s, smi_flat_s, task_timeout_s, bmc_reboot_timeout_s;
	int poll_ms;                /* engine tick */
	/* [emergency] */
	bool reset_dry_run;
	int reset_max_concurrent, reset_per_hour;
	char reset_types[128];      /* preferred ResetType order: "ForceRestart,PowerCycle" */
	char node_down_alerts[256]; /* alertnames the webhook acts on, comma-separated */
	/* servers */
	struct fleet_server *server;
	size_t nserver;
	int refs;                   /* fleet_inventory_get/put */
};

/*
 * fleet_inventory_load() - read and check fleet.conf (strict: unknown
 * keys and bad values are errors naming file:line).
 * Return: 0 with *@out (refs 1), or -errno with @err.
 */
int fleet_inventory_load(const char *path, struct fleet_inventory **out, char *err,
			 size_t errlen);
void fleet_inventory_free(struct fleet_inventory *inv);
const struct fleet_server *fleet_inventory_find(const struct fleet_inventory *inv,
						const char *id);

struct fleet;

/*
 * fleet_open() - load @conf_path (fleet_inventory_load), open the engine's
 * store handle.  Nothing runs yet.  Return: 0 with *@out, or -errno, @err.
 * fleet_close() - stop the engine if started, free everything.
 */
int fleet_open(const char *conf_path, struct fleet **out, char *err, size_t errlen);
void fleet_close(struct fleet *f);

/* fleet_reload() - load the config again and swap the snapshot (SIGHUP); a bad file
 * keeps the old one.  Return: 0 or -errno with @err (file:line). */
int fleet_reload(struct fleet *f, char *err, size_t errlen);

/* fleet_engine_start() - the engine thread: takes steps while this process leads. */
int fleet_engine_start(struct fleet *f, char *err, size_t errlen);

/* fleet_is_leader() - whether the engine held the store's leadership at its last tick. */
bool fleet_is_leader(struct fleet *f);

/* The HTTP API (api.c): listens where the inventory says; stops on fleet_api_stop(). */
struct fleet_api;
int fleet_api_start(struct fleet *f, struct fleet_api **out, char *err, size_t errlen);
void fleet_api_stop(struct fleet_api *a);

/* fleet_inventory_get() / _put() - a counted reference to the current snapshot. */
struct fleet_inventory *fleet_inventory_get(struct fleet *f);
void fleet_inventory_put(struct fleet *f, struct fleet_inventory *inv);

/*
 * fleet_request() - ask for workflow @kind (drain, resume, maintain,
 * standby, reset) on @server, by @who; @params (may be NULL) the request's
 * JSON body (maintain: optional "image", "version").  The workflow is
 * stored "pending"; the engine starts it when the budgets allow.
 * Return: 0 with *@id; -ENOENT no such server; -EINVAL bad kind or params;
 * -EBUSY the server already has an active workflow (its id in *@id);
 * -EPERM reset of a server in maintenance; -errno of the store.
 */
int fleet_request(struct fleet *f, struct fleet_store *st, const char *server, const char *kind,
		  const char *who, const cJSON *params, int64_t *id, char *err, size_t errlen);

/*
 * fleet_emergency() - an Alertmanager node-down alert for @server: a
 * "reset" workflow (which first confirms with its own probes, honours the
 * rate limits and the dry-run mode).  Same returns as fleet_request().
 */
int fleet_emergency(struct fleet *f, struct fleet_store *st, const char *server,
		    const char *alertname, int64_t *id, char *err, size_t errlen);

/* fleet_wf_retry() - a failed workflow runs its failed step again.  -EINVAL if not failed. */
int fleet_wf_retry(struct fleet *f, struct fleet_store *st, int64_t id, const char *who,
		   char *err, size_t errlen);
/* fleet_wf_abort() - a pending, running or failed workflow ends "aborted"; the server is
 * left needs-attention (an operator decides).  -EINVAL if already ended. */
int fleet_wf_abort(struct fleet *f, struct fleet_store *st, int64_t id, const char *who,
		   char *err, size_t errlen);

/* fleet_wf_json() / fleet_server_json() - the API's representation (caller frees). */
cJSON *fleet_wf_json(const struct fleet_wf *w);
cJSON *fleet_server_json(const struct fleet_server *s, const struct fleet_server_state *st);

#endif /* SOVEREIGN_FLEET_FLEET_H */
