/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * event.c - the fan actuator's events (see event.h): segment, journal or
 * stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "event.h"

bool fan_log_use_journal(enum fan_log mode)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (mode != FAN_LOG_AUTO)
		return mode == FAN_LOG_JOURNAL;
	/* systemd.exec(5): JOURNAL_STREAM is "device:inode" of the stream. */
	js = getenv("JOURNAL_STREAM");
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const char *event_name(uint16_t type)
{
	switch (type) {
	case SOV_EV_FAILSAFE_ENTER: return "failsafe_enter";
	case SOV_EV_FAILSAFE_EXIT:  return "failsafe_exit";
	case SOV_EV_DEGRADED:       return "degraded";
	case SOV_EV_CONFIG:         return "config";
	case SOV_EV_WRITER_START:   return "start";
	case SOV_EV_WRITER_STOP:    return "stop";
	default:                    return "other";
	}
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

void fan_event_emit(struct sov_writer *w, bool journal, const struct fan_event *ev,
		    const char *fmt, ...)
{
	char msg[256], num[16], pri[8], duty[24];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w)
		sov_writer_note(w, ev->type, ev->severity, ev->value, ev->text ? ev->text : msg);
	if (journal) {
		snprintf(num, sizeof(num), "%u", (unsigned)ev->type);
		snprintf(pri, sizeof(pri), "%u", (unsigned)ev->severity);
		snprintf(duty, sizeof(duty), "%lld", (long long)ev->value);
		/* One "KEY=%s" per field: no format built from data. */
		if (sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%s", pri,
				    "SOVEREIGN_EVENT=%s", num,
				    "SOVEREIGN_EVENT_NAME=%s", event_name(ev->type),
				    "SOVEREIGN_ZONE=%s", or_empty(ev->zone),
				    "SOVEREIGN_REASON=%s", or_empty(ev->reason),
				    "SOVEREIGN_MODE=%s", or_empty(ev->mode),
				    "SOVEREIGN_FAN=%s", or_empty(ev->fan),
				    "SOVEREIGN_DUTY=%s", duty, NULL) >= 0)
			return;
	}
	fprintf(stderr, "sovereign-fan: %s\n", msg);
}
