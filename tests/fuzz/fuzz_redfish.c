/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_redfish.c - libFuzzer target: arbitrary bytes as the body of a
 * Redfish GET, through what the client does with every answer
 * (tools/redfish/redfish_json.c): parse it as an object, follow the links
 * discovery follows (Managers, Links.Sessions, Members[0], NetworkProtocol),
 * read the layer-1 switches and @odata.etag.  Any input must give 0 or
 * -errno, never a crash; a link taken must be a path safe to put in a URL.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redfish.h"

/* What a link may be once rf_json_link()/rf_json_first_member() took it. */
static void check_path(const char *uri)
{
	size_t n = strlen(uri);

	if (n == 0 || n >= RF_URI_MAX || uri[0] != '/' || (n > 1 && uri[1] == '/'))
		abort();
	for (size_t i = 0; i < n; i++)
		if (uri[i] <= ' ' || uri[i] > '~' || uri[i] == '#')
			abort();
}

static void check_ret(int ret, const struct rf_error *err)
{
	if (ret > 0 || (ret < 0 && err->code != ret) || memchr(err->msg, '\n', sizeof(err->msg)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const links[] = { "Managers", "Systems", "NetworkProtocol",
					     "SessionService", "Chassis" };
	static const char *const flags[][2] = { { "KVMIP", "ProtocolEnabled" },
						{ "VirtualMedia", "ProtocolEnabled" },
						{ "GraphicalConsole", "ServiceEnabled" } };
	struct rf_error err = { 0 };
	char uri[RF_URI_MAX], etag[RF_ETAG_MAX];
	cJSON *j = NULL;
	bool on;
	int ret;

	ret = rf_json_parse((const char *)data, size, &j, &err);
	check_ret(ret, &err);
	if (ret) {
		if (j)
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		ret = rf_json_link(j, links[i], uri, &err);
		check_ret(ret, &err);
		if (!ret)
			check_path(uri);
	}
	ret = rf_json_link(cJSON_GetObjectItemCaseSensitive(j, "Links"), "Sessions", uri, &err);
	check_ret(ret, &err);
	if (!ret)
		check_path(uri);
	ret = rf_json_first_member(j, uri, &err);
	check_ret(ret, &err);
	if (!ret)
		check_path(uri);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		ret = rf_json_bool(j, flags[i][0], flags[i][1], &on, &err);
		check_ret(ret, &err);
	}
	ret = rf_json_etag(j, etag, &err);
	check_ret(ret, &err);
	if (!ret && (strlen(etag) == 0 || strlen(etag) >= RF_ETAG_MAX))
		abort();
	cJSON_Delete(j);
	return 0;
}
