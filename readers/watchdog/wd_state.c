/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wd_state.c - the watchdog's state machine: unknown/active/hung/dead from
 * one period's observations.  Pure, so the tests can drive it directly.
 */
#include "wd.h"

enum wd_state wd_state_eval(const struct wd_eval *e)
{
	if (!e->found || !e->alive)
		return e->was_found ? WD_DEAD : WD_UNKNOWN;
	/* progress_ms may be ahead of now_ms by clock reads order: not hung. */
	if (e->now_ms > e->progress_ms && e->now_ms - e->progress_ms > e->hang_ms)
		return WD_HUNG;
	return WD_ACTIVE;
}

const char *wd_state_name(enum wd_state s)
{
	switch (s) {
	case WD_ACTIVE:
		return "active";
	case WD_HUNG:
		return "hung";
	case WD_DEAD:
		return "dead";
	case WD_UNKNOWN:
		break;
	}
	return "unknown";
}
