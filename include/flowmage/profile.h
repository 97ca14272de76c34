/* flowmage — framework profiles (profiles/NAME.json): everything the
 * analysis knows about a framework is data here, not code.  Documented in
 * docs/profiles.md.  The "summarize" object is read by this header's loader;
 * other stages read their own objects ("solver") from the same file. */
#ifndef FLOWMAGE_PROFILE_H
#define FLOWMAGE_PROFILE_H

#include "flowmage/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { FM_OP_LOOKUP = 1, FM_OP_LOOKUP_INSERT, FM_OP_INSERT, FM_OP_ERASE } fm_table_op;

typedef struct fm_table_method {
    char *name;          /* method simple name, or function name */
    fm_table_op op;
    int key_arg;         /* argument index of the key (this = 0) */
    int value_arg;       /* -1 if none */
    int result_arg;      /* out-pointer receiving the element, -1 if none */
    int key_array;       /* the key argument is an array of pointers to keys
                            (bulk operations: one key per packet) */
    int positions_arg;   /* out-array receiving each key's position, -1 if none */
} fm_table_method;

typedef struct fm_table_api {
    char *api;           /* "HashTable", "std::unordered_map", "rte_hash" */
    fm_strset classes;   /* qualified template names of classes owning the methods */
    int node_based;
    fm_table_method *methods;   /* methods of those classes */
    size_t nmethods;
    fm_table_method *functions; /* free functions (C APIs) */
    size_t nfunctions;
} fm_table_api;

typedef struct fm_header_map {
    char *rec;           /* record key, e.g. "click_ip" */
    char *field;         /* member, e.g. "ip_src" */
    char *attr;          /* "src_ip", ... or an other label ("src_mac") */
} fm_header_map;

typedef struct fm_profile {
    char *name;
    char *path;
    /* how elements are found */
    int elements_are_functions;  /* plain C: per-packet functions are NFs */
    fm_strset element_bases;     /* C++: classes deriving from these */
    char *name_method;           /* returns the element's name literal */
    char *entry_suffix;          /* C: "_process" */
    int state_param;             /* parameter holding the NF's state */
    fm_strset not_nfs;           /* elements that are not NFs (devices, sinks) */
    fm_strset entries;
    fm_strset configure;
    fm_strset flow_manager_bases;
    fm_strset flow_state_globals;
    fm_strset framework_globals; /* the framework's own thread-safe memory (packet pools) */
    fm_strset packet_records;
    fm_header_map *headers;
    size_t nheaders;
    fm_table_api *tables;
    size_t ntables;
    fm_strset per_thread_classes;
    fm_strset per_thread_accessors;
    fm_strset parser_classes;
    char *parser_method_prefix;
    fm_strset parser_functions;
    fm_strset hash_functions;     /* opaque but mixing: keys stay keys */
    fm_strset identity_functions; /* byte-order conversions: value unchanged */
    fm_strset no_state_functions; /* callees flowmage cannot see that keep no
                                     element state in what they are given
                                     (I/O, logging) */
    fm_strset no_state_classes;   /* classes whose virtual methods keep no
                                     element state (the framework's logging) */
    int port_param;               /* the input port's parameter in the entries
                                     of port_entries (-1: none) */
    fm_strset port_entries;       /* entries taking the input port */
    char *port_count_method;      /* returns "IN/OUT" port counts (Click's
                                     port_count), or NULL */
    fm_strset index_allocators;   /* "name" or "name:N": hands out an index no
                                     other live entry has, returned or written
                                     through argument N */
    fm_strset framework_values;   /* framework functions whose result is its
                                     own bookkeeping (a batch's size), not
                                     packet data: never a key */
} fm_profile;

/* Load a profile: a path to a .json file, or a name looked up as
 * profiles/NAME.json in flowmage's data directory. */
int fm_profile_load(const char *name_or_path, fm_profile *out, fm_error *err);
/* The same from text (path names it in errors). */
int fm_profile_parse(const char *text, size_t len, const char *path, fm_profile *out,
                     fm_error *err);
void fm_profile_free(fm_profile *p);

/* The label for a record member, or NULL. */
const char *fm_profile_header(const fm_profile *p, const char *rec, const char *field);
/* The table API owning a method of a class whose qualified template name is
 * tmpl, or NULL; *m receives the method. */
const fm_table_api *fm_profile_table_method(const fm_profile *p, const char *tmpl,
                                            const char *method,
                                            const fm_table_method **m);
const fm_table_api *fm_profile_table_function(const fm_profile *p, const char *fn,
                                              const fm_table_method **m);

#ifdef __cplusplus
}
#endif
#endif
