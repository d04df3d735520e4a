/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fan.c - sovereign-fan, the fan PID actuator: its main and options.  It
 * reads the sampler's segment read-only (fan_zone.c), runs one PID (pid.c)
 * per thermal zone -- or a table (stepwise.c), or a PID whose output is an
 * RPM setpoint followed by an inner speed loop per fan (rpm.c) -- in its
 * control loop (fan_control.c), drives hwmon pwmN (pwm.c), fails safe
 * (failsafe.c), publishes its own state (fan_state.c) and events into a
 * segment of its own and the events to the journal (event.c), and re-reads
 * its configuration (fan_conf.c) on SIGHUP (fan_reload.c).  The fans'
 * original state is recorded before the first write and given back on stop
 * (fan_own.c, origstate.c); --failsafe sets full speed after an unclean stop
 * (systemd ExecStopPost=).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "fan_int.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

void fan_say(const char *fmt, ...)
{
	va_list ap;

	/* stderr: journald takes it from there under systemd. */
	fputs("sovereign-fan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("Usage: sovereign-fan -c CONF [--root DIR] [--segment NAME] [--state-segment NAME]\n"
	      "                     [--state-file PATH] [--failsafe]\n"
	      "Drive the fans from the sampler's segment; fail safe to full speed.\n"
	      "SIGHUP re-reads CONF (see readers/fan/README.md).\n"
	      "--failsafe: every configured fan to full speed and exit, unless\n"
	      "  $SERVICE_RESULT is \"success\" (systemd ExecStopPost= after a clean stop).\n", f);
}

/*
 * The command line into @c (conf_path and the *_cli overrides, kept for
 * reloads) and *@failsafe.  Return: -1 to go on, else the exit status.
 */
static int parse_args(int argc, char **argv, struct fan_ctx *c, bool *failsafe)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "segment", required_argument, NULL, 's' },
		{ "state-segment", required_argument, NULL, 'S' },
		{ "state-file", required_argument, NULL, 'o' },
		{ "failsafe", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf = NULL, *seg = NULL, *state = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; break;
		case 'r': snprintf(c->root_cli, sizeof(c->root_cli), "%s", optarg); break;
		case 's': seg = optarg; break;
		case 'S': state = optarg; break;
		case 'o': snprintf(c->orig_cli, sizeof(c->orig_cli), "%s", optarg); break;
		case 'F': *failsafe = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!conf || optind != argc) {
		usage(stderr);
		return 2;
	}
	snprintf(c->conf_path, sizeof(c->conf_path), "%s", conf);
	snprintf(c->segment_cli, sizeof(c->segment_cli), "%s", seg ? seg : "");
	snprintf(c->state_cli, sizeof(c->state_cli), "%s", state ? state : "");
	return -1;
}

/*
 * Attach the sampler's segment if it is there (it may start later).
 * Return: the period: configured, else the sampler's, else 1 s.
 */
static int64_t attach_first(struct fan_ctx *c)
{
	if (sov_reader_open(c->segment, NULL, &c->r) == 0) {
		c->s = sov_sample_alloc(c->r);
		if (!c->s) {
			sov_reader_close(c->r);
			c->r = NULL;
		}
	}
	if (c->period_ms)
		return c->period_ms * 1000000;
	if (c->r && sov_reader_header(c->r)->period_ns > 0)
		return (int64_t)sov_reader_header(c->r)->period_ns;
	return NS_PER_S;
}

/* Every zone starts failing safe until good readings: an event each, and a summary line. */
static void announce_start(struct fan_ctx *c, int64_t period_ns)
{
	for (int zi = 0; zi < c->nzones; zi++) {
		char why[SOV_EVENT_TEXT_LEN];

		snprintf(why, sizeof(why), "start zone=%s", c->zones[zi].name);
		fan_event_emit(c->w, c->journal,
			       &(struct fan_event){ .type = SOV_EV_FAILSAFE_ENTER,
						    .severity = SOV_SEV_NOTICE,
						    .value = c->safe_duty,
						    .zone = c->zones[zi].name, .reason = "start",
						    .mode = "failsafe", .text = why },
			       "zone %s: failsafe (start) at duty %d.%d %% until good readings, then %s",
			       c->zones[zi].name, c->safe_duty / 10, c->safe_duty % 10,
			       fan_zone_mode_name(c->zones[zi].mode));
	}
	fan_say("%d zone(s), %d fan(s), every %lld ms, from %s; state in %s", c->nzones, c->nfans,
		(long long)(period_ns / 1000000), c->segment, c->state_segment);
}

/*
 * Stopping: the safe duty, then the chip's own settings back; all given
 * back, the hardware holds the originals again and the record is done.
 */
static void stop_fans(struct fan_ctx *c, int opened)
{
	int rc;

	for (int i = 0; i < c->nfans; i++)
		fan_pwm_write(&c->fans[i].pwm, fan_pwm_duty_to_raw(c->safe_duty), true);
	fan_event_emit(NULL, c->journal,
		       &(struct fan_event){ .type = SOV_EV_WRITER_STOP, .severity = SOV_SEV_NOTICE,
					    .value = c->safe_duty, .reason = "stop" },
		       "stopping: restoring the fans' original settings");
	if (!fan_own_restore(c, opened) && (rc = fan_own_forget(c)))
		fan_say("%s: %s", c->orig_path, strerror(-rc));
}

int main(int argc, char **argv)
{
	static struct fan_ctx c;
	struct sigaction sa = { .sa_handler = on_signal };
	struct rt_err err = { "" };
	int64_t period_ns;
	int rc, opened = 0;
	bool failsafe = false;

	rc = parse_args(argc, argv, &c, &failsafe);
	if (rc >= 0)
		return rc;
	if (fan_conf_load(&c, &c, &err)) {
		fan_say("%s", err.msg);
		return 1;
	}
	c.journal = fan_log_use_journal(c.log);
	if (failsafe)
		return fan_own_failsafe(&c);

	/* No SA_RESTART: the signal must cut the sleep short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	period_ns = attach_first(&c);
	rc = fan_state_create(&c, period_ns);
	if (rc) {
		fan_say("state segment %s: %s", c.state_segment, sov_strerror(rc));
		goto err_close_reader;
	}
	rc = fan_own_open(&c, &opened);
	if (rc)
		goto err_restore;
	/* A setpoint the hardware contradicts is refused before any fan is touched. */
	if (c.r) {
		fan_zones_resolve(&c, true);
		rc = fan_zones_check_setpoints(&c, &err);
		if (rc) {
			fan_say("%s", err.msg);
			goto err_restore;
		}
	}
	/* The original state on record before the first write. */
	rc = fan_own_record(&c, c.nfans);
	if (rc) {
		fan_say("%s: %s: not touching the fans without a record of their original state",
			c.orig_path, strerror(-rc));
		goto err_restore;
	}
	/* Take every fan, at the safe duty until the first good readings. */
	rc = fan_own_take(&c);
	if (rc)
		goto err_restore;
	if (c.r)
		fan_resolve(&c);   /* after the fans: the tachometers need the chips' names */
	announce_start(&c, period_ns);

	fan_run(&c, period_ns, &stop_requested, &reload_requested);

	stop_fans(&c, opened);
	rc = 0;
err_restore:
	fan_own_restore(&c, opened);
	sov_writer_close(c.w);
err_close_reader:
	sov_sample_free(c.s);
	sov_reader_close(c.r);
	return rc ? 1 : 0;
}
