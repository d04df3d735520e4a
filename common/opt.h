/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opt.h - the one bounded-integer command-line option parser: "--period-ms
 * 100" is decimal, range-checked, and a refusal names the option and the
 * range.  Used by every program's main (readers, tools, the sampler, the
 * benchmark drivers) instead of a private strtol wrapper each.
 */
#ifndef SOVEREIGN_COMMON_OPT_H
#define SOVEREIGN_COMMON_OPT_H

#define SOV_OPT_ERR_LEN 192

/* struct sov_opt_err - why a value was refused: "--interval: '0' is not an integer in 1..60000". */
struct sov_opt_err {
	char msg[SOV_OPT_ERR_LEN];
};

/*
 * sov_opt_int() - parse @arg, the value of option @name, as a decimal
 * integer in [@min, @max].
 * Decimal only, with an optional sign: a leading zero is still decimal
 * ("010" is ten), "0x10", "", " 5", "5 " and "5ms" are refused.
 * Context: any; no allocation, prints nothing.
 * Return: 0 with *@out set; -EINVAL (not a decimal integer) or -ERANGE
 * (outside [@min, @max], or beyond long long) with *@out untouched and, if
 * @err is not NULL, @err->msg saying "@name: '@arg' is not an integer in
 * @min..@max".  The caller prints it, prefixed with its program's name.
 */
int sov_opt_int(const char *name, const char *arg, long long min, long long max, long long *out,
		struct sov_opt_err *err);

#endif /* SOVEREIGN_COMMON_OPT_H */
