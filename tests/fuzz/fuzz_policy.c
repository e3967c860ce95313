// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fuzz_policy.c - libFuzzer: policy files, rules and names from any bytes */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum rule_kind kinds[] = { RULE_HOST, RULE_CIDR };

/* The bytes as one rule of each kind, and as a name to match. */
static void fuzz_rule(struct policy *p, const char *text)
{
	char err[POLICY_ERR_MAX], name[POLICY_HOST_MAX + 1];
	uint8_t addr[ADDR_LEN];
	struct verdict v;
	const char *why;
	size_t i;

	for (i = 0; i < 2; i++)
		policy__add_rule(p, RULE_ALLOW, kinds[i], text, "--fuzz", err,
				 sizeof(err));
	policy__add_upstream(p, text, "--fuzz", err, sizeof(err));
	if (policy_normalise_name(text, name, sizeof(name), &why) == 0)
		policy__match_name(p, name, &v);
	if (addr_parse(text, addr) == 0)
		policy__match_addr(p, addr, &v);
}

/* The bytes as a JSON policy file. */
static void fuzz_file(struct policy *p, const uint8_t *data, size_t size)
{
	char path[] = "/tmp/moat-fuzz-XXXXXX", err[POLICY_ERR_MAX];
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size)
		policy__load_file(p, path, err, sizeof(err));
	close(fd);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	char *text;

	if (size > 4096 || policy__init(&p))
		return 0;
	text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		fuzz_rule(&p, text);
		free(text);
	}
	fuzz_file(&p, data, size);
	policy__fini(&p);
	return 0;
}
