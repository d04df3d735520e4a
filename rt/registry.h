/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry.h - the registered backends and the channel list they fill;
 * used by the sampler core and by backend tests.
 */
#ifndef SOVEREIGN_RT_REGISTRY_H
#define SOVEREIGN_RT_REGISTRY_H

#include <stddef.h>

#include "config.h"
#include "sensor.h"

#define RT_CHANS_MAX 4096u /* sensors one sampler publishes, at most */

/* struct rt_chan_list - the channels, in table order. */
struct rt_chan_list {
	struct rt_chan *chan;
	size_t n;
	size_t cap;
	char *notes;      /* what the probes left out and why, one a line (NUL-
			   * terminated, malloc'd): rt_probe_note() adds,
			   * rt_chan_list_take_notes() takes, free() frees */
};

/* rt_backend_count() - number of registered backends. */
size_t rt_backend_count(void);

/* rt_backend_at() - registered backend @i (< rt_backend_count()). */
const struct sensor_ops *rt_backend_at(size_t i);

/* rt_backend_find() - the backend called @name, or NULL. */
const struct sensor_ops *rt_backend_find(const char *name);

/*
 * rt_backend_probe() - probe one backend into @list.
 * Context: process context.  Return: as ops->probe().
 */
int rt_backend_probe(const struct sensor_ops *ops, const char *root, int cpu,
		     const struct rt_conf_section *conf, struct rt_chan_list *list,
		     struct rt_err *err);

/*
 * rt_probe_note() - add the line @line to the notes of the probe's list
 * (no length limit, unlike ctx->err).  Context: probe only.  Return: 0 or
 * -ENOMEM (the note is lost, nothing else).
 */
int rt_probe_note(struct rt_probe_ctx *ctx, const char *line);

/*
 * rt_chan_list_take_notes() - the notes added since the last take, one a
 * line, or NULL for none.  Ownership: the caller's (free()); the list's
 * notes are empty after.  Context: process context.
 */
char *rt_chan_list_take_notes(struct rt_chan_list *list);

/*
 * rt_chan_list_free() - call remove() on every channel, free the list
 * (and its notes).
 * Context: process context, after the loop.
 */
void rt_chan_list_free(struct rt_chan_list *list);

#endif /* SOVEREIGN_RT_REGISTRY_H */
