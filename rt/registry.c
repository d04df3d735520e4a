/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * registry.c - iterates the backends registered with SENSOR_REGISTER() and
 * keeps the channel list their probes fill.  Nothing else knows the list.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "shm_writer.h"

/* Bounds of the "sov_sensor_ops" section, from the linker; weak: maybe empty. */
extern const struct sensor_ops *const __start_sov_sensor_ops[] __attribute__((weak));
extern const struct sensor_ops *const __stop_sov_sensor_ops[] __attribute__((weak));

const struct sensor_ops *rt_probe_current_ops;

size_t rt_backend_count(void)
{
	if (!__start_sov_sensor_ops)
		return 0;
	return (size_t)(__stop_sov_sensor_ops - __start_sov_sensor_ops);
}

const struct sensor_ops *rt_backend_at(size_t i)
{
	return __start_sov_sensor_ops[i];
}

const struct sensor_ops *rt_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < rt_backend_count(); i++)
		if (!strcmp(rt_backend_at(i)->name, name))
			return rt_backend_at(i);
	return NULL;
}

int rt_path(char *buf, unsigned long len, const char *root, const char *path)
{
	int n = snprintf(buf, len, "%s%s", root ? root : "", path);

	return n < 0 || (unsigned long)n >= len ? -ENAMETOOLONG : 0;
}

int rt_chan_add(struct rt_probe_ctx *ctx, const struct sov_sensor *desc, void *priv)
{
	return rt_chan_add_flags(ctx, desc, priv, 0);
}

int rt_chan_add_flags(struct rt_probe_ctx *ctx, const struct sov_sensor *desc, void *priv,
		      unsigned flags)
{
	struct rt_chan_list *l = ctx->chans;
	const struct sensor_ops *ops = rt_probe_current_ops;
	struct rt_chan *c;

	if (l->n >= RT_CHANS_MAX)
		goto err_remove;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct rt_chan *nc = realloc(l->chan, cap * sizeof(*nc));

		if (!nc) {
			if (ops && ops->remove) {
				struct rt_chan tmp = { .priv = priv, .ops = ops };

				ops->remove(&tmp);
			}
			return -ENOMEM;
		}
		l->chan = nc;
		l->cap = cap;
	}
	c = &l->chan[l->n];
	memset(c, 0, sizeof(*c));
	c->desc = *desc;
	c->ops = ops;
	c->priv = priv;
	c->idx = (uint32_t)l->n;
	c->power_idx = UINT32_MAX;
	c->slow = (ops && ops->slow) || (flags & RT_CHAN_SLOW);
	if (ops)
		c->desc.source = ops->source;
	c->desc.name[sizeof(c->desc.name) - 1] = '\0';
	c->desc.label[sizeof(c->desc.label) - 1] = '\0';
	c->desc.chip[sizeof(c->desc.chip) - 1] = '\0';
	c->desc.labels[sizeof(c->desc.labels) - 1] = '\0';
	if (!c->desc.id)
		c->desc.id = sov_sensor_id(c->desc.source, c->desc.chip, c->desc.name);
	l->n++;
	return 0;

err_remove:
	if (ops && ops->remove) {
		struct rt_chan tmp = { .priv = priv, .ops = ops };

		ops->remove(&tmp);
	}
	return -E2BIG;
}

int rt_backend_probe(const struct sensor_ops *ops, const char *root, int cpu,
		     const struct rt_conf_section *conf, struct rt_chan_list *list,
		     struct rt_err *err)
{
	struct rt_probe_ctx ctx = {
		.root = root ? root : "",
		.cpu = cpu,
		.conf = conf,
		.chans = list,
		.err = err,
	};
	int rc;

	err->msg[0] = '\0';
	rt_probe_current_ops = ops;
	rc = ops->probe(&ctx);
	rt_probe_current_ops = NULL;
	if (rc && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s: probe failed: %s", ops->name,
			 strerror(-rc));
	return rc;
}

int rt_probe_note(struct rt_probe_ctx *ctx, const char *line)
{
	struct rt_chan_list *l = ctx->chans;
	size_t used = l->notes ? strlen(l->notes) : 0, len = strlen(line);
	char *p = realloc(l->notes, used + len + 2);

	if (!p)
		return -ENOMEM;
	if (used)
		p[used++] = '\n';
	memcpy(p + used, line, len + 1);
	l->notes = p;
	return 0;
}

char *rt_chan_list_take_notes(struct rt_chan_list *list)
{
	char *n = list->notes;

	list->notes = NULL;
	return n;
}

void rt_chan_list_free(struct rt_chan_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		struct rt_chan *c = &list->chan[i];

		if (c->ops && c->ops->remove)
			c->ops->remove(c);
	}
	free(list->chan);
	free(list->notes);
	memset(list, 0, sizeof(*list));
}
