/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* commands.h - the subcommands of the moat binary */
#ifndef MOAT_COMMANDS_H
#define MOAT_COMMANDS_H

/* Each takes argv with argv[0] the subcommand, returns the exit status. */
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_wait_ready(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif /* MOAT_COMMANDS_H */
