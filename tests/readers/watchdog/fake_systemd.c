/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_systemd.c - the two calls of systemd's D-Bus API the watchdog makes
 * in unit mode, served on the bus sd_bus_open_system() finds (the test
 * points DBUS_SYSTEM_BUS_ADDRESS at a private dbus-daemon):
 *   org.freedesktop.systemd1.Manager.GetUnit(s) -> o, or the error
 *     org.freedesktop.systemd1.NoSuchUnit for any unit but UNIT;
 *   org.freedesktop.systemd1.Service.MainPID (u) of that unit: the number
 *     in PIDFILE when it is read (0 when absent, as for a stopped unit).
 * Usage: fake_systemd UNIT PIDFILE.  Writes "ready" to stdout once it owns
 * the name; runs until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define UNIT_PATH "/org/freedesktop/systemd1/unit/fake"

static const char *unit, *pidfile;

static int get_unit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *name;
	int rc;

	(void)userdata;
	rc = sd_bus_message_read(m, "s", &name);
	if (rc < 0)
		return rc;
	if (strcmp(name, unit))
		return sd_bus_error_setf(error, "org.freedesktop.systemd1.NoSuchUnit",
					 "Unit %s not loaded.", name);
	return sd_bus_reply_method_return(m, "o", UNIT_PATH);
}

static int main_pid(sd_bus *bus, const char *path, const char *interface, const char *property,
		    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	FILE *f = fopen(pidfile, "re");
	unsigned pid = 0;

	(void)bus; (void)path; (void)interface; (void)property; (void)userdata; (void)error;
	if (f) {
		if (fscanf(f, "%u", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return sd_bus_message_append(reply, "u", (uint32_t)pid);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetUnit", "s", "o", get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static const sd_bus_vtable service_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("MainPID", "u", main_pid, 0, 0),
	SD_BUS_VTABLE_END
};

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: fake_systemd UNIT PIDFILE\n");
		return 2;
	}
	unit = argv[1];
	pidfile = argv[2];
	rc = sd_bus_open_system(&bus);
	if (rc >= 0)
		rc = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
					      "org.freedesktop.systemd1.Manager", manager_vtable,
					      NULL);
	if (rc >= 0)
		rc = sd_bus_add_object_vtable(bus, NULL, UNIT_PATH,
					      "org.freedesktop.systemd1.Service", service_vtable,
					      NULL);
	if (rc >= 0)
		rc = sd_bus_request_name(bus, "org.freedesktop.systemd1", 0);
	if (rc < 0) {
		fprintf(stderr, "fake_systemd: %s\n", strerror(-rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		rc = sd_bus_process(bus, NULL);
		if (rc < 0)
			return 1;
		if (rc == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			return 1;
	}
}
