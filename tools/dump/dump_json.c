/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump_json.c - sovereign-dump's JSON output (--json): the cJSON helpers
 * and the header, sensor, sample and event objects.
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

/* JSON helpers: every failed allocation sets d->oom, checked at print. */

cJSON *jchk(struct dump *d, cJSON *item)
{
	if (!item)
		d->oom = true;
	return item;
}

/* Integers go in as raw text: a double would round values above 2^53. */
void json_i64(struct dump *d, cJSON *obj, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, v);
	jchk(d, cJSON_AddRawToObject(obj, key, num));
}

void json_u64(struct dump *d, cJSON *obj, const char *key, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	jchk(d, cJSON_AddRawToObject(obj, key, num));
}

void json_str(struct dump *d, cJSON *obj, const char *key, const char *s)
{
	jchk(d, cJSON_AddStringToObject(obj, key, s));
}

/* A fixed-size segment field, bounded; cJSON does the escaping. */
static void json_field(struct dump *d, cJSON *obj, const char *key, const char *field,
		       size_t size)
{
	char buf[DUMP_STR_MAX];

	field_copy(buf, field, size < sizeof(buf) ? size : sizeof(buf) - 1, false);
	json_str(d, obj, key, buf);
}

/* Append @it to @arr; on failure (either NULL) free @it and set d->oom. */
void json_push(struct dump *d, cJSON *arr, cJSON *it)
{
	if (!cJSON_AddItemToArray(arr, it)) {
		cJSON_Delete(it);
		d->oom = true;
	}
}

/* An enum: its name, or its number when this tool does not know it. */
static void json_enum(struct dump *d, cJSON *obj, const char *key, const char *name,
		      int64_t raw)
{
	if (name)
		json_str(d, obj, key, name);
	else
		json_i64(d, obj, key, raw);
}

/* Flags as an array of names; unknown bits as one number. */
static void json_flags(struct dump *d, cJSON *obj, const char *key, uint32_t flags,
		       const struct flag_name *t, size_t n)
{
	cJSON *arr = jchk(d, cJSON_AddArrayToObject(obj, key));
	uint32_t rest = flags;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(flags & t[i].bit))
			continue;
		rest &= ~t[i].bit;
		json_push(d, arr, cJSON_CreateString(t[i].name));
	}
	if (rest)
		json_push(d, arr, cJSON_CreateNumber(rest));
}

void json_header(struct dump *d, cJSON *root, int status)
{
	const struct sov_header *h = sov_reader_header(d->r);
	cJSON *o = jchk(d, cJSON_AddObjectToObject(root, "header"));
	char buf[64];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, h->magic);
	json_str(d, o, "magic", buf);
	snprintf(buf, sizeof(buf), "%u.%u", SOV_ABI_MAJOR_OF(h->abi_version),
		 h->abi_version & 0xffffu);
	json_str(d, o, "abi_version", buf);
	json_u64(d, o, "generation", h->generation);
	json_enum(d, o, "state", state_name(h->state), h->state);
	json_str(d, o, "status", status_name(status));
	json_i64(d, o, "writer_pid", h->writer_pid);
	json_field(d, o, "writer_name", h->writer_name, sizeof(h->writer_name));
	json_i64(d, o, "writer_cpu", h->writer_cpu);
	json_i64(d, o, "numa_node", h->numa_node);
	json_flags(d, o, "flags", h->flags, header_flags, NFLAGS(header_flags));
	json_u64(d, o, "period_ns", h->period_ns);
	json_u64(d, o, "nslots", h->nslots);
	json_u64(d, o, "slot_size", h->slot_size);
	json_u64(d, o, "nevents", h->nevents);
	json_u64(d, o, "nsensors", h->nsensors);
	json_u64(d, o, "sensors_max", h->sensors_max);
	json_u64(d, o, "created_real_ns", h->created_real_ns);
	fmt_time(buf, sizeof(buf), h->created_real_ns);
	json_str(d, o, "created", buf);
	json_u64(d, o, "head", sov_reader_head(d->r));
	json_u64(d, o, "event_head", sov_reader_event_head(d->r));
}

/* The sensor table. */

void json_sensors(struct dump *d, cJSON *root)
{
	cJSON *arr = jchk(d, cJSON_AddArrayToObject(root, "sensors"));
	uint32_t i;
	size_t k;

	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		const struct unit_fmt *uf = unit_fmt(s->unit);
		cJSON *o = jchk(d, cJSON_CreateObject()), *lim;
		char id[16];

		json_push(d, arr, o);
		if (d->oom)
			return;
		json_u64(d, o, "index", i);
		snprintf(id, sizeof(id), "0x%08" PRIx32, s->id);
		json_str(d, o, "id", id);
		json_enum(d, o, "kind", kind_name(s->kind), s->kind);
		json_enum(d, o, "unit", uf ? uf->name : NULL, s->unit);
		json_enum(d, o, "source", source_name(s->source), s->source);
		json_field(d, o, "chip", s->chip, sizeof(s->chip));
		json_field(d, o, "name", s->name, sizeof(s->name));
		json_field(d, o, "label", s->label, sizeof(s->label));
		json_field(d, o, "labels", s->labels, sizeof(s->labels));
		lim = jchk(d, cJSON_AddObjectToObject(o, "limits"));
		for (k = 0; k < sizeof(limit_fields) / sizeof(limit_fields[0]); k++)
			if (s->flags & limit_fields[k].bit)
				json_i64(d, lim, limit_fields[k].name, limit_of(s, k));
		jchk(d, cJSON_AddBoolToObject(o, "counter", (s->flags & SOV_SEN_COUNTER) != 0));
		if (s->kind == SOV_KIND_ALARM)
			jchk(d, cJSON_AddBoolToObject(o, "critical",
						      (s->flags & SOV_SEN_CRITICAL) != 0));
		json_u64(d, o, "period_ms", s->period_ms);
	}
}

/* Samples. */

cJSON *json_sample(struct dump *d, const struct sov_sample *s)
{
	const struct sov_slot *slot = sov_sample_slot(s);
	cJSON *o = jchk(d, cJSON_CreateObject()), *arr;
	uint32_t i;

	json_u64(d, o, "number", slot->number);
	jchk(d, cJSON_AddNumberToObject(o, "age_ms", (double)sov_sample_age_ns(s) / 1e6));
	json_u64(d, o, "mono_ns", slot->mono_ns);
	json_u64(d, o, "real_ns", slot->real_ns);
	json_u64(d, o, "cycle_cost_ns", slot->cycle_cost_ns);
	json_u64(d, o, "overruns", slot->overruns);
	if (slot->flags & SOV_SF_SMI_VALID)
		json_u64(d, o, "smi_count", slot->smi_count);
	json_flags(d, o, "flags", slot->flags, sample_flags, NFLAGS(sample_flags));
	arr = jchk(d, cJSON_AddArrayToObject(o, "readings"));
	for (i = 0; i < d->nsensors; i++) {
		const struct unit_fmt *uf = unit_fmt(d->sensors[i].unit);
		cJSON *rd = jchk(d, cJSON_CreateObject());
		char disp[SOV_NAME_LEN + 1];
		uint64_t mono;
		int64_t v;

		json_push(d, arr, rd);
		if (d->oom)
			break;
		json_u64(d, rd, "index", i);
		sensor_display(disp, &d->sensors[i], false);
		json_str(d, rd, "label", disp);
		if (sov_sample_get(s, i, &v, &mono) == 0) {
			jchk(d, cJSON_AddBoolToObject(rd, "valid", 1));
			json_i64(d, rd, "raw", v);
			if (uf && uf->shift)
				jchk(d, cJSON_AddNumberToObject(rd, "value",
								(double)v / (double)pow10_u64(uf->shift)));
			else
				json_i64(d, rd, "value", v);
			json_u64(d, rd, "mono_ns", mono);
		} else {
			/* Invalid: no number at all, so nobody graphs a 0. */
			jchk(d, cJSON_AddBoolToObject(rd, "valid", 0));
			jchk(d, cJSON_AddNullToObject(rd, "raw"));
			jchk(d, cJSON_AddNullToObject(rd, "value"));
		}
		if (uf)
			json_str(d, rd, "unit", uf->suffix);
		else
			json_i64(d, rd, "unit", d->sensors[i].unit);
		jchk(d, cJSON_AddBoolToObject(rd, "suspect", sov_sample_suspect(s, i)));
	}
	return o;
}

/* The event's fields into @o (an event object, or an NDJSON line). */
void json_event_fields(struct dump *d, cJSON *o, const struct sov_event *e)
{
	const struct sov_sensor *s = e->sensor == SOV_NO_SENSOR ? NULL : dump_sensor(d, e->sensor);
	enum sov_event_meaning vm = sov_event_value_meaning(e), lm = sov_event_limit_meaning(e);
	char when[48], who[SOV_NAME_LEN + 1], val[96];

	json_u64(d, o, "number", e->number);
	json_u64(d, o, "real_ns", e->real_ns);
	fmt_time(when, sizeof(when), e->real_ns);
	json_str(d, o, "time", when);
	json_enum(d, o, "severity", severity_name(e->severity), e->severity);
	json_enum(d, o, "type", event_type_name(e->type), e->type);
	if (e->sensor == SOV_NO_SENSOR) {
		jchk(d, cJSON_AddNullToObject(o, "sensor"));
	} else {
		json_u64(d, o, "sensor", e->sensor);
		if (s) {
			/* Several chips have a temp1: chip and name say which. */
			json_field(d, o, "chip", s->chip, sizeof(s->chip));
			json_field(d, o, "sensor_name", s->name, sizeof(s->name));
			sensor_display(who, s, false);
			json_str(d, o, "sensor_label", who);
		}
	}
	json_i64(d, o, "value", e->value);
	json_str(d, o, "value_meaning", meaning_name(vm));
	fmt_event_value(val, sizeof(val), e, s);
	json_str(d, o, "value_text", val);
	if (vm == SOV_EVM_ERRNO && e->value >= -4095 && strerrorname_np((int)-e->value))
		json_str(d, o, "error", strerrorname_np((int)-e->value));
	json_i64(d, o, "limit", e->limit);
	json_str(d, o, "limit_meaning", meaning_name(lm));
	json_field(d, o, "text", e->text, sizeof(e->text));
}
