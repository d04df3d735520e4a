// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_opt.c - the bounded-integer option parser (common/opt.c): decimal
 * only, both bounds inclusive, every refusal names the option and the range
 * and leaves the output alone.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "opt.h"

/* Parse @arg for "--n" in [@min, @max]; *@out starts at -7 so that an untouched value shows. */
static int parse(const char *arg, long long min, long long max, long long *out,
		 struct sov_opt_err *err)
{
	*out = -7;
	memset(err, 0, sizeof(*err));
	return sov_opt_int("--n", arg, min, max, out, err);
}

/* A refusal: @rc, *@out untouched, and the message naming the option, the value and the range. */
static void assert_refused(const char *arg, long long min, long long max, int rc,
			   const char *range)
{
	struct sov_opt_err err;
	long long v;

	cr_assert_eq(parse(arg, min, max, &v, &err), rc, "'%s'", arg);
	cr_assert_eq(v, -7, "'%s' changed the output", arg);
	cr_assert(strstr(err.msg, "--n: '") == err.msg, "%s", err.msg);
	cr_assert(strstr(err.msg, arg), "%s", err.msg);
	cr_assert(strstr(err.msg, range), "%s", err.msg);
}

Test(opt, accepts_decimal_within_bounds)
{
	struct sov_opt_err err;
	long long v;

	cr_assert_eq(parse("100", 1, 60000, &v, &err), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(parse("1", 1, 60000, &v, &err), 0);            /* lower bound inclusive */
	cr_assert_eq(v, 1);
	cr_assert_eq(parse("60000", 1, 60000, &v, &err), 0);        /* upper bound inclusive */
	cr_assert_eq(v, 60000);
	cr_assert_eq(parse("010", 0, 100, &v, &err), 0);            /* leading zero: still decimal */
	cr_assert_eq(v, 10);
	cr_assert_eq(parse("-5", -10, 10, &v, &err), 0);
	cr_assert_eq(v, -5);
	cr_assert_eq(parse("+5", -10, 10, &v, &err), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(parse("9223372036854775807", 1, LLONG_MAX, &v, &err), 0);
	cr_assert_eq(v, LLONG_MAX);
	cr_assert_eq(err.msg[0], '\0', "an accepted value wrote an error: %s", err.msg);
}

Test(opt, refuses_out_of_range_with_erange)
{
	assert_refused("0", 1, 60000, -ERANGE, "1..60000");
	assert_refused("60001", 1, 60000, -ERANGE, "1..60000");
	assert_refused("-1", 0, 100000, -ERANGE, "0..100000");
	assert_refused("99999999999999999999", 1, LLONG_MAX, -ERANGE, "1..9223372036854775807");
	assert_refused("-99999999999999999999", LLONG_MIN, 0, -ERANGE, "-9223372036854775808..0");
}

Test(opt, refuses_what_is_not_decimal_with_einval)
{
	static const char *const junk[] = { "", "abc", "0x10", "1e3", "5ms", " 5", "5 ", "\t5",
					    "-", "+", "--5", "1.5", "5\n" };

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_refused(junk[i], 0, 1000, -EINVAL, "0..1000");
}

Test(opt, null_err_is_allowed)
{
	long long v = -7;

	cr_assert_eq(sov_opt_int("--n", "x", 0, 1, &v, NULL), -EINVAL);
	cr_assert_eq(sov_opt_int("--n", "2", 0, 1, &v, NULL), -ERANGE);
	cr_assert_eq(v, -7);
}

Test(opt, long_option_and_value_are_cut_not_overrun)
{
	char name[400], arg[400];
	struct sov_opt_err err;
	long long v;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(arg, 'x', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	cr_assert_eq(sov_opt_int(name, arg, 0, 1, &v, &err), -EINVAL);
	cr_assert_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
