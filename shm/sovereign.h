/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sovereign.h - libsovereign's public API in one include: the segment ABI
 * (shm_abi.h), error codes (shm_error.h), the unit table (shm_units.h),
 * the writer (shm_writer.h) and the reader (shm_reader.h).  Link with -lsovereign.
 */
#ifndef SOVEREIGN_H
#define SOVEREIGN_H

#include "shm_abi.h"
#include "shm_error.h"
#include "shm_reader.h"
#include "shm_units.h"
#include "shm_writer.h"

#endif /* SOVEREIGN_H */
