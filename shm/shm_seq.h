/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_seq.h - seqcount primitives for the segment's slots, events and
 * sensor table; used by the writer (shm_writer.c) and reader (shm_reader.c).
 *
 * Memory-order policy (the one place it is written down):
 * - Every word shared between the writer and readers is accessed with
 *   liburcu's CMM_LOAD_SHARED()/CMM_STORE_SHARED() (a volatile access: the
 *   compiler emits exactly one load or store, but it orders nothing).
 * - Ordering comes only from cmm_smp_wmb() on the writer side and
 *   cmm_smp_rmb() on the reader side (on x86 both are compiler barriers,
 *   since TSO already keeps loads with loads and stores with stores; on
 *   weaker architectures they are real fences).  No full barrier, no
 *   read-modify-write: there is one writer, so nothing needs an atomic RMW.
 * - The ordered operations, each with its partner:
 *     sov_seq_write_begin()  wmb after the odd store   <-> second rmb in
 *                                                           sov_seq_read_retry()
 *     sov_seq_write_end()    wmb before the even store <-> rmb in
 *                                                           sov_seq_read_begin()
 *   plus, in shm_writer.c/shm_reader.c, the publication of header.head,
 *   header.event_head, and of a re-init (state INIT, then generation, then
 *   header, then LIVE; read back in snapshot_header()), each commented there.
 * - volatile is never a barrier; plain payload copies (memcpy) are fenced by
 *   the barriers above, as in the kernel's seqcount_t: data "must be copied
 *   out inside the read side critical section" and holds no pointers.
 *
 * Protocol (include/linux/seqlock.h): the writer makes the sequence odd,
 * writes the payload, makes it even.  A reader loads the sequence, refuses
 * an odd one, copies, and checks the sequence did not move.  Readers never
 * spin here: the caller decides how often to retry (bounded), because the
 * writer may be preempted or dead and readers may run SCHED_FIFO.
 */
#ifndef SOVEREIGN_SHM_SEQ_H
#define SOVEREIGN_SHM_SEQ_H

#include <stdbool.h>
#include <stdint.h>
#include <urcu/arch.h>
#include <urcu/system.h>

/*
 * sov_seq_write_begin() - open a write section on @seq (make it odd).
 * Context: the single writer only; RT-safe (no system call, no lock).
 */
static inline void sov_seq_write_begin(uint64_t *seq)
{
	CMM_STORE_SHARED(*seq, *seq + 1);
	/*
	 * Orders the odd sequence before the payload stores that follow.
	 * Pairs with the rmb in sov_seq_read_retry(): a reader that saw any
	 * new payload byte sees the odd (or a later) sequence at its re-check.
	 */
	cmm_smp_wmb();
}

/*
 * sov_seq_write_end() - close a write section on @seq (make it even).
 * Context: the single writer only, after sov_seq_write_begin(); RT-safe.
 */
static inline void sov_seq_write_end(uint64_t *seq)
{
	/*
	 * Orders the payload stores before the even sequence.  Pairs with the
	 * rmb in sov_seq_read_begin(): a reader that sees this even value
	 * sees the whole payload that preceded it.
	 */
	cmm_smp_wmb();
	CMM_STORE_SHARED(*seq, *seq + 1);
}

/*
 * sov_seq_read_begin() - load @seq to open a read section.
 * Context: any reader; never blocks.
 * Return: the sequence; odd means a write is in progress (the caller must
 * not trust what it copies and should try another slot or give up).
 */
static inline uint64_t sov_seq_read_begin(const uint64_t *seq)
{
	uint64_t s = CMM_LOAD_SHARED(*seq);

	/*
	 * Orders the sequence load before the payload loads.  Pairs with the
	 * wmb in sov_seq_write_end().
	 */
	cmm_smp_rmb();
	return s;
}

/* sov_seq_odd() - true while a write section is open at sequence @s. */
static inline bool sov_seq_odd(uint64_t s)
{
	return s & 1u;
}

/*
 * sov_seq_read_retry() - close a read section opened at @start.
 * Context: any reader; never blocks.
 * Return: true when the copy made since sov_seq_read_begin() may be torn
 * (a write began or ended meanwhile, or one was in progress at the start).
 */
static inline bool sov_seq_read_retry(const uint64_t *seq, uint64_t start)
{
	/*
	 * Orders the payload loads before the sequence re-load.  Pairs with
	 * the wmb in sov_seq_write_begin().
	 */
	cmm_smp_rmb();
	return sov_seq_odd(start) || CMM_LOAD_SHARED(*seq) != start;
}

#endif /* SOVEREIGN_SHM_SEQ_H */
