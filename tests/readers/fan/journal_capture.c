/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * journal_capture.c - linked into sovereign-fan-journal (the real fan.c):
 * this definition interposes libsystemd's sd_journal_send_with_location()
 * (sd_journal_send() expands to it), as tests/rt/core does for the sampler,
 * and appends each entry's fields to the file named by $SOV_FAN_JOURNAL:
 * one "KEY=value" line per field, an empty line after each entry.
 * event.c passes every field as a "KEY=%s" format with one string argument;
 * any other format is written as "BADFORMAT=..." so the test fails on it.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

int sd_journal_send_with_location(const char *file, const char *line, const char *func,
				  const char *format, ...)
{
	const char *path = getenv("SOV_FAN_JOURNAL");
	char entry[4096];
	size_t off = 0;
	va_list ap;
	int fd;

	(void)file; (void)line; (void)func;
	va_start(ap, format);
	for (const char *f = format; f; f = va_arg(ap, const char *)) {
		size_t n = strlen(f);

		if (n > 3 && !strcmp(f + n - 3, "=%s")) {
			const char *v = va_arg(ap, const char *);

			off += (size_t)snprintf(entry + off, off < sizeof(entry) ? sizeof(entry) - off : 0,
						"%.*s=%s\n", (int)(n - 3), f, v);
		} else {
			off += (size_t)snprintf(entry + off, off < sizeof(entry) ? sizeof(entry) - off : 0,
						"BADFORMAT=%s\n", f);
			break;
		}
	}
	va_end(ap);
	if (off >= sizeof(entry) - 1)
		off = sizeof(entry) - 2;
	entry[off++] = '\n';
	if (!path)
		return -22;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -5;
	if (write(fd, entry, off) != (ssize_t)off) {
		close(fd);
		return -5;
	}
	close(fd);
	return 0;
}
