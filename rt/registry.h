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
 * rt_chan_list_free() - call remove() on every channel, free the list.
 * Context: process context, after the loop.
 */
void rt_chan_list_free(struct rt_chan_list *list);

#endif /* SOVEREIGN_RT_REGISTRY_H */
