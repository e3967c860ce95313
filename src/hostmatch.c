// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* hostmatch.c - match names against many hostname patterns at once */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostmatch.h"

#define ROOT 0

struct hm_terminal {
	uint32_t id;
	bool subtree; /* literal pattern: names below it match too */
};

struct hm_node {
	uint32_t star; /* child for "*", ROOT for none */
	uint32_t dstar; /* child for "**", ROOT for none */
	bool is_dstar; /* reached by "**": may take more labels */
	uint32_t mark; /* walk generation, to keep the active set unique */
	struct hm_terminal *terms;
	size_t nterms;
};

/* Literal children: one open-addressed table keyed by (parent, label). */
struct hm_edge {
	char *label; /* NULL: empty slot */
	uint32_t parent;
	uint32_t child;
	uint32_t hash;
};

struct hostmatch {
	struct hm_node *nodes;
	uint32_t nnodes;
	uint32_t node_cap;
	struct hm_edge *edges;
	uint32_t nedges;
	uint32_t edge_cap; /* a power of two */
	uint32_t generation;
	uint32_t *active; /* scratch for the walk, node_cap each */
	uint32_t *next;
};

struct name_labels {
	const char *start[HOSTMATCH_LABELS_MAX];
	size_t len[HOSTMATCH_LABELS_MAX];
	size_t count;
};

static int split_labels(const char *name, struct name_labels *labels)
{
	const char *p = name;

	labels->count = 0;
	if (!*name || strcmp(name, ".") == 0)
		return 0;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		if (!len || labels->count == HOSTMATCH_LABELS_MAX)
			return -EINVAL;
		labels->start[labels->count] = p;
		labels->len[labels->count++] = len;
		if (!dot)
			return 0;
		p = dot + 1;
	}
}

static uint32_t edge_hash(uint32_t parent, const char *label, size_t len)
{
	uint32_t h = 2166136261u ^ parent;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)label[i]) * 16777619u;
	return h;
}

static struct hm_edge *edge_slot(const struct hostmatch *hm, uint32_t parent,
				 const char *label, size_t len, uint32_t hash)
{
	uint32_t mask = hm->edge_cap - 1, i;

	for (i = hash & mask;; i = (i + 1) & mask) {
		struct hm_edge *e = &hm->edges[i];

		if (!e->label)
			return e;
		if (e->hash == hash && e->parent == parent &&
		    strncmp(e->label, label, len) == 0 && !e->label[len])
			return e;
	}
}

static int edges_grow(struct hostmatch *hm)
{
	uint32_t old_cap = hm->edge_cap, i;
	struct hm_edge *old = hm->edges;

	hm->edge_cap = old_cap ? old_cap * 2 : 256;
	hm->edges = calloc(hm->edge_cap, sizeof(*hm->edges));
	if (!hm->edges) {
		hm->edges = old;
		hm->edge_cap = old_cap;
		return -ENOMEM;
	}
	for (i = 0; i < old_cap; i++)
		if (old[i].label)
			*edge_slot(hm, old[i].parent, old[i].label,
				   strlen(old[i].label), old[i].hash) = old[i];
	free(old);
	return 0;
}

static int nodes_grow(struct hostmatch *hm)
{
	uint32_t cap = hm->node_cap ? hm->node_cap * 2 : 64;
	struct hm_node *nodes = realloc(hm->nodes, cap * sizeof(*nodes));
	uint32_t *active, *next;

	if (!nodes)
		return -ENOMEM;
	hm->nodes = nodes;
	active = realloc(hm->active, cap * sizeof(*active));
	if (!active)
		return -ENOMEM;
	hm->active = active;
	next = realloc(hm->next, cap * sizeof(*next));
	if (!next)
		return -ENOMEM;
	hm->next = next;
	hm->node_cap = cap;
	return 0;
}

static int node_new(struct hostmatch *hm, uint32_t *id)
{
	if (hm->nnodes == hm->node_cap && nodes_grow(hm))
		return -ENOMEM;
	memset(&hm->nodes[hm->nnodes], 0, sizeof(hm->nodes[0]));
	*id = hm->nnodes++;
	return 0;
}

static int child_literal(struct hostmatch *hm, uint32_t parent,
			 const char *label, size_t len, uint32_t *child)
{
	uint32_t hash = edge_hash(parent, label, len);
	struct hm_edge *e;
	int err;

	if ((hm->nedges + 1) * 2 > hm->edge_cap && edges_grow(hm))
		return -ENOMEM;
	e = edge_slot(hm, parent, label, len, hash);
	if (e->label) {
		*child = e->child;
		return 0;
	}
	err = node_new(hm, child);
	if (err)
		return err;
	e->label = strndup(label, len);
	if (!e->label)
		return -ENOMEM;
	e->parent = parent;
	e->child = *child;
	e->hash = hash;
	hm->nedges++;
	return 0;
}

static int child_wildcard(struct hostmatch *hm, uint32_t parent, bool dstar,
			  uint32_t *child)
{
	uint32_t existing = dstar ? hm->nodes[parent].dstar :
				    hm->nodes[parent].star;
	int err;

	if (existing != ROOT) {
		*child = existing;
		return 0;
	}
	err = node_new(hm, child);
	if (err)
		return err;
	/* node_new() may have moved the array. */
	if (dstar) {
		hm->nodes[parent].dstar = *child;
		hm->nodes[*child].is_dstar = true;
	} else {
		hm->nodes[parent].star = *child;
	}
	return 0;
}

static int node_add_terminal(struct hm_node *node, uint32_t id, bool subtree)
{
	struct hm_terminal *terms;

	terms = realloc(node->terms, (node->nterms + 1) * sizeof(*terms));
	if (!terms)
		return -ENOMEM;
	node->terms = terms;
	terms[node->nterms].id = id;
	terms[node->nterms++].subtree = subtree;
	return 0;
}

struct hostmatch *hostmatch__new(void)
{
	struct hostmatch *hm = calloc(1, sizeof(*hm));
	uint32_t root;

	if (!hm)
		return NULL;
	if (edges_grow(hm) || node_new(hm, &root)) {
		hostmatch__free(hm);
		return NULL;
	}
	return hm;
}

void hostmatch__free(struct hostmatch *hm)
{
	uint32_t i;

	if (!hm)
		return;
	for (i = 0; i < hm->edge_cap; i++)
		free(hm->edges[i].label);
	for (i = 0; i < hm->nnodes; i++)
		free(hm->nodes[i].terms);
	free(hm->edges);
	free(hm->nodes);
	free(hm->active);
	free(hm->next);
	free(hm);
}

static bool label_is(const struct name_labels *l, size_t i, const char *s)
{
	return l->len[i] == strlen(s) &&
	       strncmp(l->start[i], s, l->len[i]) == 0;
}

int hostmatch__add(struct hostmatch *hm, const char *pattern, uint32_t id)
{
	struct name_labels labels;
	uint32_t node = ROOT;
	bool literal = true;
	size_t i;
	int err;

	err = split_labels(pattern, &labels);
	if (err || !labels.count)
		return -EINVAL;
	for (i = labels.count; i-- > 0 && !err;) {
		if (label_is(&labels, i, "*") || label_is(&labels, i, "**")) {
			err = child_wildcard(hm, node, labels.len[i] == 2,
					     &node);
			literal = false;
		} else {
			err = child_literal(hm, node, labels.start[i],
					    labels.len[i], &node);
		}
	}
	if (err)
		return err;
	return node_add_terminal(&hm->nodes[node], id, literal);
}

static void report(const struct hm_node *node, bool whole, uint8_t depth,
		   struct hostmatch_hit *hits, size_t max, size_t *count)
{
	size_t i;

	for (i = 0; i < node->nterms; i++) {
		if (!whole && !node->terms[i].subtree)
			continue;
		if (*count < max) {
			hits[*count].id = node->terms[i].id;
			hits[*count].depth = depth;
			hits[*count].exact = whole;
		}
		(*count)++;
	}
}

static void push(struct hostmatch *hm, uint32_t *set, size_t *n, uint32_t id)
{
	if (id == ROOT || hm->nodes[id].mark == hm->generation)
		return;
	hm->nodes[id].mark = hm->generation;
	set[(*n)++] = id;
}

/* Advance every active node by one label of the name. */
static size_t walk_step(struct hostmatch *hm, size_t nactive, const char *label,
			size_t len)
{
	uint32_t hash, parent;
	size_t i, nnext = 0;

	if (++hm->generation == 0) {
		/* Wrapped: an old mark could now look current. */
		for (i = 0; i < hm->nnodes; i++)
			hm->nodes[i].mark = 0;
		hm->generation = 1;
	}
	for (i = 0; i < nactive; i++) {
		const struct hm_edge *e;

		parent = hm->active[i];
		hash = edge_hash(parent, label, len);
		e = edge_slot(hm, parent, label, len, hash);
		if (e->label)
			push(hm, hm->next, &nnext, e->child);
		push(hm, hm->next, &nnext, hm->nodes[parent].star);
		push(hm, hm->next, &nnext, hm->nodes[parent].dstar);
		if (hm->nodes[parent].is_dstar)
			push(hm, hm->next, &nnext, parent);
	}
	return nnext;
}

size_t hostmatch__match(struct hostmatch *hm, const char *name,
			struct hostmatch_hit *hits, size_t max)
{
	struct name_labels labels;
	size_t i, nactive = 1, count = 0;
	uint32_t *swap;

	if (split_labels(name, &labels))
		return 0;

	hm->active[0] = ROOT;
	for (i = labels.count; i-- > 0 && nactive;) {
		uint8_t depth = (uint8_t)(labels.count - 1 - i);
		size_t j;

		/* Literal patterns above this label cover the whole subtree. */
		for (j = 0; j < nactive; j++)
			if (hm->active[j] != ROOT)
				report(&hm->nodes[hm->active[j]], false, depth,
				       hits, max, &count);
		nactive =
			walk_step(hm, nactive, labels.start[i], labels.len[i]);
		swap = hm->active;
		hm->active = hm->next;
		hm->next = swap;
	}
	for (i = 0; i < nactive; i++)
		report(&hm->nodes[hm->active[i]], true, (uint8_t)labels.count,
		       hits, max, &count);
	return count;
}
