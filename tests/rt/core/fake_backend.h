/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_backend.h - test hooks of the fake backends (fake_backend.c): how
 * often the core probed and removed channels, and a gate that holds a
 * "block V" read (a hung bus) until the test releases it.
 */
#ifndef SOVEREIGN_TESTS_FAKE_BACKEND_H
#define SOVEREIGN_TESTS_FAKE_BACKEND_H

/* fake_probe_calls() - probe() calls of both fake backends so far. */
int fake_probe_calls(void);

/* fake_remove_calls() - remove() calls (one per channel) so far. */
int fake_remove_calls(void);

/*
 * fake_gate_close() - from now on a read of a "block V" file waits, until
 * fake_gate_open(), then gives V.  Context: the test thread.
 */
void fake_gate_close(void);

/* fake_gate_open() - release every read waiting at the gate, and later ones. */
void fake_gate_open(void);

/* fake_gate_waiting() - reads waiting at the gate now. */
int fake_gate_waiting(void);

#endif /* SOVEREIGN_TESTS_FAKE_BACKEND_H */
