/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wrap.h - pure helpers turning wrapping hardware counters into 64-bit
 * monotonic accumulators; used by the msr, powercap and perf backends.
 *
 * Exporters that publish a raw 32-bit counter undercount at every wrap;
 * the sampler reads each counter well within half its wrap time and
 * accumulates the deltas.
 */
#ifndef SOVEREIGN_RT_WRAP_H
#define SOVEREIGN_RT_WRAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * struct wrap_acc - accumulator over a counter that wraps at @modulus.
 * @prev: last raw value; @acc: sum of the deltas since the first read;
 * @primed: false until the first raw value is seen.
 */
struct wrap_acc {
	uint64_t prev;
	uint64_t acc;
	bool primed;
};

/*
 * wrap_acc_u32() - add the delta of a 32-bit counter (RAPL bits 31:0,
 * MSR 0x34).  The delta is taken modulo 2^32, which is exact for a single
 * wrap between reads (docs/hardware.md §R1.1; amd_energy's UINT_MAX - prev + now
 * is off by one).  Return: the accumulated raw count.
 */
static inline uint64_t wrap_acc_u32(struct wrap_acc *w, uint32_t raw)
{
	if (w->primed)
		w->acc += (uint32_t)(raw - (uint32_t)w->prev);
	w->prev = raw;
	w->primed = true;
	return w->acc;
}

/*
 * wrap_acc_range() - add the delta of a counter that wraps after reaching
 * @max_range (powercap energy_uj wraps at max_energy_range_uj: the value
 * after max_range is 0, so a wrapped delta is now + (max_range - prev) + 1).
 * A value above @max_range is a bad read and is ignored (returns the old
 * accumulator).  Return: the accumulated count.
 */
static inline uint64_t wrap_acc_range(struct wrap_acc *w, uint64_t raw, uint64_t max_range)
{
	if (raw > max_range)
		return w->acc;
	if (w->primed)
		w->acc += raw >= w->prev ? raw - w->prev : raw + (max_range - w->prev) + 1;
	w->prev = raw;
	w->primed = true;
	return w->acc;
}

/*
 * WRAP_MAX_UJ_PER_NS - the fastest an energy counter can plausibly move:
 * 10 µJ/ns is 10 kW, some twenty times the package power of the largest
 * server socket.  A step above it is a bad read (a torn or glitched
 * counter that the modular delta would count as a wrap, 2^32 units = 65 kJ
 * at ESU 16), never energy.
 */
#define WRAP_MAX_UJ_PER_NS 10u

/*
 * wrap_energy_plausible() - whether @delta_uj µJ in @dt_ns ns is a power
 * a server domain can draw (see WRAP_MAX_UJ_PER_NS).  Pure.
 */
static inline bool wrap_energy_plausible(uint64_t delta_uj, uint64_t dt_ns)
{
	return dt_ns < UINT64_MAX / WRAP_MAX_UJ_PER_NS ? delta_uj <= WRAP_MAX_UJ_PER_NS * dt_ns
						       : true;
}

/*
 * wrap_units_to_uj() - @count energy-status units of 2^-@esu J in µJ,
 * without overflow for any 64-bit count (count * 10^6 split in two).
 */
static inline uint64_t wrap_units_to_uj(uint64_t count, unsigned esu)
{
	uint64_t whole = count >> esu;
	uint64_t frac = count & ((UINT64_C(1) << esu) - 1);

	return whole * 1000000u + ((frac * 1000000u) >> esu);
}

#endif /* SOVEREIGN_RT_WRAP_H */
