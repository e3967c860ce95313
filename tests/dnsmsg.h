/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* dnsmsg.h - build DNS messages in tests, byte by byte, in plain sight */
#ifndef MOAT_TEST_DNSMSG_H
#define MOAT_TEST_DNSMSG_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct msg {
	uint8_t b[4096];
	size_t len;
};

static inline void m_u8(struct msg *m, uint8_t v)
{
	m->b[m->len++] = v;
}

static inline void m_u16(struct msg *m, uint16_t v)
{
	m_u8(m, (uint8_t)(v >> 8));
	m_u8(m, (uint8_t)v);
}

static inline void m_u32(struct msg *m, uint32_t v)
{
	m_u16(m, (uint16_t)(v >> 16));
	m_u16(m, (uint16_t)v);
}

static inline void m_header(struct msg *m, uint16_t id, uint16_t flags,
			    uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	m->len = 0;
	m_u16(m, id);
	m_u16(m, flags);
	m_u16(m, qd);
	m_u16(m, an);
	m_u16(m, ns);
	m_u16(m, ar);
}

/* Labels of a dotted name, then the root; "" is the root alone. */
static inline void m_name(struct msg *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);

		m_u8(m, (uint8_t)len);
		memcpy(m->b + m->len, name, len);
		m->len += len;
		name += len + (dot ? 1 : 0);
	}
	m_u8(m, 0);
}

/* A compression pointer to an earlier offset. */
static inline void m_ptr(struct msg *m, uint16_t offset)
{
	m_u16(m, (uint16_t)(0xc000 | offset));
}

static inline void m_question(struct msg *m, const char *name, uint16_t type)
{
	m_name(m, name);
	m_u16(m, type);
	m_u16(m, 1);
}

/* Type, class IN, TTL and rdlength, after the owner name. */
static inline void m_rr_fixed(struct msg *m, uint16_t type, uint32_t ttl,
			      uint16_t rdlength)
{
	m_u16(m, type);
	m_u16(m, 1);
	m_u32(m, ttl);
	m_u16(m, rdlength);
}

static inline void m_a(struct msg *m, const char *owner, uint32_t ttl,
		       const char *addr)
{
	struct in_addr in;

	m_name(m, owner);
	m_rr_fixed(m, 1, ttl, 4);
	inet_pton(AF_INET, addr, &in);
	memcpy(m->b + m->len, &in, 4);
	m->len += 4;
}

static inline void m_aaaa(struct msg *m, const char *owner, uint32_t ttl,
			  const char *addr)
{
	m_name(m, owner);
	m_rr_fixed(m, 28, ttl, 16);
	inet_pton(AF_INET6, addr, m->b + m->len);
	m->len += 16;
}

static inline void m_cname(struct msg *m, const char *owner, uint32_t ttl,
			   const char *target)
{
	size_t start;

	m_name(m, owner);
	m_rr_fixed(m, 5, ttl, 0);
	start = m->len;
	m_name(m, target);
	m->b[start - 2] = (uint8_t)((m->len - start) >> 8);
	m->b[start - 1] = (uint8_t)(m->len - start);
}

/* An EDNS OPT record advertising a UDP payload size. */
static inline void m_opt(struct msg *m, uint16_t udp_size)
{
	m_u8(m, 0);
	m_u16(m, 41);
	m_u16(m, udp_size);
	m_u32(m, 0);
	m_u16(m, 0);
}

#endif /* MOAT_TEST_DNSMSG_H */
