/* Private to the solver (solver/solve_*.c). */
#ifndef FM_SOLVER_SOLVE_INTERNAL_H
#define FM_SOLVER_SOLVE_INTERNAL_H

#include "flowmage/solve.h"

#define FM_IP_FIELDS (FM_F_SRC_IP | FM_F_DST_IP)
#define FM_HASHABLE (FM_F_SRC_IP | FM_F_DST_IP | FM_F_SRC_PORT | FM_F_DST_PORT)

/* Devices, NFs, keys (solve_chain.c). */
int fm_solve_chain(fm_solve_result *res, const fm_click_config *cfg,
                   const fm_attrs *attrs, const fm_solver_profile *prof,
                   fm_error *err);
/* Two RSS devices on the same NIC port. */
int fm_solve_same_port(const fm_solve_device *a, const fm_solve_device *b);
/* Set each device's group (solve.c); after writability is known. */
void fm_solve_group_devices(fm_solve_result *res);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void fm_solve_hex(const uint8_t *p, size_t n, char *out);
/* Does the device use IPv6 rules (so key6 matters)? */
int fm_solve_uses_ipv6(const fm_solve_result *res, const fm_rss_choice *c);
/* reta_inputs, reach_bits, vary_rank and bits of a choice whose keys are
 * set (solve_cands.c; the cost model of docs/cost-model.md). */
void fm_solve_spread_bits(const fm_solve_result *res, fm_rss_choice *c);
/* Each device's setting before solving (solve_current.c), after the chain. */
void fm_solve_current(fm_solve_result *res, const fm_click_config *cfg);
/* Set d->current_cand, adding the candidate when none keeps the current
 * setting; after the device's other candidates. */
void fm_solve_current_candidate(fm_solve_result *res, fm_solve_device *d);
/* Safety predicate used by the search: the decision for NF k under the
 * given per-device choices (choice[d] for every device d).  Writes why. */
fm_nf_decision fm_solve_verdict(const fm_solve_result *res, size_t k,
                                const fm_rss_choice *const *choice, char *why,
                                size_t n);
/* "src_ip,dst_ip", or "nothing" for no field (verdict texts). */
void fm_solve_fields_text(fm_fieldset f, char *out, size_t n);
/* Keys of two choices agree on every rule family the devices use. */
int fm_solve_same_hash(const fm_solve_result *res, const fm_rss_choice *a,
                       const fm_rss_choice *b);

/* Keys per input port (solve_ports.c).  The verdict of an NF with by_port
 * set, after the stateless and forced cases. */
fm_nf_decision fm_solve_port_verdict(const fm_solve_result *res, const fm_solve_nf *nf,
                                     const fm_rss_choice *const *choice, char *why,
                                     size_t n);
/* The fields of port q that carry what fields f of port p carry (their
 * "entry" lists, position by position): 0, or -1 when some field of f is
 * in no entry of p or the lists differ in length. */
int fm_solve_entry_map(const fm_solve_port *p, const fm_solve_port *q, fm_fieldset f,
                       fm_fieldset *out);

/* Record why a candidate of d was dropped (solve_cands.c). */
void fm_solve_exclude(fm_solve_device *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Flow rules (solve_rules.c): 1 if the rules of c for d with `queues`
 * queues fit FM_RULES_QUEUES_MAX and FM_RULES_LINE_MAX (*longest: its
 * longest line).  Drop d's candidates whose rules do not fit; -1 with a
 * one-line FM_ERR_INPUT naming the limits and the largest queue count that
 * fits when none does. */
int fm_solve_rules_fit(const fm_solve_result *res, const fm_solve_device *d,
                       const fm_rss_choice *c, unsigned queues, size_t *longest);
int fm_solve_rules_limit(fm_solve_result *res, fm_solve_device *d, fm_error *err);

/* NF mode keywords (solve_modes.c): what the configuration says, after the
 * chain; what to write, after the decisions. */
void fm_solve_modes_read(fm_solve_result *res);
void fm_solve_modes_decide(fm_solve_result *res);

#endif
