/* flowmage — stage 5, simulate: replay a packet trace through RSS
 * configurations and measure what each would do to the cores.
 * Documented in docs/simulate.md.
 *
 * Two layers:
 *
 *   1. The engine (this part of the header, simulate/trace.c, pcap.c,
 *      synth.c, replay.c): a trace is read once into a compact table of
 *      distinct flows (fm_flow_tuple) plus one 32-bit flow index per packet;
 *      an RSS configuration (hashed fields, Toeplitz keys, RETA, cores) is
 *      prepared once (fm_toeplitz_ctx tables); a replay hashes each distinct
 *      flow once (every packet of a flow lands on the same queue; the
 *      per-packet path is fm_sim_assign) and reports per-core packet
 *      counts, imbalance and, for a list of NFs
 *      (key fields, symmetric, shared or shared-nothing under this
 *      configuration), how many packets touch state that more than one core
 *      reaches.  The engine knows nothing of Click or of the solver.
 *
 *   2. The binding (simulate/sim_solve.c, sim_render.c): asks the solver
 *      (include/flowmage/solve.h) for every device's candidates and their
 *      costs, replays each, and renders a table, CSV, SVG, DOT and JSON.
 *
 * Ownership: _init/_free and _new/_free pairs; results own their arrays.
 */
#ifndef FLOWMAGE_SIMULATE_H
#define FLOWMAGE_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "flowmage/common.h"
#include "flowmage/fields.h"
#include "flowmage/toeplitz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- traces */

/* What reading a trace saw.  Every packet read lands in exactly one of
 * replayed / skipped_* (so they sum to `packets`). */
typedef struct fm_trace_stats {
    uint64_t packets;        /* records read */
    uint64_t replayed;       /* IPv4 or IPv6, headers complete: in the trace */
    uint64_t skipped_non_ip; /* ARP, LLDP, MPLS, ... */
    uint64_t skipped_truncated; /* captured bytes end inside a header */
    uint64_t skipped_corrupt;   /* impossible header (IHL < 5, version, ...) */
    /* of the replayed packets: */
    uint64_t ipv4, ipv6, tcp, udp, other_l4;
    uint64_t vlan;           /* carried at least one 802.1Q/802.1ad tag */
    uint64_t fragments;      /* IP fragments (hashed without ports) */
    uint64_t bytes;          /* wire length of the replayed packets */
    /* A capture cut short inside its last record: the packets before it are
     * kept and truncated_at holds the byte offset of that record (else -1). */
    long truncated_at;
} fm_trace_stats;

typedef struct fm_trace {
    char *source;            /* file name, or "synthetic:SPEC" */
    fm_flow_tuple *flows;    /* distinct flows, in order of first packet */
    uint64_t *flow_pkts;     /* packets per flow */
    size_t nflows;
    uint32_t *pkt_flow;      /* per packet: index into flows */
    size_t npkts;
    fm_trace_stats stats;
    /* builder state (fm_trace_add), released by fm_trace_finish */
    uint32_t *slots;
    size_t nslots, cap_flows, cap_pkts;
} fm_trace;

void fm_trace_init(fm_trace *t, const char *source);
/* Append one packet of flow *tu (deduplicated on every field of the tuple;
 * bytes of unused address space and, for non-TCP/UDP, ports must be zero). */
void fm_trace_add(fm_trace *t, const fm_flow_tuple *tu);
/* Drop the builder's hash index (the trace stays usable). */
void fm_trace_finish(fm_trace *t);
void fm_trace_free(fm_trace *t);

/* Link types fm_packet_parse understands (DLT_* values of libpcap). */
int fm_linktype_supported(int dlt);

/* Outcome of parsing one packet. */
typedef enum {
    FM_PKT_OK = 0, FM_PKT_NON_IP, FM_PKT_TRUNCATED, FM_PKT_CORRUPT
} fm_pkt_status;

typedef struct fm_pkt_info {
    int vlan_tags;           /* 802.1Q / 802.1ad tags skipped */
    int fragment;            /* IPv4 MF/offset or IPv6 fragment header */
} fm_pkt_info;

/* Parse one captured frame of link type dlt into a flow tuple (zeroed
 * first; ports only for unfragmented TCP/UDP). */
fm_pkt_status fm_packet_parse(int dlt, const uint8_t *p, size_t caplen,
                              fm_flow_tuple *out, fm_pkt_info *info);

/* Read a pcap or pcapng file (libpcap).  Bad packets are counted in
 * out->stats and skipped; an unreadable file, a corrupt file header, an
 * unsupported link type or a corrupt record header is an FM_ERR_INPUT
 * naming the file and the byte offset.  A file cut short inside its last
 * record keeps the packets before it (stats.truncated_at). */
int fm_trace_read_pcap(const char *path, fm_trace *out, fm_error *err);

/* ---- synthetic traces (docs/simulate.md, "Synthetic traces") ---- */

typedef struct fm_synth_spec {
    uint64_t flows;          /* distinct flows (each gets >= 1 packet) */
    uint64_t packets;        /* total packets, >= flows */
    double zipf;             /* flow-size skew exponent; 0 = equal sizes */
    uint64_t srcs, dsts;     /* distinct source / destination addresses */
    uint32_t sports, dports; /* distinct source / destination ports */
    double tcp, udp, other;  /* protocol shares of flows (sum 1) */
    double ipv6;             /* share of flows that are IPv6 */
    double reverse;          /* share of each flow's packets sent back */
    uint8_t src_net[16], dst_net[16]; /* IPv4 prefixes for addresses */
    unsigned src_len, dst_len;        /* their lengths */
    uint64_t seed;
} fm_synth_spec;

/* The defaults (documented in docs/simulate.md). */
void fm_synth_default(fm_synth_spec *s);
/* Parse "key=value,key=value,..." over the defaults.  An error names the
 * offending key and its 1-based column in spec (err->file is "--synthetic"). */
int fm_synth_parse(const char *spec, fm_synth_spec *out, fm_error *err);
/* Generate the trace: deterministic given the spec (same seed, same trace,
 * on any machine); honours flows, packets, srcs and dsts exactly. */
int fm_synth_generate(const fm_synth_spec *s, fm_trace *out, fm_error *err);
/* Canonical text of a spec (every key), for reports. */
void fm_synth_format(const fm_synth_spec *s, char *out, size_t n);

/* ------------------------------------------------------ RSS configuration */

/* The most cores (queues) a replay spreads packets over. */
#define FM_SIM_MAX_CORES 1024

typedef struct fm_sim_rss_spec {
    fm_fieldset hashed;      /* fields the NIC hashes (proto is ignored) */
    const uint8_t *key4;     /* Toeplitz key for IPv4 packets; NULL: the
                                Microsoft default key (40 bytes) */
    size_t key4_len;
    const uint8_t *key6;     /* for IPv6 packets; NULL: same as key4 */
    size_t key6_len;
    int symmetric;           /* key4 == NULL: synthesise a symmetric key;
                                key4 given: verify that it is symmetric */
    unsigned cores;          /* queues, one core each (1..FM_SIM_MAX_CORES) */
    unsigned reta_size;      /* power of two, >= cores; 0 = 512 */
    const uint16_t *reta;    /* reta_size queue numbers, NULL = round robin */
} fm_sim_rss_spec;

typedef struct fm_sim_rss {
    fm_fieldset hashed;
    unsigned cores, reta_size;
    int symmetric;
    uint16_t *reta;
    fm_toeplitz_ctx *ctx4, *ctx6; /* ctx6 may equal ctx4 */
} fm_sim_rss;

int fm_sim_rss_init(fm_sim_rss *r, const fm_sim_rss_spec *spec, fm_error *err);
void fm_sim_rss_free(fm_sim_rss *r);

/* The core (queue) a packet of flow t lands on. */
static inline unsigned fm_sim_rss_core(const fm_sim_rss *r, const fm_flow_tuple *t)
{
    uint32_t h = fm_toeplitz_ctx_rss_hash(t->ipv6 ? r->ctx6 : r->ctx4, t, r->hashed);
    return r->reta[h & (r->reta_size - 1)];
}

/* Per packet of the trace, its core (out has t->npkts entries). */
void fm_sim_assign(const fm_trace *t, const fm_sim_rss *r, uint16_t *out);

/* ----------------------------------------------------------- NFs, replay */

typedef struct fm_sim_nf {
    const char *name;
    int stateful;            /* 0: never touches state */
    fm_fieldset key;         /* fields keying its per-flow state */
    int symmetric;           /* both directions share one entry */
    int global;              /* one entry for all packets (key unknown or
                                global state) */
} fm_sim_nf;

/* The NFs' state entries for one trace: per NF, per flow, the entry id.
 * Built once per trace, reused for every candidate. */
typedef struct fm_sim_nfs {
    size_t n;
    fm_sim_nf *nf;           /* copies (names owned) */
    uint32_t **entry;        /* [n][nflows]; NULL for stateless / global */
    uint32_t *nentries;
} fm_sim_nfs;

int fm_sim_nfs_build(fm_sim_nfs *out, const fm_trace *t, const fm_sim_nf *nfs,
                     size_t n);
void fm_sim_nfs_free(fm_sim_nfs *s);

typedef struct fm_sim_nf_result {
    int shared;              /* runs on shared state under this candidate */
    uint64_t entries;        /* state entries the trace creates */
    uint64_t multi_entries;  /* entries reached from more than one core */
    uint64_t shared_pkts;    /* packets through it while it runs shared */
    uint64_t contended_pkts; /* packets whose entry more than one core
                                reaches (cache lines move between cores) */
    uint64_t violations;     /* contended packets while it is declared
                                shared-nothing: the decision is unsound for
                                this trace (should be 0) */
} fm_sim_nf_result;

/* Load statistics of per-core packet counts. */
typedef struct fm_sim_load {
    uint64_t total, max, min;
    double mean;             /* total / cores */
    double imbalance;        /* max / mean: 1 = perfect, cores = all on one */
    double cv;               /* standard deviation / mean */
    unsigned idle;           /* cores that received nothing */
} fm_sim_load;

void fm_sim_load_compute(const uint64_t *counts, unsigned n, fm_sim_load *out);

typedef struct fm_sim_result {
    unsigned cores;
    uint64_t *core_pkts;     /* [cores] */
    uint64_t *core_flows;    /* [cores] distinct flows per core */
    fm_sim_load load;
    size_t nnf;
    fm_sim_nf_result *nf;    /* [nnf] */
    uint64_t shared_pkts;    /* packets touching shared state in >= 1 NF */
    uint64_t contended_pkts; /* packets contended in >= 1 NF */
    uint64_t violations;     /* sum over NFs */
} fm_sim_result;

/* Replay the trace under r.  nfs may be NULL (no NF statistics); shared[i]
 * says whether NF i runs shared under this candidate (NULL: all shared). */
int fm_sim_replay(const fm_trace *t, const fm_sim_rss *r, const fm_sim_nfs *nfs,
                  const int *shared, fm_sim_result *out, fm_error *err);
void fm_sim_result_free(fm_sim_result *res);

/* ------------------------------------------------------------- two ports */

/* Split a trace by direction: the packets of each connection in the
 * direction the trace shows first go to fwd, the others (its replies,
 * src and dst swapped) to rev. */
void fm_trace_split_directions(const fm_trace *t, fm_trace *fwd, fm_trace *rev);

/* One stateful NF reached from both devices of a two-port replay. */
typedef struct fm_sim_pair_result {
    int nf;                  /* index into the solve result's nfs */
    int shared;              /* runs shared under the candidate */
    uint64_t entries;        /* state entries of both sides, one entry space */
    uint64_t multi_entries;  /* entries reached from more than one core */
    uint64_t pkts;           /* packets of both sides */
    uint64_t contended_pkts; /* packets whose entry several cores reach */
    uint64_t violations;     /* the same while it is declared shared-nothing */
} fm_sim_pair_result;

struct fm_solve_result;
/* Count NF nfi's entries across both sides: side[i] replayed on device
 * dev[i] (indices into res->devices) with RSS rss[i].  Entries follow the
 * key of the input port each device reaches (keys_by_port and its entry
 * lists: docs/simulate.md, "Two ports"). */
int fm_sim_pair_nf(const struct fm_solve_result *res, int nfi, const int dev[2],
                   const fm_trace *side[2], const fm_sim_rss *rss[2], int shared,
                   fm_sim_pair_result *out);

/* ------------------------------------------- layer 2: the solver's choices */

struct fm_simulation_inputs; /* loaded configuration, attributes, profiles */

typedef struct fm_simulate_opts {
    const char *config;      /* chain.click */
    const char *attrs;       /* attrs.json */
    const char *nic;         /* NIC profile name or file; NULL =
                                FM_SOLVE_DEFAULT_NIC (solve.h) */
    const char *profile;     /* framework profile name or file; NULL =
                                fastclick (fm_solve_inputs_load) */
    const char *cost_model;  /* NULL = built-in */
    unsigned cores;          /* 0 = from the configuration */
    int directional;
    const fm_trace *trace;   /* replayed on every input device */
    const char *pair[2];     /* two-port replay: names of the devices that get
                                the first direction of each connection and
                                its replies (NULL: every device gets all) */
} fm_simulate_opts;

/* One device under one candidate. */
typedef struct fm_sim_device_run {
    int device;              /* index into the solve result's devices */
    int cand;                /* index into that device's candidates */
    double imb_model;        /* the cost model's expected max/mean load */
    fm_sim_result res;       /* the replay; res.nf follows device->nfs */
} fm_sim_device_run;

/* One evaluated combination of a component (a set of devices that share
 * stateful NFs): with one device, one RSS candidate. */
typedef struct fm_sim_candidate {
    int comp;                /* index into the solve result's components */
    size_t combo;            /* index into its combos (0 = chosen) */
    int chosen, is_default;
    double cost;             /* the cost model's cycles per packet */
    double cost_trace;       /* the same with each device's imbalance
                                measured on the trace in place of the
                                model's (fm_solve_combo_cost_with) */
    double tput_chosen, tput_default;             /* cost model, relative */
    double tput_trace_chosen, tput_trace_default; /* with trace imbalance;
                                                     < 0 when not derivable */
    fm_sim_device_run *runs;
    size_t nruns;
    unsigned cores;          /* per-core load summed over the devices */
    uint64_t *core_pkts;
    fm_sim_load load;
    uint64_t pkts, shared_pkts, contended_pkts, violations; /* summed; for NFs
                                both paired devices reach, violations count
                                across the two sides (pair) */
    fm_sim_pair_result *pair; /* two-port replay: per NF both devices reach */
    size_t npair;
} fm_sim_candidate;

typedef struct fm_simulation {
    struct fm_simulation_inputs *in;
    const struct fm_solve_result *solve;
    const fm_trace *trace;
    fm_sim_candidate *cands; /* per component, combos in the solver's order */
    size_t ncands;
    int *default_cand;       /* per component: index into cands of the
                                combination where every device keeps its
                                pre-solve setting (the solver always
                                evaluates it: current_combo) */
    int *chosen_cand;        /* per component: index into cands */
    size_t ncomps;
    int pair_dev[2];         /* two-port replay: device indices, else -1 */
    fm_trace pair_trace[2];  /* their sides of the trace */
} fm_simulation;

/* Load (fm_solve_inputs_load) and solve the configuration
 * (include/flowmage/solve.h), then replay the trace under every combination
 * the solver evaluated.  "Default" is what the configuration does before
 * solving: each device's fm_solve_device.current (its flow rules file,
 * HASHFUNC/HASHKEY, RSS off, or the NIC's default hashing); a device left
 * alone ("none") is replayed with that setting too. */
int fm_simulate_run(const fm_simulate_opts *o, fm_simulation *out, fm_error *err);
void fm_simulation_free(fm_simulation *s);

/* A candidate's RSS settings, one per device of its component in device
 * order, joined by sep: "src_ip,dst_ip [symmetric key] | none". */
void fm_sim_candidate_rss(const fm_simulation *s, const fm_sim_candidate *c, const char *sep,
                          char *out, size_t n);

/* Renderings (malloc'd text).  table: human-readable, at most `top` rows
 * per component besides the chosen and the default ones (0 = all), with a
 * per-NF table when per_nf; csv: one row per candidate, device and core;
 * svg: per-core load bars of the chosen and the default candidates; dot:
 * the same as a Graphviz graph; json: everything. */
char *fm_simulation_table(const fm_simulation *s, int per_nf, size_t top);
char *fm_simulation_csv(const fm_simulation *s);
char *fm_simulation_svg(const fm_simulation *s);
char *fm_simulation_dot(const fm_simulation *s);
char *fm_simulation_json(const fm_simulation *s);

#ifdef __cplusplus
}
#endif
#endif
