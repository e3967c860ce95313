// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fuzz_diag.c - libFuzzer: the runner-diagnostics parsers on any text */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The Worker log, a step's block file and its file name are written by
 * the runner, but a step can write files in the runner's folders too: the
 * same bytes go through every reader, as one log, line by line, and as a
 * name.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag_plan_step plan[DIAG_PLAN_MAX];
	char name[DIAG_NAME_MAX], id[DIAG_ID_MAX];
	char *text = malloc(size + 1), *line, *save = NULL;
	uint64_t ns;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	diag_parse_plan(text, size, plan, DIAG_PLAN_MAX);
	diag_block_name(text, id, sizeof(id));
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		diag_line_time(line);
		diag_step_line(line, name, sizeof(name), &ns);
		diag_block_time(line);
	}
	free(text);
	return 0;
}
