/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_runtime.c - Criterion tests of libsovereign_runtime against a segment
 * the test writes: base-unit values, invalid/missing sensors, temperatures,
 * ages, staleness, transparent re-attach after writer restarts, and the
 * segment trust checks (owner, mode) at open and at every re-attach.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "bind_fixture.h"
#include "runtime.h"

static char name[64];
static struct sov_writer *w;
static struct sov_rt *h;

static void setup(void)
{
	static int seq;

	snprintf(name, sizeof(name), "/sov-bind-%d-%d", (int)getpid(), seq++);
	sov_shm_unlink(name);
	w = NULL;
	h = NULL;
}

static void teardown(void)
{
	sov_rt_close(h);
	sov_writer_close(w);
	sov_shm_unlink(name);
}

TestSuite(bindings, .init = setup, .fini = teardown, .timeout = 30);

static struct sov_writer *mk_writer(const struct sov_sensor *s, uint32_t n)
{
	struct sov_writer_opts o = { .name = name, .nslots = 8, .nevents = 8,
				     .period_ns = 100000000, .writer_name = "test_runtime" };
	struct sov_writer *nw;
	int rc = sov_writer_create(&o, s, n, &nw);

	cr_assert_eq(rc, 0, "create: %s", sov_strerror(rc));
	return nw;
}

static void start(void)
{
	struct sov_sensor s[FX_N];
	int rc;

	fx_sensors(s);
	w = mk_writer(s, FX_N);
	rc = sov_rt_open(name, &h);
	cr_assert_eq(rc, 0, "open: %s", sov_rt_strerror(rc));
}

Test(bindings, values_in_base_units)
{
	double v = -1, age = -1;
	int rc;

	start();
	fx_publish(w, 67250, 41500, 2400, 0);
	rc = sov_rt_value(h, "Tctl", &v, &age);
	cr_assert_eq(rc, 0, "Tctl: %s", sov_rt_strerror(rc));
	cr_assert_eq(v, 67.25, "Tctl %.17g", v);
	cr_assert(age >= 0.0 && age < 1.0, "age %g", age);
	cr_assert_eq(sov_rt_value(h, "DIMM A1", &v, NULL), 0);
	cr_assert_eq(v, 41.5);
	cr_assert_eq(sov_rt_value(h, "CPU fan", &v, NULL), 0);
	cr_assert_eq(v, 2400.0);
	cr_assert_eq(sov_rt_value(h, "fan1", &v, NULL), 0, "by name");
	cr_assert_eq(v, 2400.0);
	cr_assert_eq(sov_rt_value(h, "Tccd1", &v, NULL), -ENODATA, "invalid sensor");
	cr_assert_eq(sov_rt_value(h, "nope", &v, NULL), -ENOENT);
	cr_assert_eq(sov_rt_sensor_count(h), FX_N);
}

Test(bindings, nothing_published_yet)
{
	double v;

	start();
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), -EAGAIN);
	cr_assert_eq(sov_rt_age(h, &v), -EAGAIN);
}

Test(bindings, open_missing_segment)
{
	cr_assert_eq(sov_rt_open(name, &h), -ENOENT);
	h = NULL;
}

Test(bindings, temperatures_skip_invalid)
{
	struct sov_rt_reading t[8];
	int n;

	start();
	fx_publish(w, 70125, 38000, 1800, 0);
	n = sov_rt_temperatures(h, t, 8);
	cr_assert_eq(n, 2, "two valid temperatures, got %d", n);
	cr_assert_str_eq(t[0].label, "Tctl");
	cr_assert_str_eq(t[0].chip, "k10temp/pci-0000:00:18.3");
	cr_assert_eq(t[0].celsius, 70.125);
	cr_assert_str_eq(t[1].label, "DIMM A1");
	cr_assert_eq(t[1].celsius, 38.0);
	cr_assert(t[1].age_s >= 0.0 && t[1].age_s < 1.0);
	cr_assert_eq(sov_rt_temperatures(h, t, 1), 1, "bounded by max");
	cr_assert_eq(sov_rt_temperatures(h, t, -1), -EINVAL);
}

Test(bindings, age_of_newest_sample)
{
	double age = -1, v, vage = -1;

	start();
	fx_publish(w, 50000, 40000, 1000, 2000000000ull); /* stamped 2 s ago */
	cr_assert_eq(sov_rt_age(h, &age), 0);
	cr_assert(age >= 2.0 && age < 3.0, "age %g", age);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, &vage), 0);
	cr_assert(vage >= 2.0 && vage < 3.0, "value age %g", vage);
}

Test(bindings, stale_segment)
{
	struct sov_rt_reading t[4];
	double v, age;
	int idx;

	start();
	fx_publish(w, 50000, 40000, 1000, 10000000000ull); /* 10 s old > 5 s */
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), -ESTALE);
	cr_assert_eq(sov_rt_temperatures(h, t, 4), -ESTALE);
	idx = sov_rt_lookup(h, NULL, "Tctl");
	cr_assert_geq(idx, 0);
	cr_assert_eq(sov_rt_value_at(h, idx, &v, NULL), -ESTALE);
	cr_assert_eq(sov_rt_age(h, &age), 0, "age never stale");
	cr_assert_geq(age, 10.0);
	cr_assert_eq(sov_rt_set_stale_limit(h, 0.0), -EINVAL);
	cr_assert_eq(sov_rt_set_stale_limit(h, 20.0), 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 50.0);
	/* A fresh sample ends it. */
	cr_assert_eq(sov_rt_set_stale_limit(h, 5.0), 0);
	fx_publish(w, 51000, 40000, 1000, 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 51.0);
}

Test(bindings, lookup_hot_path)
{
	double v;
	int tctl, dimm, again;

	start();
	fx_publish(w, 60000, 35250, 900, 0);
	tctl = sov_rt_lookup(h, NULL, "Tctl");
	dimm = sov_rt_lookup(h, "jc42/i2c-0-18", "temp1"); /* chip + name */
	cr_assert_geq(tctl, 0);
	cr_assert_geq(dimm, 0);
	cr_assert_neq(tctl, dimm);
	again = sov_rt_lookup(h, NULL, "Tctl");
	cr_assert_eq(again, tctl, "same key, same index");
	cr_assert_eq(sov_rt_value_at(h, tctl, &v, NULL), 0);
	cr_assert_eq(v, 60.0);
	cr_assert_eq(sov_rt_value_at(h, dimm, &v, NULL), 0);
	cr_assert_eq(v, 35.25);
	cr_assert_eq(sov_rt_lookup(h, "jc42/i2c-0-18", "Tctl"), -ENOENT, "wrong chip");
	cr_assert_eq(sov_rt_lookup(h, NULL, "nope"), -ENOENT);
	cr_assert_eq(sov_rt_value_at(h, 42, &v, NULL), -EINVAL);
	cr_assert_eq(sov_rt_value_at(h, -1, &v, NULL), -EINVAL);
	fx_publish(w, 61500, 35250, 900, 0);
	cr_assert_eq(sov_rt_value_at(h, tctl, &v, NULL), 0);
	cr_assert_eq(v, 61.5, "follows new samples");
}

/* Writer restarts on the same object, with the table in another order. */
Test(bindings, reattach_after_restart)
{
	struct sov_sensor s[FX_N], rev[FX_N];
	double v;
	int tctl, i;

	start();
	fx_publish(w, 60000, 35000, 900, 0);
	tctl = sov_rt_lookup(h, NULL, "Tctl");
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 60.0);

	sov_writer_close(w);
	fx_sensors(s);
	for (i = 0; i < FX_N; i++)
		rev[i] = s[FX_N - 1 - i];
	w = mk_writer(rev, FX_N);
	/* In rev, Tctl is index 3, the DIMM 2, the fan 0. */
	{
		struct sov_slot *st = sov_writer_stage(w);
		uint64_t now = fx_mono_ns();

		st->mono_ns = now;
		sov_writer_set(w, 3, 88500, now);
		sov_writer_set(w, 2, 45000, now);
		sov_writer_set_invalid(w, 1);
		sov_writer_set(w, 0, 3100, now);
		sov_writer_publish(w);
	}
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0, "transparent re-attach");
	cr_assert_eq(v, 88.5);
	cr_assert_eq(sov_rt_value_at(h, tctl, &v, NULL), 0);
	cr_assert_eq(v, 88.5, "lookup re-resolved in the new table");
	cr_assert_eq(sov_rt_value(h, "CPU fan", &v, NULL), 0);
	cr_assert_eq(v, 3100.0);
	cr_assert_eq(sov_rt_value(h, "Tccd1", &v, NULL), -ENODATA);
}

/* Writer stops, the object is unlinked and a new one made under the name. */
Test(bindings, reattach_after_replaced_object)
{
	struct sov_sensor s[FX_N];
	double v;

	start();
	fx_publish(w, 60000, 35000, 900, 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	sov_writer_close(w);
	cr_assert_eq(sov_shm_unlink(name), 0);
	fx_sensors(s);
	w = mk_writer(s, FX_N);
	fx_publish(w, 72000, 36000, 950, 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 72.0, "new object's value, not the old one");
}

/* A restart that drops a sensor: its lookup answers -ENOENT, others work. */
Test(bindings, restart_without_the_sensor)
{
	struct sov_sensor s[FX_N];
	double v;
	int tctl, dimm;

	start();
	fx_publish(w, 60000, 35000, 900, 0);
	tctl = sov_rt_lookup(h, NULL, "Tctl");
	dimm = sov_rt_lookup(h, NULL, "DIMM A1");
	cr_assert_geq(tctl, 0);
	sov_writer_close(w);
	fx_sensors(s);
	w = mk_writer(&s[FX_DIMM], 1); /* only the DIMM */
	{
		uint64_t now = fx_mono_ns();

		sov_writer_stage(w)->mono_ns = now;
		sov_writer_set(w, 0, 33000, now);
		sov_writer_publish(w);
	}
	cr_assert_eq(sov_rt_value_at(h, tctl, &v, NULL), -ENOENT);
	cr_assert_eq(sov_rt_value_at(h, dimm, &v, NULL), 0);
	cr_assert_eq(v, 33.0);
	cr_assert_eq(sov_rt_sensor_count(h), 1);
}

Test(bindings, unit_table)
{
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MILLICELSIUS, -5500), -5.5);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MILLIVOLT, 1250), 1.25);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MILLIAMPERE, 500), 0.5);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MICROWATT, 250500000), 250.5);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MICROJOULE, 3000000), 3.0);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_PERMILLE, 750), 0.75);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_RPM, 1234), 1234.0);
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_COUNT, 7), 7.0);
	/* ABI 1.1: humidity in milli-percent, frequency in Hz */
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_MILLIPERCENT, 45500), 0.455);
	cr_assert_str_eq(sov_rt_unit_name(SOV_UNIT_MILLIPERCENT), "ratio");
	cr_assert_eq(sov_rt_to_base(SOV_UNIT_HERTZ, 25000), 25000.0);
	cr_assert_str_eq(sov_rt_unit_name(SOV_UNIT_HERTZ), "hertz");
	cr_assert_eq(sov_rt_to_base(999, 7), 7.0, "unknown unit unchanged");
	cr_assert_str_eq(sov_rt_unit_name(SOV_UNIT_MILLICELSIUS), "celsius");
	cr_assert_str_eq(sov_rt_unit_name(SOV_UNIT_PERMILLE), "ratio");
	cr_assert_str_eq(sov_rt_unit_name(999), "");
	cr_assert(strlen(sov_rt_strerror(-ESTALE)) > 0);
}

Test(bindings, refuses_untrusted_segment)
{
	struct sov_sensor s[FX_N];
	struct sov_rt *x = NULL;
	char path[PATH_MAX];
	double v;

	fx_sensors(s);
	w = mk_writer(s, FX_N);
	fx_publish(w, 50000, 40000, 1000, 0);
	cr_assert_eq(sov_shm_path(name, path, sizeof(path)), 0);
	cr_assert_eq(chmod(path, 0660), 0);
	cr_assert_eq(sov_rt_open(name, &x), -SOV_EFOREIGN, "group-writable");
	cr_assert_null(x);
	cr_assert_eq(chmod(path, 0640), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 65534, (gid_t)-1), 0);
		cr_assert_eq(sov_rt_open(name, &x), -SOV_EFOREIGN, "owned by nobody");
		cr_assert_eq(chown(path, 0, (gid_t)-1), 0);
	}
	cr_assert_eq(sov_rt_open(name, &h), 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 50.0);
	/* A re-attach trusts no more: a restarted writer's file made group-writable. */
	sov_writer_close(w);
	w = mk_writer(s, FX_N);
	fx_publish(w, 51000, 40000, 1000, 0);
	cr_assert_eq(chmod(path, 0660), 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), -SOV_EFOREIGN);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(sov_rt_value(h, "Tctl", &v, NULL), 0);
	cr_assert_eq(v, 51.0);
}
