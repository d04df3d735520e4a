/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * shm_abi.h - the Sovereign shared-memory segment ABI, and nothing else.
 *
 * One writer (the sampler) publishes into a segment; any number of readers
 * (exporter, fan actuator, watchdog, inference runtime) map it read-only.
 * Every structure here is fixed-width, explicitly padded and asserted at
 * compile time: a reader built from another tree refuses, with a clear
 * error, any layout it does not understand (see shm_reader.h).
 *
 * Segment layout (every part starts on a SOV_ALIGN boundary):
 *
 *   +----------------------+ 0
 *   | struct sov_header    |  static part | hot part (own cache lines)
 *   +----------------------+ header.sensor_off
 *   | struct sov_sensor[]  |  sensors_max entries, nsensors used
 *   +----------------------+ header.ring_off
 *   | sample slot [0]      |  nslots (power of two) slots of slot_size
 *   | ...                  |  bytes; layout of one slot below
 *   +----------------------+ header.event_off
 *   | struct sov_event[]   |  nevents (power of two)
 *   +----------------------+ header.total_size
 *
 * One sample slot (slot_size bytes, a multiple of SOV_ALIGN):
 *
 *   struct sov_slot                   64 bytes: seq, number, times, cost, ...
 *   uint64_t valid[bitmap_words]      bit i set: reading i is a real value
 *   uint64_t suspect[bitmap_words]    bit i set: reading i looks frozen
 *   struct sov_reading[sensors_max]   value + time of each sensor's last read
 *
 * Synchronization table.  "X": the pair needs external exclusion (the
 * operations may not run concurrently); "-": they may run concurrently.
 *
 *                      | publish | event | limits | re-init | attach | snapshot
 *   writer publish     |    X    |   X   |   X    |    X    |   -    |    -
 *   writer event       |    X    |   X   |   X    |    X    |   -    |    -
 *   writer limits      |    X    |   X   |   X    |    X    |   -    |    -
 *   writer re-init     |    X    |   X   |   X    |    X    |   -    |    -
 *   reader attach      |    -    |   -   |   -    |    -    |   -    |    -
 *   reader snapshot    |    -    |   -   |   -    |    -    |   -    |    -
 *
 * All writer operations come from the one writer (one thread at a time: the
 * sampler serialises its own threads; a second writer process is kept out
 * by an OFD write lock on the segment's lock file, see sov_writer_create()).
 * Readers never need the writer stopped: a snapshot racing with publish is
 * resolved by the slot seqlock, one racing with a limits update by
 * header.table_seq, and one racing with re-init (a writer restart) by
 * header.generation -- the reader then gets -SOV_ERESTARTED and
 * re-attaches.  Attach racing with re-init: re-init stores state = INIT,
 * then generation + 1, then the header, then state = LIVE; attach loads
 * generation, state, copies the header, loads generation again, and keeps
 * the copy only if both generations agree and the state was exactly LIVE
 * or STOPPED (INIT: wait, bounded; any other value: refused).  "snapshot"
 * covers latest sample, walk, events and sensor-table reads.
 *
 * Units: integers in sysfs milli-units (m°C, mV, mA, µW, µJ, RPM), converted
 * to base units only by the exporter.  Times: nanoseconds.
 */
#ifndef SOVEREIGN_SHM_ABI_H
#define SOVEREIGN_SHM_ABI_H

#include <stddef.h>
#include <stdint.h>

#define SOV_MAGIC          UINT64_C(0x31474e52564f5324) /* "$SOVRNG1", little-endian */
#define SOV_ABI_MAJOR      1u  /* incompatible layout change: readers refuse */
#define SOV_ABI_MINOR      1u  /* compatible addition: readers accept.
				* 1: kinds ALARM..CHIP_INFO, units MILLIPERCENT
				* and HERTZ, flag SOV_SEN_CRITICAL, events
				* ALARM/ALARM_CLEAR (a reader of minor 0 shows
				* them as unknown numbers; no layout change) */
#define SOV_ABI_VERSION    ((SOV_ABI_MAJOR << 16) | SOV_ABI_MINOR)
#define SOV_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)

/*
 * Alignment unit of every part, slot and hot field.  128, not 64: x86's
 * adjacent-line prefetcher pulls cache lines in pairs, which is why liburcu
 * uses 128 for CAA_CACHE_LINE_SIZE on x86.  Fixed in the ABI so that the
 * layout does not depend on the build host.
 */
#define SOV_ALIGN          128u

#define SOV_NAME_LEN       48u  /* bytes of each name field, NUL-terminated */
#define SOV_LABELS_LEN     64u  /* bytes of the extra-labels field */
#define SOV_EVENT_TEXT_LEN 72u  /* bytes of an event's free text */

#define SOV_SENSORS_MAX_LIMIT 65536u     /* sanity bound for sensors_max */
#define SOV_NSLOTS_MAX        (1u << 20) /* sanity bound for nslots */
#define SOV_NEVENTS_MAX       (1u << 20) /* sanity bound for nevents */
#define SOV_NO_SENSOR         UINT32_MAX /* event not tied to a sensor */

/*
 * Where segments live.  A name of the old shm_open() form, "/x" (leading
 * slash, no other), is the file SOV_RUN_DIR "/x", or "$SOVEREIGN_RUN_DIR/x"
 * when that variable is set (tests, the simulated demo); a name with a
 * further slash is an absolute file path.  sov_shm_path() applies the rule.
 * Not /dev/shm: any local user may create files there, and so squat a
 * segment's name before its writer starts.  The directory is writable by
 * the writers only (systemd RuntimeDirectory=sovereign, mode 0750).
 */
#define SOV_SHM_DEFAULT_NAME "/sovereign"     /* the sampler's segment */
#define SOV_RUN_DIR          "/run/sovereign" /* directory of "/x" names */
#define SOV_RUN_DIR_ENV      "SOVEREIGN_RUN_DIR" /* overrides SOV_RUN_DIR */

/* header.state: no other value is ever written; a reader treats one as not live */
enum sov_state {
	SOV_STATE_INIT    = 0, /* writer is (re)initialising: do not attach;
				* stored before the generation bump */
	SOV_STATE_LIVE    = 1, /* writer publishing */
	SOV_STATE_STOPPED = 2, /* writer exited cleanly; data is the last it had */
};

/* header.flags: facts about the writer, set once at create */
enum sov_header_flags {
	SOV_HF_NOT_LOCKED   = 1u << 0, /* mlock failed: pages may be swapped */
	SOV_HF_NO_NUMA      = 1u << 1, /* NUMA placement unavailable or failed */
};

/* slot.flags: facts about this cycle of the writer */
enum sov_sample_flags {
	SOV_SF_SMI_VALID    = 1u << 0, /* smi_count holds a real count */
	SOV_SF_NO_RT        = 1u << 1, /* writer runs without SCHED_FIFO */
	SOV_SF_NO_MLOCK     = 1u << 2, /* writer runs without mlockall */
	SOV_SF_OVERRUN      = 1u << 3, /* this cycle missed its deadline */
};

/* sensor.kind: what is measured.  The unit follows from the kind. */
enum sov_kind {
	SOV_KIND_TEMP      = 1,  /* temperature, m°C */
	SOV_KIND_FAN_RPM   = 2,  /* fan speed, RPM */
	SOV_KIND_FAN_DUTY  = 3,  /* fan duty, per-mille of full scale (0..1000) */
	SOV_KIND_POWER     = 4,  /* power, µW */
	SOV_KIND_ENERGY    = 5,  /* energy, µJ, 64-bit monotonic accumulator */
	SOV_KIND_VOLTAGE   = 6,  /* voltage, mV */
	SOV_KIND_CURRENT   = 7,  /* current, mA */
	SOV_KIND_SMI_COUNT = 8,  /* SMIs since boot, count */
	SOV_KIND_COUNT     = 9,  /* any other monotonic counter, count */
	SOV_KIND_GAUGE     = 10, /* any other gauge, dimensionless */
	SOV_KIND_ALARM     = 11, /* a chip's alarm or fault flag: 0 clear, 1 raised
				  * (hwmon *_alarm, *_fault); a change is an event */
	SOV_KIND_HUMIDITY  = 12, /* relative humidity, milli-percent (0..100000) */
	SOV_KIND_FREQ      = 13, /* frequency, Hz */
	SOV_KIND_STATE     = 14, /* a chip setting or state, an integer code as the
				  * chip gives it (hwmon pwmN_enable, pwmN_mode,
				  * fanN_div, fanN_pulses, *_beep) */
	SOV_KIND_FAN_RPM_SET = 15, /* a fan speed the chip holds or watches
				    * (hwmon fanN_target, fanN_min, fanN_max), RPM */
	SOV_KIND_CHIP_INFO = 16, /* always 1: describes the chip named in .chip:
				  * .label its driver name, .labels "device=" its
				  * device path below /sys/devices ("" virtual) */
	SOV_KIND_MAX_
};

/* sensor.unit: the integer unit of values and limits */
enum sov_unit {
	SOV_UNIT_NONE        = 0,
	SOV_UNIT_MILLICELSIUS = 1,
	SOV_UNIT_RPM         = 2,
	SOV_UNIT_PERMILLE    = 3,
	SOV_UNIT_MICROWATT   = 4,
	SOV_UNIT_MICROJOULE  = 5,
	SOV_UNIT_MILLIVOLT   = 6,
	SOV_UNIT_MILLIAMPERE = 7,
	SOV_UNIT_COUNT       = 8,
	SOV_UNIT_MILLIPERCENT = 9,  /* 1/1000 of a percent (humidity) */
	SOV_UNIT_HERTZ       = 10,
	SOV_UNIT_MAX_
};

/* sensor.source: the kernel interface the value came through */
enum sov_source {
	SOV_SRC_NONE     = 0,
	SOV_SRC_MSR      = 1,  /* /dev/cpu/N/msr */
	SOV_SRC_HWMON    = 2,  /* /sys/class/hwmon */
	SOV_SRC_POWERCAP = 3,  /* /sys/class/powercap */
	SOV_SRC_I2C      = 4,  /* /dev/i2c-N through libi2c */
	SOV_SRC_PERF     = 5,  /* perf_event_open */
	SOV_SRC_SIM      = 6,  /* the simulated server */
	SOV_SRC_INTERNAL = 7,  /* the writer's own figures */
	SOV_SRC_MAX_
};

/* sensor.flags */
enum sov_sensor_flags {
	SOV_SEN_WARN_HI  = 1u << 0, /* warn_hi is set */
	SOV_SEN_CRIT_HI  = 1u << 1, /* crit_hi is set */
	SOV_SEN_WARN_LO  = 1u << 2, /* warn_lo is set */
	SOV_SEN_CRIT_LO  = 1u << 3, /* crit_lo is set */
	SOV_SEN_COUNTER  = 1u << 4, /* monotonic: export as a counter */
	SOV_SEN_CRITICAL = 1u << 5, /* SOV_KIND_ALARM: raised is critical (crit,
				     * lcrit, emergency, fault, intrusion), not
				     * a warning */
};
/* The limit bits of sensor.flags: what struct sov_limits sets and replaces. */
#define SOV_SEN_LIMITS (SOV_SEN_WARN_HI | SOV_SEN_CRIT_HI | SOV_SEN_WARN_LO | SOV_SEN_CRIT_LO)

/*
 * event.type: what the BMC's SEL used to hold, and the writers' own news.
 * What event.value and event.limit mean depends on the type (readers print
 * them in that meaning: an errno is not a temperature):
 */
enum sov_event_type {
	SOV_EV_WRITER_START   = 1,  /* a writer started (value: generation) */
	SOV_EV_WRITER_STOP    = 2,  /* a writer stopped cleanly (value: generation) */
	SOV_EV_DEGRADED       = 3,  /* a privilege or feature is missing (value: positive
				     * errno, or 0; text: what) */
	SOV_EV_THRESH_WARN    = 4,  /* value crossed a warning limit (value: reading,
				     * limit: the limit, both in the sensor's unit) */
	SOV_EV_THRESH_CRIT    = 5,  /* value crossed a critical limit (as THRESH_WARN) */
	SOV_EV_THRESH_CLEAR   = 6,  /* back inside limits, past hysteresis (value: reading) */
	SOV_EV_FAN_STALL      = 7,  /* fan reads 0 RPM while driven (value: 0, limit: the
				     * RPM before) */
	SOV_EV_SENSOR_LOST    = 8,  /* reads fail; sensor invalid (value: negative errno) */
	SOV_EV_SENSOR_BACK    = 9,  /* reads succeed again (value: reading) */
	SOV_EV_SENSOR_SUSPECT = 10, /* raw value frozen for too long (value: reading) */
	SOV_EV_OVERRUN        = 11, /* cycles missed their deadline (value: how many
				     * deadlines were missed, a count, not ns) */
	SOV_EV_CONFIG         = 12, /* configuration reloaded (value: parameter generation) */
	SOV_EV_FAILSAFE_ENTER = 13, /* actuator entered failsafe (text: reason) */
	SOV_EV_FAILSAFE_EXIT  = 14, /* actuator left failsafe */
	SOV_EV_ALARM          = 15, /* a SOV_KIND_ALARM sensor raised (also when found
				     * raised at the first read) (value: its reading,
				     * non-zero; severity CRIT with SOV_SEN_CRITICAL,
				     * else WARNING) */
	SOV_EV_ALARM_CLEAR    = 16, /* the alarm went back to 0 (value: 0) */
	SOV_EV_MAX_
};

/* event.severity: syslog levels, so journald gets them unchanged */
enum sov_severity {
	SOV_SEV_CRIT    = 2,
	SOV_SEV_ERR     = 3,
	SOV_SEV_WARNING = 4,
	SOV_SEV_NOTICE  = 5,
	SOV_SEV_INFO    = 6,
};

/*
 * struct sov_header - the first bytes of the segment.
 *
 * The static part is written only while state == SOV_STATE_INIT; the hot
 * part (own cache lines, so readers polling it do not share a line with
 * the static fields they copy) is written by every publish.
 */
struct sov_header {
	/* --- static part: identity and layout --- */
	uint64_t magic;          /* SOV_MAGIC */
	uint32_t abi_version;    /* SOV_ABI_VERSION of the writer */
	uint32_t header_size;    /* bytes: sizeof(struct sov_header) */
	uint32_t sensor_size;    /* bytes: sizeof(struct sov_sensor) */
	uint32_t slot_hdr_size;  /* bytes: sizeof(struct sov_slot) */
	uint32_t reading_size;   /* bytes: sizeof(struct sov_reading) */
	uint32_t event_size;     /* bytes: sizeof(struct sov_event) */
	uint32_t sensors_max;    /* entries in the sensor table and per slot */
	uint32_t nsensors;       /* entries in use (<= sensors_max) */
	uint32_t bitmap_words;   /* uint64_t words of each slot bitmap */
	uint32_t slot_size;      /* bytes of one slot, multiple of SOV_ALIGN */
	uint32_t nslots;         /* slots in the sample ring, power of two */
	uint32_t nevents;        /* entries in the event ring, power of two */
	uint64_t sensor_off;     /* bytes from segment start to sensor table */
	uint64_t ring_off;       /* bytes from segment start to slot 0 */
	uint64_t event_off;      /* bytes from segment start to event 0 */
	uint64_t total_size;     /* bytes of the layout (the object may be larger) */
	uint64_t period_ns;      /* writer's nominal cycle period, ns */
	uint64_t created_real_ns;/* CLOCK_REALTIME when this generation began */
	uint64_t created_mono_ns;/* CLOCK_MONOTONIC when this generation began */
	uint64_t writer_starttime; /* writer's start time, clock ticks after boot
				    * (/proc/PID/stat field 22): tells a live
				    * writer from a recycled pid */
	int32_t  writer_pid;     /* pid of the writer process */
	int32_t  writer_cpu;     /* CPU the writer was created on, -1 unknown */
	int32_t  numa_node;      /* node the pages were placed on, -1 none */
	uint32_t flags;          /* enum sov_header_flags */
	uint8_t  boot_id[16];    /* /proc/sys/kernel/random/boot_id, binary */
	char     writer_name[32];/* writer program, NUL-terminated */
	uint8_t  pad0_[SOV_ALIGN * 2 - 184]; /* static part is two units */

	/* --- hot part: changes while the writer runs --- */
	uint64_t generation;     /* bumped at every writer start, after state
				  * INIT and before any other store; readers
				  * compare it before and after every copy */
	uint32_t state;          /* enum sov_state, exactly */
	uint32_t pad1_;
	uint64_t table_seq;      /* seqcount of the sensor table's limits: odd
				  * while sov_writer_update_limits() writes */
	uint64_t head;           /* number of the newest published sample, 0 none */
	uint64_t event_head;     /* number of the newest published event, 0 none */
	uint64_t heartbeat_mono_ns; /* CLOCK_MONOTONIC of the newest sample */
	uint8_t  pad2_[SOV_ALIGN - 48];
};

/*
 * struct sov_sensor - one entry of the sensor table.
 *
 * Immutable during a generation except the four limits and flags' limit
 * bits, which change only under header.table_seq.  A change of the sensor
 * set itself is a writer re-init (new generation).
 */
struct sov_sensor {
	uint32_t id;             /* stable id: FNV-1a of "source/chip/name" (hwmon:
				  * of "source/name@device path/name" instead,
				  * docs/hardware.md §5: sov_sensor_id()) */
	uint16_t kind;           /* enum sov_kind */
	uint16_t unit;           /* enum sov_unit */
	uint16_t source;         /* enum sov_source */
	uint16_t flags;          /* enum sov_sensor_flags */
	uint32_t period_ms;      /* this sensor's own read period, ms */
	int64_t  warn_hi;        /* upper warning limit, in unit */
	int64_t  crit_hi;        /* upper critical limit, in unit */
	int64_t  warn_lo;        /* lower warning limit, in unit */
	int64_t  crit_lo;        /* lower critical limit, in unit */
	char     name[SOV_NAME_LEN];   /* stable machine name: "temp1", "package-0" */
	char     label[SOV_NAME_LEN];  /* human label: "Tctl", "DIMM A1" */
	char     chip[SOV_NAME_LEN];   /* chip and device: "k10temp/pci-0000:00:18.3" */
	char     labels[SOV_LABELS_LEN]; /* extra Prometheus labels, "k=v,k=v" */
};

/*
 * struct sov_reading - one sensor's value in a slot.  Meaningful only when
 * the sensor's bit is set in the slot's valid bitmap: an invalid reading is
 * never a number.
 */
struct sov_reading {
	int64_t  value;          /* in the sensor's unit */
	uint64_t mono_ns;        /* CLOCK_MONOTONIC of the read that produced it */
};

/*
 * struct sov_slot - the fixed head of one sample slot; bitmaps and readings
 * follow it inside the slot (see the layout at the top).
 */
struct sov_slot {
	uint64_t seq;            /* seqlock sequence: odd while being written */
	uint64_t number;         /* sample number, 1-based, == head when newest */
	uint64_t mono_ns;        /* CLOCK_MONOTONIC at the cycle's deadline */
	uint64_t real_ns;        /* CLOCK_REALTIME at the same instant */
	uint64_t cycle_cost_ns;  /* ns the writer spent in the previous cycle */
	uint64_t overruns;       /* deadlines missed since the writer started */
	uint64_t smi_count;      /* SMIs since boot (if SOV_SF_SMI_VALID) */
	uint32_t flags;          /* enum sov_sample_flags */
	uint32_t nsensors;       /* readings in use, == header.nsensors */
};

/*
 * struct sov_event - one entry of the event ring, with its own seqlock
 * sequence so that a reader never sees a half-written event.
 */
struct sov_event {
	uint64_t seq;            /* seqlock sequence: odd while being written */
	uint64_t number;         /* event number, 1-based */
	uint64_t mono_ns;        /* CLOCK_MONOTONIC when it happened */
	uint64_t real_ns;        /* CLOCK_REALTIME when it happened */
	int64_t  value;          /* the reading that caused it, in sensor unit */
	int64_t  limit;          /* the limit crossed, if any, in sensor unit */
	uint32_t sensor;         /* index in the sensor table, or SOV_NO_SENSOR */
	uint16_t type;           /* enum sov_event_type */
	uint16_t severity;       /* enum sov_severity */
	char     text[SOV_EVENT_TEXT_LEN]; /* free text, NUL-terminated */
};

/* --- layout facts readers rely on --- */
_Static_assert(sizeof(struct sov_header) == 3 * SOV_ALIGN, "header is three alignment units");
_Static_assert(offsetof(struct sov_header, generation) == 2 * SOV_ALIGN,
	       "hot part starts on its own cache lines");
_Static_assert(offsetof(struct sov_header, pad0_) == 184, "static part packed as documented");
_Static_assert(offsetof(struct sov_header, abi_version) == 8, "abi_version right after magic");
_Static_assert(sizeof(struct sov_sensor) == 256, "sensor entry is 256 bytes");
_Static_assert(SOV_ALIGN % sizeof(struct sov_sensor) == 0 ||
	       sizeof(struct sov_sensor) % SOV_ALIGN == 0, "sensor entries tile alignment units");
_Static_assert(sizeof(struct sov_reading) == 16, "reading is value + time");
_Static_assert(sizeof(struct sov_slot) == 64, "slot head is 64 bytes");
_Static_assert(offsetof(struct sov_slot, seq) == 0, "seq opens the slot's first cache line");
_Static_assert(sizeof(struct sov_event) == 128, "event entry is 128 bytes");
_Static_assert(offsetof(struct sov_event, seq) == 0, "seq opens the event's cache line");
_Static_assert((SOV_ALIGN & (SOV_ALIGN - 1)) == 0, "alignment is a power of two");

/* sov_align_up() - round @n up to a multiple of SOV_ALIGN. */
static inline uint64_t sov_align_up(uint64_t n)
{
	return (n + SOV_ALIGN - 1) & ~(uint64_t)(SOV_ALIGN - 1);
}

/* sov_bitmap_words() - uint64_t words of a bitmap of @sensors_max bits. */
static inline uint32_t sov_bitmap_words(uint32_t sensors_max)
{
	return (sensors_max + 63u) / 64u;
}

/* sov_slot_size() - bytes of one slot for @sensors_max sensors. */
static inline uint64_t sov_slot_size(uint32_t sensors_max)
{
	return sov_align_up(sizeof(struct sov_slot) +
			    2u * 8u * (uint64_t)sov_bitmap_words(sensors_max) +
			    sizeof(struct sov_reading) * (uint64_t)sensors_max);
}

/* sov_slot_valid() - the valid bitmap of @slot (@words = bitmap_words). */
static inline uint64_t *sov_slot_valid(struct sov_slot *slot)
{
	return (uint64_t *)(slot + 1);
}

/* sov_slot_suspect() - the suspect bitmap of @slot. */
static inline uint64_t *sov_slot_suspect(struct sov_slot *slot, uint32_t words)
{
	return (uint64_t *)(slot + 1) + words;
}

/* sov_slot_readings() - the readings array of @slot. */
static inline struct sov_reading *sov_slot_readings(struct sov_slot *slot, uint32_t words)
{
	return (struct sov_reading *)((uint64_t *)(slot + 1) + 2u * words);
}

#endif /* SOVEREIGN_SHM_ABI_H */
