/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * steps_bmc.h - the steps that talk to a server's BMC over Redfish
 * (steps_bmc.c), and the step helpers steps.c shares with them.
 */
#ifndef SOVEREIGN_FLEET_STEPS_BMC_H
#define SOVEREIGN_FLEET_STEPS_BMC_H

#include "internal.h"

enum step_rc fleet_wait(struct step_run *r, int64_t ms);
int64_t fleet_deadline(struct step_run *r, const char *key, int seconds);
void fleet_data_clear(struct step_run *r, const char *key);
enum step_rc fleet_bmc_wake_hook(struct step_run *r);
enum step_rc fleet_bmc_standby_hook(struct step_run *r);

/* maintain */
enum step_rc fleet_step_update_service(struct step_run *r);
enum step_rc fleet_step_simple_update(struct step_run *r);
enum step_rc fleet_step_follow_task(struct step_run *r);
enum step_rc fleet_step_verify_version(struct step_run *r);
/* reset */
enum step_rc fleet_step_confirm_down(struct step_run *r);
enum step_rc fleet_step_reset_limits(struct step_run *r);
enum step_rc fleet_step_system_reset(struct step_run *r);

#endif /* SOVEREIGN_FLEET_STEPS_BMC_H */
