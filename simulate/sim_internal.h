/* Internal to simulate/: flow tuples as hash-table keys and their reverse
 * (trace.c), shared by the trace, the replay, the two-port split and the
 * synthetic generator. */
#ifndef FM_SIMULATE_INTERNAL_H
#define FM_SIMULATE_INTERNAL_H

#include "flowmage/simulate.h"

uint64_t fm_tuple_hash(const fm_flow_tuple *t);
int fm_tuple_eq(const fm_flow_tuple *a, const fm_flow_tuple *b);
/* The same flow seen from the other end. */
void fm_tuple_mirror(const fm_flow_tuple *t, fm_flow_tuple *m);

#endif
