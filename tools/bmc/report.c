// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * report.c - what a sovereign-bmc command did, step by step: a table for
 * a person, JSON (--json) for the fleet orchestrator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bmc.h"

void bmc_report_init(struct bmc_report *rep, const char *command)
{
	memset(rep, 0, sizeof(*rep));
	rep->command = command;
	rep->failed = -1;
}

enum bmc_result bmc_report_add(struct bmc_report *rep, const char *step, enum bmc_result res,
			       const char *fmt, ...)
{
	struct bmc_report_line *l;
	va_list ap;

	if (rep->n == BMC_REPORT_MAX)
		return res;
	l = &rep->line[rep->n];
	snprintf(l->step, sizeof(l->step), "%s", step);
	l->result = res;
	va_start(ap, fmt);
	vsnprintf(l->detail, sizeof(l->detail), fmt, ap);
	va_end(ap);
	if (res == BMC_FAILED && rep->failed < 0)
		rep->failed = rep->n;
	rep->n++;
	return res;
}

const char *bmc_result_name(enum bmc_result res)
{
	switch (res) {
	case BMC_DONE:
		return "done";
	case BMC_ALREADY:
		return "already so";
	case BMC_UNSUPPORTED:
		return "not supported here";
	case BMC_SKIPPED:
		return "skipped";
	case BMC_FAILED:
		return "FAILED";
	}
	return "?";
}

void bmc_print_json(cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);

	if (text)
		printf("%s\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
}

static int print_json(const struct bmc_report *rep)
{
	cJSON *o = cJSON_CreateObject(), *a;
	int i;

	cJSON_AddStringToObject(o, "command", rep->command);
	cJSON_AddBoolToObject(o, "ok", rep->failed < 0);
	if (rep->failed >= 0)
		cJSON_AddStringToObject(o, "failed_step", rep->line[rep->failed].step);
	a = cJSON_AddArrayToObject(o, "steps");
	for (i = 0; i < rep->n; i++) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, "step", rep->line[i].step);
		cJSON_AddStringToObject(s, "result", bmc_result_name(rep->line[i].result));
		cJSON_AddStringToObject(s, "detail", rep->line[i].detail);
		cJSON_AddItemToArray(a, s);
	}
	bmc_print_json(o);
	return rep->failed < 0 ? 0 : 1;
}

int bmc_report_print(const struct bmc_report *rep, bool json)
{
	int i;

	if (json)
		return print_json(rep);
	for (i = 0; i < rep->n; i++)
		printf("%-18s %-18s %s\n", rep->line[i].step, bmc_result_name(rep->line[i].result),
		       rep->line[i].detail);
	if (rep->failed >= 0)
		printf("sovereign-bmc %s: FAILED at step %s\n", rep->command,
		       rep->line[rep->failed].step);
	fflush(stdout);
	return rep->failed < 0 ? 0 : 1;
}
