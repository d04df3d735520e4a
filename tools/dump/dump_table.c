/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dump_table.c - sovereign-dump's table output (the default): the header,
 * the sensor table, samples and events as aligned text.
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

void text_header(struct dump *d, FILE *out, int status)
{
	const struct sov_header *h = sov_reader_header(d->r);
	const char *state = state_name(h->state);
	char wname[sizeof(h->writer_name) + 1], buf[96], magic[sizeof(h->magic) + 1];
	size_t i;

	/* The magic is ASCII ("$SOVRNG1") stored little-endian. */
	for (i = 0; i < sizeof(h->magic); i++) {
		unsigned char c = (unsigned char)(h->magic >> (8 * i));

		magic[i] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	magic[sizeof(h->magic)] = '\0';
	field_copy(wname, h->writer_name, sizeof(h->writer_name), true);

	fprintf(out, "Segment %s\n", d->o.name);
	fprintf(out, "  magic         0x%016" PRIx64 " (%s), ABI %u.%u\n", h->magic, magic,
		SOV_ABI_MAJOR_OF(h->abi_version), h->abi_version & 0xffffu);
	fprintf(out, "  generation    %" PRIu64 "\n", h->generation);
	if (state)
		fprintf(out, "  state         %s\n", state);
	else
		fprintf(out, "  state         %" PRIu32 "\n", h->state);
	fprintf(out, "  writer        %s, pid %" PRId32 ", cpu %" PRId32 "\n",
		*wname ? wname : "-", h->writer_pid, h->writer_cpu);
	fprintf(out, "  status        %s\n", status_name(status));
	fprintf(out, "  numa node     %" PRId32 "\n", h->numa_node);
	fmt_flags(buf, sizeof(buf), h->flags, header_flags, NFLAGS(header_flags));
	fprintf(out, "  flags         %s\n", buf);
	fmt_fixed(buf, sizeof(buf), (int64_t)h->period_ns, 6, 3);
	fprintf(out, "  period        %s ms\n", buf);
	fprintf(out, "  slots         %" PRIu32 " of %" PRIu32 " bytes\n", h->nslots, h->slot_size);
	fprintf(out, "  events        %" PRIu32 "\n", h->nevents);
	fprintf(out, "  sensors       %" PRIu32 " of %" PRIu32 "\n", h->nsensors, h->sensors_max);
	fmt_time(buf, sizeof(buf), h->created_real_ns);
	fprintf(out, "  created       %s\n", buf);
	fprintf(out, "  head          %" PRIu64 "\n", sov_reader_head(d->r));
	fprintf(out, "  event head    %" PRIu64 "\n", sov_reader_event_head(d->r));
}

void text_sensors(struct dump *d, FILE *out)
{
	int wchip = 4, wname = 4, wlabel = 5;
	char chip[SOV_NAME_LEN + 1], name[SOV_NAME_LEN + 1], label[SOV_NAME_LEN + 1];
	char labels[SOV_LABELS_LEN + 1], num[16], val[64];
	uint32_t i;
	size_t k;

	fprintf(out, "\nSensors (%" PRIu32 ")\n", d->nsensors);
	if (!d->nsensors)
		return;
	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		int w;

		field_copy(chip, s->chip, sizeof(s->chip), true);
		field_copy(name, s->name, sizeof(s->name), true);
		field_copy(label, s->label, sizeof(s->label), true);
		w = utf8_width(chip);
		wchip = w > wchip ? w : wchip;
		w = utf8_width(name);
		wname = w > wname ? w : wname;
		w = utf8_width(label);
		wlabel = w > wlabel ? w : wlabel;
	}
	fprintf(out, "  IDX  ID          KIND       UNIT   SOURCE    PERIOD    ");
	put_padded(out, "CHIP", wchip + 2);
	put_padded(out, "NAME", wname + 2);
	fprintf(out, "LABEL\n");
	for (i = 0; i < d->nsensors; i++) {
		const struct sov_sensor *s = &d->sensors[i];
		const struct unit_fmt *uf = unit_fmt(s->unit);
		const char *kn = kind_name(s->kind), *sn = source_name(s->source);
		bool any = false, first;

		fprintf(out, "  %3" PRIu32 "  0x%08" PRIx32 "  ", i, s->id);
		snprintf(num, sizeof(num), "%u", (unsigned)s->kind);
		put_padded(out, kn ? kn : num, 11);
		snprintf(num, sizeof(num), "%u", (unsigned)s->unit);
		put_padded(out, uf ? uf->name : num, 7);
		snprintf(num, sizeof(num), "%u", (unsigned)s->source);
		put_padded(out, sn ? sn : num, 10);
		snprintf(val, sizeof(val), "%" PRIu32 " ms", s->period_ms);
		put_padded(out, val, 10);
		field_copy(chip, s->chip, sizeof(s->chip), true);
		field_copy(name, s->name, sizeof(s->name), true);
		field_copy(label, s->label, sizeof(s->label), true);
		put_padded(out, *chip ? chip : "-", wchip + 2);
		put_padded(out, *name ? name : "-", wname + 2);
		fprintf(out, "%s\n", *label ? label : "-");

		/* Continuation line: extra labels, the limits that are set, counter. */
		field_copy(labels, s->labels, sizeof(s->labels), true);
		if (*labels) {
			fprintf(out, "       labels: %s", labels);
			any = true;
		}
		first = true;
		for (k = 0; k < sizeof(limit_fields) / sizeof(limit_fields[0]); k++) {
			if (!(s->flags & limit_fields[k].bit))
				continue;
			fmt_value(val, sizeof(val), limit_of(s, k), s->unit);
			if (first)
				fputs(any ? "  limits: " : "       limits: ", out);
			fprintf(out, "%s%s %s", first ? "" : ", ", limit_fields[k].name, val);
			first = false;
			any = true;
		}
		if (s->flags & SOV_SEN_COUNTER) {
			fputs(any ? "  counter" : "       counter", out);
			any = true;
		}
		if (s->kind == SOV_KIND_ALARM && (s->flags & SOV_SEN_CRITICAL)) {
			fputs(any ? "  critical" : "       critical", out);
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
}

void text_sample(struct dump *d, FILE *out, const struct sov_sample *s)
{
	const struct sov_slot *slot = sov_sample_slot(s);
	char age[32], cost[32], flags[96], val[64], disp[SOV_NAME_LEN + 1];
	int wlabel = 5, w;
	uint32_t i;

	fmt_fixed(age, sizeof(age), sov_sample_age_ns(s) / 1000, 3, 3);
	fmt_fixed(cost, sizeof(cost), (int64_t)slot->cycle_cost_ns, 3, 3);
	fmt_flags(flags, sizeof(flags), slot->flags, sample_flags, NFLAGS(sample_flags));
	fprintf(out, "\nSample %" PRIu64 "  age %s ms  cost %s µs  overruns %" PRIu64,
		slot->number, age, cost, slot->overruns);
	if (slot->flags & SOV_SF_SMI_VALID)
		fprintf(out, "  smi %" PRIu64, slot->smi_count);
	fprintf(out, "  flags %s\n", flags);

	for (i = 0; i < d->nsensors; i++) {
		sensor_display(disp, &d->sensors[i], true);
		w = utf8_width(disp);
		wlabel = w > wlabel ? w : wlabel;
	}
	for (i = 0; i < d->nsensors; i++) {
		int64_t v;

		sensor_display(disp, &d->sensors[i], true);
		fprintf(out, "  %3" PRIu32 "  ", i);
		put_padded(out, *disp ? disp : "-", wlabel + 2);
		/* An invalid reading has no value: never print 0 or a stale one. */
		if (sov_sample_get(s, i, &v, NULL) == 0)
			fmt_value(val, sizeof(val), v, d->sensors[i].unit);
		else
			snprintf(val, sizeof(val), "invalid");
		if (sov_sample_suspect(s, i)) {
			put_padded(out, val, 18);
			fputs("  suspect\n", out);
		} else {
			fprintf(out, "%s\n", val);
		}
	}
}

void text_event(struct dump *d, FILE *out, const struct sov_event *e)
{
	const struct sov_sensor *s = e->sensor == SOV_NO_SENSOR ? NULL : dump_sensor(d, e->sensor);
	const char *sev = severity_name(e->severity), *type = event_type_name(e->type);
	enum sov_event_meaning vm = sov_event_value_meaning(e), lm = sov_event_limit_meaning(e);
	char when[48], num[16], who[3 * SOV_NAME_LEN + 8], val[96], lim[64];
	char text[SOV_EVENT_TEXT_LEN + 1];

	fmt_time(when, sizeof(when), e->real_ns);
	fprintf(out, "  %6" PRIu64 "  %s  ", e->number, when);
	snprintf(num, sizeof(num), "%u", (unsigned)e->severity);
	put_padded(out, sev ? sev : num, 8);
	snprintf(num, sizeof(num), "%u", (unsigned)e->type);
	put_padded(out, type ? type : num, 15);
	if (s)
		event_who(who, sizeof(who), s, true);
	else if (e->sensor != SOV_NO_SENSOR)
		snprintf(who, sizeof(who), "#%" PRIu32, e->sensor);
	else
		snprintf(who, sizeof(who), "-");
	put_padded(out, *who ? who : "-", 14);
	fputs("  ", out);
	/* Each number in its own meaning: an errno is not a temperature. */
	fmt_event_value(val, sizeof(val), e, s);
	switch (vm) {
	case SOV_EVM_ERRNO:      fprintf(out, "error %s", val); break;
	case SOV_EVM_COUNT:      fprintf(out, "count %s", val); break;
	case SOV_EVM_GENERATION: fprintf(out, "generation %s", val); break;
	default:                 fprintf(out, "value %s", val); break;
	}
	if (lm == SOV_EVM_READING && s) {
		fmt_value(lim, sizeof(lim), e->limit, s->unit);
		fprintf(out, "  %s %s", e->type == SOV_EV_THRESH_WARN || e->type == SOV_EV_THRESH_CRIT
					? "limit" : "before", lim);
	}
	field_copy(text, e->text, sizeof(e->text), true);
	fprintf(out, "%s%s\n", *text ? "  " : "", text);
}
