/* flowmage — stage 4, solve: choose the RSS field set of every input device
 * of a Click chain so that the most (and the most expensive) stateful NFs
 * run shared-nothing, then write the choice into the configuration with
 * minimal edits.  Documented in docs/solve.md, docs/cost-model.md and
 * docs/nic-profiles.md.
 *
 * Pipeline (fm_solve_run does 1-4):
 *   1. fm_solve_analyze     devices, NFs reached from each, keys (flow-manager
 *                           inheritance), cores, which devices can be written,
 *                           each device's RSS setting before solving
 *   2. fm_solve_candidates  per device, the field sets the NIC can hash (and
 *                           synthesised Toeplitz keys: symmetric, restricted)
 *   3. fm_solve_search      exhaustive search per group of devices that share
 *                           NFs, cost model, tie-break on per-packet cost;
 *                           the all-current combination is always evaluated
 *   4. fm_solve_check_invariant   independent safety check of the decisions
 *   5. fm_solve_plan / fm_solve_stage   edits, rules files, staged writes
 *
 * Sound by default: an NF is shared-nothing only when every input device
 * reaching it hashes a field set r ⊆ its key (symmetrically when its state
 * sees both directions) and all such devices hash it the same way.
 */
#ifndef FLOWMAGE_SOLVE_H
#define FLOWMAGE_SOLVE_H

#include <stdint.h>

#include "flowmage/attrs.h"
#include "flowmage/click.h"
#include "flowmage/common.h"
#include "flowmage/fields.h"
#include "flowmage/toeplitz.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FM_SOLVE_REPORT_VERSION 1
#define FM_NIC_PROFILE_VERSION 1
#define FM_COST_MODEL_VERSION 1

/* ---- framework knowledge: the "solver" object of profiles/<fw>.json ---- */

typedef struct fm_input_class {
    char *cls;           /* "FromDPDKDevice" */
    int rss;             /* multi-queue NIC input whose hashing we set */
    int flowrules, hashfunc; /* dialects this class may be written with */
} fm_input_class;

/* An NF mode keyword (profile "nf_modes", docs/solve.md): a keyword with
 * which an element selects one table for all cores or a table per core. */
typedef struct fm_nf_mode_spec {
    char *keyword;           /* "SHARED" */
    char *shared;            /* value for one shared table: "1" */
    char *shared_nothing;    /* value for a table per core: "0" */
    int absent;              /* what the element does without the keyword:
                                1 shared, 0 shared-nothing, -1 unknown */
    fm_strset classes;       /* only these classes (empty: every class whose
                                attributes list the keyword) */
} fm_nf_mode_spec;

typedef struct fm_solver_profile {
    char *path;
    fm_input_class *inputs;
    size_t ninputs;
    fm_strset boundaries;    /* classes after which another thread runs */
    char *kw_port;           /* "PORT" (else positional argument 0) */
    char *kw_queues;         /* "N_QUEUES" */
    char *kw_threads;        /* "MAXTHREADS" */
    char *kw_thread_offset;  /* "THREADOFFSET" */
    char *fr_mode_kw, *fr_mode_value, *fr_file_kw; /* flowrules dialect */
    char *hf_kw, *hf_key_kw;                       /* hashfunc dialect */
    fm_strset rss_off_modes; /* values of the mode keyword that turn RSS off
                                (every packet on queue 0): "rss_off_modes" */
    fm_nf_mode_spec *modes;  /* "nf_modes", first match wins */
    size_t nmodes;
} fm_solver_profile;

/* Read the "solver" object of a framework profile. */
int fm_solver_profile_load(const char *path, fm_solver_profile *p, fm_error *err);
void fm_solver_profile_free(fm_solver_profile *p);
const fm_input_class *fm_solver_input_class(const fm_solver_profile *p,
                                            const char *cls);
/* The mode keyword class `cls` takes (accepting `keywords`), or NULL. */
const fm_nf_mode_spec *fm_solver_nf_mode(const fm_solver_profile *p, const char *cls,
                                         const fm_strset *keywords);

/* ---- NIC profiles: profiles/nics/NAME.json (docs/nic-profiles.md) ---- */

typedef struct fm_nic_rule {
    char *pattern;       /* testpmd pattern: "eth / ipv4 / tcp / end" */
    char *types;         /* rss types: "ipv4-tcp l3-src-only" */
    int priority;
    int family;          /* FM_TOEPLITZ_IPV4, _IPV6 or _BOTH (one key for
                            both, e.g. a global "pattern end" rule) */
    int l4;              /* hashes ports (TCP/UDP/SCTP pattern or types) */
    fm_fieldset hashed;  /* fields this rule hashes (ports only when l4) */
} fm_nic_rule;

typedef struct fm_nic_set {
    fm_fieldset fields;  /* what the NIC hashes natively for this entry */
    fm_nic_rule *rules;
    size_t nrules;
} fm_nic_set;

typedef struct fm_nic_profile {
    char *name, *description, *path;
    unsigned key_len;    /* bytes */
    unsigned reta_size;  /* power of two */
    unsigned max_queues;
    uint8_t default_key[FM_RSS_KEY_MAX];
    int symmetric_by_key;  /* may use synthesised symmetric keys */
    int restrict_by_key;   /* may restrict a set by zeroing key bits */
    int always_write_key;  /* put the key in every rule, not only synthesised */
    int ipv6;              /* some rule matches IPv6 */
    /* rule fields: "pattern", "types", optional "priority", "family"
       ("ipv4" | "ipv6" | "both", default from the pattern) and "l4" */
    fm_nic_set *sets;
    size_t nsets;
} fm_nic_profile;

/* name_or_path: a file path (contains '/' or ends in .json) or a name looked
 * up as profiles/nics/NAME.json among flowmage's data files. */
int fm_nic_load(const char *name_or_path, fm_nic_profile *nic, fm_error *err);
int fm_nic_parse(const char *text, size_t len, const char *path,
                 fm_nic_profile *nic, fm_error *err);
void fm_nic_free(fm_nic_profile *nic);
unsigned fm_nic_reta_bits(const fm_nic_profile *nic);
/* Index of the set hashing exactly `fields`, or -1. */
int fm_nic_find_set(const fm_nic_profile *nic, fm_fieldset fields);

/* ---- the cost model (docs/cost-model.md) ---- */

typedef enum { FM_SCALE_LOG2 = 0, FM_SCALE_LINEAR, FM_SCALE_FLAT } fm_core_scaling;

/* Where in a field the model puts its entropy bits (docs/cost-model.md,
 * "Spread entropy"): the least significant bits (addresses of one prefix,
 * ephemeral ports: the default), the most significant ones, evenly over the
 * whole field, or evenly over a range of bit positions. */
typedef enum {
    FM_ENTROPY_LOW = 0, FM_ENTROPY_HIGH, FM_ENTROPY_SPREAD, FM_ENTROPY_RANGE
} fm_entropy_at;

typedef struct fm_cost_model {
    char *source;             /* "built-in" or the file it was read from */
    double share[3];          /* sharing penalty by intensity (none, per-flow,
                                 per-packet), cycles per packet */
    double pointer_chasing;   /* shared penalty multiplied by 1 + this */
    double global_state;      /* penalty of NFs writing global state */
    double missing_cost;      /* per-packet cost of elements without attrs */
    double default_cost;      /* per-packet cost of NFs whose attrs say 0 */
    fm_core_scaling scaling;  /* how the penalty grows with cores */
    double entropy[4];        /* bits of src_ip, dst_ip, src_port, dst_port */
    fm_entropy_at entropy_at[4];      /* where each field's bits vary */
    unsigned entropy_first[4], entropy_last[4]; /* FM_ENTROPY_RANGE: bit
                                 positions, 0 = the most significant */
    double tie_epsilon;       /* relative: costs closer than this tie */
    unsigned long max_combinations; /* exhaustive search limit */
    char **weight_names;      /* per-device traffic weights (default 1) */
    double *weights;
    size_t nweights;
} fm_cost_model;

void fm_cost_model_default(fm_cost_model *m);
/* Start from the defaults and override what the file sets. */
int fm_cost_model_load(const char *path, fm_cost_model *m, fm_error *err);
int fm_cost_model_parse(const char *text, size_t len, const char *path,
                        fm_cost_model *m, fm_error *err);
void fm_cost_model_free(fm_cost_model *m);
/* How sharing cost grows with the number of cores sharing state: log2(n),
 * n-1 or 1 (0 for one core). */
double fm_cost_core_factor(const fm_cost_model *m, unsigned cores);
/* Extra cycles per packet an NF pays when its state is shared by `cores`. */
double fm_cost_share_penalty(const fm_cost_model *m, fm_intensity in,
                             int pointer_chasing, unsigned cores);
/* Expected load of the busiest core relative to the mean when hashing
 * `fields` onto `cores` queues (1 = perfect; `cores` = everything on one). */
double fm_cost_imbalance(const fm_cost_model *m, fm_fieldset fields,
                         unsigned cores);
/* The same for a key space of 2^bits equally likely values. */
double fm_cost_imbalance_bits(double bits, unsigned cores);
/* Entropy (bits) the model assumes for a field set. */
double fm_cost_entropy(const fm_cost_model *m, fm_fieldset fields);
/* The part of field f's entropy that the model puts at bit position `bit`
 * (0 = the most significant, as the NIC reads it) of the field, `width`
 * bits wide in the hash input (IPv4 layout: 32 for an address, 16 for a
 * port).  Summed over the positions it is min(entropy, width) (for a range,
 * min(entropy, its length)). */
double fm_cost_bit_entropy(const fm_cost_model *m, fm_fieldset f, unsigned bit,
                           unsigned width);
/* "low", "high", "spread" or "range" */
const char *fm_entropy_at_name(fm_entropy_at a);
double fm_cost_device_weight(const fm_cost_model *m, const char *device);

/* ---- solving ---- */

typedef enum { FM_DIALECT_FLOWRULES = 0, FM_DIALECT_HASHFUNC } fm_dialect;
/* The Toeplitz key of a setting: the NIC's default key, a synthesised
 * symmetric or restricted one, or (only for what a configuration already
 * sets, see fm_solve_device.current) some other key it names. */
typedef enum {
    FM_RSSKEY_DEFAULT = 0, FM_RSSKEY_SYMMETRIC, FM_RSSKEY_RESTRICTED, FM_RSSKEY_CUSTOM
} fm_rss_key;

const char *fm_dialect_name(fm_dialect d);
const char *fm_rss_key_name(fm_rss_key k);

typedef struct fm_solve_options {
    unsigned cores;          /* --cores; 0 = from the configuration */
    fm_dialect dialect;
    int directional;         /* each device carries one traffic direction:
                                mirrored src-only/dst-only pairs allowed */
    const char *rules_file;  /* --rules-file (may contain "{dev}") or NULL */
    const char *output;      /* the output configuration path */
} fm_solve_options;

/* One RSS setting of one device. */
typedef struct fm_rss_choice {
    int none;                /* leave the device alone (1 core, or cannot) */
    int set;                 /* index into the NIC's sets, -1 when none */
    fm_fieldset fields;      /* fields the queue depends on */
    fm_fieldset hashed;      /* fields the NIC hashes (the set's) */
    fm_rss_key key_kind;
    uint8_t key4[FM_RSS_KEY_MAX], key6[FM_RSS_KEY_MAX];
    unsigned reta_inputs;    /* input bits of `fields` that reach the RETA
                                index under the key (IPv4 layout) */
    double reach_bits;       /* entropy the cost model puts at those bit
                                positions (fm_cost_bit_entropy) */
    unsigned vary_rank;      /* rank of the RETA map over the positions
                                that carry entropy (at most log2 RETA) */
    double bits;             /* spread entropy used by the cost model:
                                min(entropy of fields, reach_bits), and at
                                most vary_rank when that is below log2 RETA
                                (docs/cost-model.md) */
} fm_rss_choice;

typedef struct fm_solve_device {
    char *name, *cls;
    int elem, decl;          /* graph element and source declaration */
    int rss;                 /* the class is an RSS-capable input */
    unsigned queues, cores;
    int shared_queues;       /* more threads than queues: threads share queues */
    char *port;              /* PORT, or NULL */
    char *thread_offset;     /* THREADOFFSET, or NULL */
    int writable;
    char why_not[256];       /* when !writable or none chosen: why */
    int group;               /* first device that must get the same setting:
                                one declaration (an elementclass instantiated
                                several times, "a, b :: X(...)") or one NIC
                                port; itself when alone */
    size_t decl_id;          /* offset of the declaration's class name: equal
                                for devices sharing one declaration */
    int component;
    int *nfs;                /* indices into result nfs, in chain order */
    size_t nnfs;
    fm_rss_choice *cands;
    size_t ncands;
    char **excluded;         /* candidates dropped, with the reason */
    size_t nexcluded;
    int chosen;              /* index into cands */
    char *rules_path;        /* set by fm_solve_plan (flowrules) */
    /* What the configuration does before solving (fm_solve_analyze): from
     * the mode keyword and the rules file it names (flowrules), or HASHFUNC
     * / HASHKEY (hashfunc), else the NIC's default hashing (its widest set,
     * its default key).  none: one queue, not an RSS input, or RSS off (a
     * mode in the profile's rss_off_modes: every packet on queue 0).  set is
     * -1 when the NIC profile has no set hashing it. */
    fm_rss_choice current;
    char current_from[320];  /* where `current` comes from, for reports */
    int current_cand;        /* index into cands of the candidate that keeps
                                `current`: an equal setting, else "none"
                                (leave the device alone); always valid after
                                fm_solve_candidates */
    int unchanged;           /* fm_solve_plan: the chosen setting is the one
                                the configuration already has (chosen ==
                                current_cand, not "none"): nothing is
                                written for it, no rules file */
} fm_solve_device;

typedef enum {
    FM_NF_STATELESS = 0, FM_NF_SHARED, FM_NF_SHARED_NOTHING
} fm_nf_decision;
const char *fm_nf_decision_name(fm_nf_decision d);

/* The key of an NF as packets arriving on one of its input ports see it. */
typedef struct fm_solve_port {
    int port;                /* input port number */
    int listed;              /* from the attributes' keys_by_port; else the
                                NF's own key (below) */
    fm_key_kind kind;        /* fields | unknown | none (flow_manager
                                resolved to the manager's key) */
    fm_fieldset key;
    int symmetric;
    fm_fieldset entry[FM_NFIELDS]; /* attrs fm_port_key.entry */
    size_t nentry;
} fm_solve_port;

/* A device whose packets reach an NF's input port. */
typedef struct fm_solve_arrival {
    int device;              /* index into result devices */
    int port;                /* index into the NF's ports */
} fm_solve_arrival;

/* The NF mode keyword (profile "nf_modes") of an NF whose class accepts
 * one: what the configuration says and what solving writes. */
typedef struct fm_solve_mode {
    const fm_nf_mode_spec *spec; /* the profile's; NULL: the class takes none */
    char *current;           /* value in the configuration, NULL: absent */
    int current_shared;      /* what the NF does before solving: 1 one shared
                                table, 0 a table per core, -1 unknown (another
                                value, or absent and the profile does not say) */
    const char *value;       /* what solving writes (spec->shared or
                                spec->shared_nothing), NULL: left alone
                                (stateless) */
    int conflict;            /* another element of its declaration needs the
                                other value: the shared one is written */
} fm_solve_mode;

typedef struct fm_solve_nf {
    char *name, *cls;
    int elem;
    int missing;             /* class absent from the attributes */
    int stateful;            /* counts as stateful for the decision */
    fm_role role;
    fm_key_kind key_kind;    /* after flow-manager inheritance */
    fm_fieldset key;
    int symmetric;
    char *key_from;          /* flow manager the key came from, or NULL */
    fm_intensity intensity;
    int pointer_chasing, global_state;
    double cost;             /* per-packet cost used by the model */
    long cost_rank;          /* attrs cost_rank (1 = costliest), 0 = none */
    char *forced;            /* why it is shared whatever the RSS, or NULL */
    int *devices;            /* input devices reaching it */
    size_t ndevices;
    fm_solve_port *ports;    /* the input ports devices reach, by number */
    size_t nports;
    fm_solve_arrival *arrivals; /* which device reaches which port */
    size_t narrivals;
    int by_port;             /* its class lists keys_by_port: decided per
                                arrival (solve_ports.c), not on `key` alone */
    unsigned cores;          /* most cores among those devices */
    fm_nf_decision decision;
    char why[300];
    fm_solve_mode mode;
} fm_solve_nf;

/* One evaluated assignment of choices to the devices of a component. */
typedef struct fm_solve_combo {
    int *choice;             /* per component device: index into its cands */
    double cost;
    unsigned char *sn;       /* per component NF: 1 if shared-nothing */
    size_t nsn;
    int current;             /* every device keeps its current setting */
    int infeasible;          /* devices of one declaration or port differ:
                                evaluated (it is what runs today) but ordered
                                after every feasible one, never chosen */
} fm_solve_combo;

typedef struct fm_solve_component {
    int *devices;
    size_t ndevices;
    int *nfs;                /* stateful NFs whose decision depends on it */
    size_t nnfs;
    fm_solve_combo *combos;  /* best first; [0] is the chosen one */
    size_t ncombos;
    unsigned long space;     /* size of the product of candidates */
    int exhaustive;          /* 0: greedy search (space too large) */
    size_t current_combo;    /* index into combos of the combination where
                                every device keeps its current setting:
                                always evaluated, greedy search included */
} fm_solve_component;

typedef struct fm_solve_result {
    fm_solve_options opts;
    const fm_click_config *cfg;
    const fm_attrs *attrs;
    const fm_solver_profile *prof;
    const fm_nic_profile *nic;
    const fm_cost_model *cost;
    const fm_click_graph *graph;
    fm_solve_device *devices;
    size_t ndevices;
    fm_solve_nf *nfs;
    size_t nnfs;
    fm_solve_component *comps;
    size_t ncomps;
    char **notes;            /* everything uncertain, in order */
    size_t nnotes;
    double total_cost;
} fm_solve_result;

int fm_solve_analyze(const fm_click_config *cfg, const fm_click_graph *g,
                     const fm_attrs *attrs, const fm_solver_profile *prof,
                     const fm_nic_profile *nic, const fm_cost_model *cost,
                     const fm_solve_options *opts, fm_solve_result *res,
                     fm_error *err);
int fm_solve_candidates(fm_solve_result *res, fm_error *err);
int fm_solve_search(fm_solve_result *res, fm_error *err);
/* The safety invariant, re-derived from the decisions alone (independent of
 * the search): 0, or -1 with an FM_ERR_INTERNAL naming the offending NF. */
int fm_solve_check_invariant(const fm_solve_result *res, fm_error *err);
/* analyze + candidates + search + check. */
int fm_solve_run(const fm_click_config *cfg, const fm_click_graph *g,
                 const fm_attrs *attrs, const fm_solver_profile *prof,
                 const fm_nic_profile *nic, const fm_cost_model *cost,
                 const fm_solve_options *opts, fm_solve_result *res,
                 fm_error *err);
void fm_solve_result_free(fm_solve_result *res);
void fm_solve_note(fm_solve_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const fm_rss_choice *fm_solve_chosen(const fm_solve_device *d);
/* The cost model's load imbalance (busiest core / mean) of device d under
 * choice c: fm_cost_imbalance_bits of its spread bits over d's cores; a
 * "none" choice keeps d->current (1 when threads share queues or one core
 * reads; `cores` when RSS is off). */
double fm_solve_choice_imbalance(const fm_solve_result *res, const fm_solve_device *d,
                                 const fm_rss_choice *c);
/* Cycles per packet of combination x of component comp (docs/cost-model.md)
 * with imbalance[i], for the i-th device of comp, in place of the model's
 * estimate: e.g. the imbalance a trace replay measured.  NULL: the model's
 * own, which is x->cost. */
double fm_solve_combo_cost_with(const fm_solve_result *res,
                                const fm_solve_component *comp,
                                const fm_solve_combo *x, const double *imbalance);
/* An NF's mode keyword: "SHARED 1->0" (changed), "SHARED 0" (kept),
 * "SHARED (absent)->1", "-" (none). */
void fm_solve_mode_text(const fm_solve_nf *nf, char *out, size_t n);
/* "src_ip,dst_ip" for a choice; "none" when none. */
void fm_rss_choice_format(const fm_rss_choice *c, char *out, size_t n);

/* ---- writing ---- */

typedef struct fm_solve_edit {
    size_t off, len;         /* replaced range of the original text */
    char *text;              /* replacement */
    char *element, *keyword;
    char *old_value, *new_value; /* old_value NULL when appended */
    long line, col;
    int seq;
} fm_solve_edit;

typedef struct fm_solve_file {
    char *path;
    char *text;
} fm_solve_file;

typedef struct fm_solve_output {
    char *config;            /* the new configuration text */
    size_t len;
    fm_solve_edit *edits;
    size_t nedits;
    fm_solve_file *files;    /* rules files */
    size_t nfiles;
} fm_solve_output;

/* Compute edits and rules files (nothing is written yet). */
int fm_solve_plan(const fm_click_config *cfg, fm_solve_result *res,
                  const fm_solver_profile *prof, fm_solve_output *out,
                  fm_error *err);
/* What every reader of a rules file takes (solver/solve_rules.c): FastClick
 * parses a rule in a 512-byte buffer after writing its own port number into
 * it, testpmd's interactive line holds 512 bytes and its RSS action 128
 * queues.  flowmage writes at most FM_RULES_LINE_MAX bytes a line (room for
 * a two-digit port and for "flow validate", two bytes longer than "flow
 * create") and FM_RULES_QUEUES_MAX queues a rule. */
#define FM_RULES_LINE_MAX 510
#define FM_RULES_QUEUES_MAX 128
/* Text of the flowrules file for a device's chosen setting. */
char *fm_solve_rules_text(const fm_solve_result *res, const fm_solve_device *d);
/* Add the rules files, then the configuration, to a stage (written with
 * the caller's other outputs when it commits). */
void fm_solve_stage(const fm_solve_output *out, const char *config_path, fm_stage *st);
/* The edits that set a keyword (what "N edits" counts). */
size_t fm_solve_output_nedits(const fm_solve_output *out);
void fm_solve_output_free(fm_solve_output *out);

/* ---- explaining ---- */

char *fm_solve_explain(const fm_solve_result *res, const fm_solve_output *out);
char *fm_solve_dot(const fm_solve_result *res);
/* One line per device: "NAME: FIELDS; shared-nothing: a, b; shared: c". */
void fm_solve_decisions(const fm_solve_result *res, fm_buf *out);
/* The machine-readable report (docs/solve.md), for `flowmage simulate`. */
char *fm_solve_report_json(const fm_solve_result *res, const fm_solve_output *out,
                           const fm_click_config *cfg, const char *output_path);

/* ---- loading the inputs (everything but the attributes) ---- */

/* The NIC profile assumed when none is named. */
#define FM_SOLVE_DEFAULT_NIC "mlx5"

typedef struct fm_solve_inputs {
    fm_click_config cfg;
    fm_click_graph graph;
    fm_solver_profile prof;
    fm_nic_profile nic;
    fm_cost_model cost;
    int have_cfg, have_graph, have_prof, have_nic, have_cost;
} fm_solve_inputs;

/* Load, in this order, the configuration (parsed, graph built), the
 * framework profile's "solver" object (profile: a file path, or a name
 * looked up as profiles/NAME.json among the data files; NULL: fastclick),
 * the NIC profile (NULL: FM_SOLVE_DEFAULT_NIC) and the cost model (NULL:
 * built-in).  On failure nothing stays allocated. */
int fm_solve_inputs_load(fm_solve_inputs *in, const char *config,
                         const char *profile, const char *nic,
                         const char *cost_model, fm_error *err);
void fm_solve_inputs_free(fm_solve_inputs *in);

#ifdef __cplusplus
}
#endif
#endif
