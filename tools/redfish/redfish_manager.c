/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redfish_manager.c - discovery of the first Manager and its NetworkProtocol
 * by @odata.id links, and the layer-1 switches on them (KVM-IP, virtual
 * media, graphical console): read, PATCH with If-Match, check. */
#include <errno.h>
#include <string.h>

#include "redfish.h"

/* One row per switch: which discovered resource, which object, which flag. */
static const struct {
	bool on_manager;	/* the Manager itself, else its NetworkProtocol */
	const char *object;
	const char *prop;
	const char *name;
} services[] = {
	[RF_SVC_KVMIP] = { false, "KVMIP", "ProtocolEnabled", "KVMIP.ProtocolEnabled" },
	[RF_SVC_VIRTUAL_MEDIA] = { false, "VirtualMedia", "ProtocolEnabled",
				   "VirtualMedia.ProtocolEnabled" },
	[RF_SVC_GRAPHICAL_CONSOLE] = { true, "GraphicalConsole", "ServiceEnabled",
				       "GraphicalConsole.ServiceEnabled" },
};

#define NSERVICES (sizeof(services) / sizeof(services[0]))

const char *rf_service_name(enum rf_service s)
{
	return (unsigned)s < NSERVICES ? services[s].name : "(unknown service)";
}

int rf_get_link(struct rf_client *c, const char *from, const char *prop, char *to,
		struct rf_error *err)
{
	struct rf_error why = { 0 };
	cJSON *j;
	int ret = rf_get(c, from, &j, NULL, err);

	if (ret)
		return ret;
	ret = rf_json_link(j, prop, to, &why);
	cJSON_Delete(j);
	if (ret)
		rf_error_set(err, ret, 0, "GET %s: %s", from, why.msg);
	return ret;
}

int rf_discover_manager(struct rf_client *c, struct rf_manager *m, struct rf_error *err)
{
	struct rf_error why = { 0 };
	char coll[RF_URI_MAX];
	cJSON *j;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = rf_get_link(c, "/redfish/v1/", "Managers", coll, err);
	if (ret)
		return ret;
	ret = rf_get(c, coll, &j, NULL, err);
	if (ret)
		return ret;
	ret = rf_json_first_member(j, m->uri, &why);
	cJSON_Delete(j);
	if (ret)
		return rf_error_set(err, ret, 0, "GET %s: %s", coll, why.msg);
	return rf_get_link(c, m->uri, "NetworkProtocol", m->netproto_uri, err);
}

/* service_uri - the resource a switch lives on, checked for discovery. */
static int service_uri(const struct rf_manager *m, enum rf_service s, const char **uri,
		       struct rf_error *err)
{
	if ((unsigned)s >= NSERVICES)
		return rf_error_set(err, -EINVAL, 0, "unknown service %d", (int)s);
	*uri = services[s].on_manager ? m->uri : m->netproto_uri;
	if (!(*uri)[0])
		return rf_error_set(err, -EINVAL, 0, "%s: the manager was not discovered",
				    services[s].name);
	return 0;
}

/* read_flag - GET @uri, its flag for @s and its ETag. */
static int read_flag(struct rf_client *c, const char *uri, enum rf_service s, bool *on,
		     char *etag, struct rf_error *err)
{
	struct rf_error why = { 0 };
	cJSON *j;
	int ret = rf_get(c, uri, &j, etag, err);

	if (ret)
		return ret;
	ret = rf_json_bool(j, services[s].object, services[s].prop, on, &why);
	cJSON_Delete(j);
	if (ret)
		rf_error_set(err, ret, 0, "GET %s: %s", uri, why.msg);
	return ret;
}

int rf_service_get(struct rf_client *c, const struct rf_manager *m, enum rf_service s,
		   bool *enabled, struct rf_error *err)
{
	const char *uri = NULL;
	int ret = service_uri(m, s, &uri, err);

	return ret ? ret : read_flag(c, uri, s, enabled, NULL, err);
}

int rf_service_set(struct rf_client *c, const struct rf_manager *m, enum rf_service s,
		   bool enabled, struct rf_error *err)
{
	char etag[RF_ETAG_MAX];
	const char *uri = NULL;
	cJSON *body, *obj;
	bool on;
	int ret = service_uri(m, s, &uri, err);

	if (ret)
		return ret;
	/* Read first: the property must exist (a PATCH of an unknown one is
	 * a 400 at best), and the read gives the ETag for If-Match. */
	ret = read_flag(c, uri, s, &on, etag, err);
	if (ret)
		return ret;
	body = cJSON_CreateObject();
	obj = body ? cJSON_AddObjectToObject(body, services[s].object) : NULL;
	if (!obj || !cJSON_AddBoolToObject(obj, services[s].prop, enabled)) {
		cJSON_Delete(body);
		return rf_error_set(err, -ENOMEM, 0, "PATCH %s: out of memory", uri);
	}
	ret = rf_patch(c, uri, body, etag, err);
	cJSON_Delete(body);
	if (ret)
		return ret;
	/* A 2xx is not proof: some services accept and ignore a property. */
	ret = read_flag(c, uri, s, &on, NULL, err);
	if (ret)
		return ret;
	if (on != enabled)
		return rf_error_set(err, -EIO, 0, "PATCH %s: accepted, but %s is still %s", uri,
				    services[s].name, on ? "true" : "false");
	return 0;
}
