/* flowmage — the .flowmage ELF section: format shared by the GCC plugin
 * (writer) and the summarize reader.  One definition, like annobin's notes.
 *
 * The plugin appends one UNIT per translation unit to a non-allocated
 * section ".flowmage" (flags "", @progbits, alignment 1).  Linkers
 * concatenate input sections, so a linked binary or a relocatable link holds
 * several units back to back; zero bytes between units are padding.
 *
 *   unit   := header payload
 *   header := magic[4] = 7f 'F' 'M' 'G'
 *             u8 major (FM_SECTION_MAJOR)  u8 minor  u16 flags (LE, FM_HDR_*)
 *             u32 payload_size (LE)  u32 crc32(payload) (LE, zlib)
 *   With FM_HDR_DEFLATE the stored payload is u32 raw_size (LE) followed by
 *   the zlib stream of the raw payload; size and CRC cover what is stored.
 *
 * A reader rejects a major version outside FM_SECTION_MAJOR_OLDEST ..
 * FM_SECTION_MAJOR ("future version"), accepts any minor (minors only append
 * optional trailing data), and rejects a CRC mismatch as corrupt.  Major 2
 * added the UNKNOWN and FUNC origins, asm and atomic effects, the CONST / PURE /
 * NO_ARG_WRITES callee flags; a major-1 unit is still read (it never uses
 * them).
 *
 * The payload is a sequence of unsigned LEB128 numbers ("u") and strings
 * (u length + bytes, no NUL).  Strings are interned: "s" below is an index
 * into the unit's string table, 0 meaning "none".
 *
 *   payload := strtab unit_info types globals functions
 *   strtab  := u count, count × string            (entry 0 is "")
 *   unit_info := s producer, s language (lang_hooks.name, e.g. "GNU C++17"),
 *                s main_file, u flags (FM_UNIT_*), u skipped (trees the
 *                plugin did not understand and skipped)
 *   types   := u count, count × type
 *   type    := s key (mangled type name, or "struct tag" for C), s name
 *              (printable), s template_name (qualified, without arguments),
 *              u flags (FM_TYPE_*), u size_bytes,
 *              u nbases, nbases × (u type_index, u offset, u flags FM_BASE_*),
 *              u nslots, nslots × s method (mangled; slot number = position),
 *              u nfields, nfields × (s name, s type_name, u type_index+1 or 0,
 *                                    u flags FM_FIELD_*, u offset_bytes)
 *   globals := u count, count × (s mangled, s printable, u type_index+1 or 0,
 *                                u flags FM_GLOBAL_*)
 *   functions := u count, count × function
 *   function := s mangled, s printable (qualified, no parameters),
 *               s simple_name, u class_index+1 or 0, u flags (FM_FN_*),
 *               u vslot+1 or 0, s file, u line_begin, u line_end,
 *               u nparams, u nstmts, u nloops,
 *               u nlocals, nlocals × (s name, u type_index+1 or 0, u flags),
 *               u nevents, nevents × event
 *              A function with FM_FN_DECL is a callee declared but not
 *              defined in the unit: it stops after line_end.
 *   event  := u kind (FM_EV_*), u line, u nguards,
 *             nguards × (u cond_event_index, u polarity 0/1), then by kind:
 *     LOAD   : access, u flags (FM_ACC_*)                (value: the loaded value)
 *     STORE  : access, u flags, opnd value
 *     ADDR   : access, u flags                     (value: the address &access)
 *     PTRADD : opnd base, opnd offset                  (value: base + offset)
 *     CALL   : u call_kind (FM_CALL_*), then
 *                DIRECT: s callee_mangled
 *                VIRTUAL: u class_index, u slot, opnd object
 *                INDIRECT: opnd target
 *              u flags (FM_CALLF_*), u nargs, nargs × opnd   (value: result)
 *     RET    : opnd value
 *     COND   : u code (FM_CMP_*), u flags (FM_CONDF_*), opnd lhs, opnd rhs
 *   access := opnd base, u npath, npath × (s record_key, s field), opnd index
 *             base is what the access starts from: a pointer that is
 *             dereferenced (FM_ACC_DEREF) or the storage of a local, global or
 *             parameter; path lists the members selected from the outermost
 *             record inwards (e.g. click_ip.ip_src then in_addr.s_addr); an
 *             array element step has record_key 0 and field 0; index holds the
 *             origins of every non-constant array index.  A base-class
 *             subobject step has field "$base".
 *   opnd   := u n, n × origin
 *   origin := u (kind | flags << 4) with kind FM_OR_* (4 bits) and flags
 *             FM_OF_* (5 bits; 4 before major 2), then u index
 *             PARAM: the value of parameter i (SSA default definition);
 *             PARAMADDR: the storage of parameter i itself (a by-value
 *             aggregate or an address-taken parameter);
 *             EVENT: event index (earlier or later in the same function: phis
 *             make flow cyclic); LOCAL: address of local i; GLOBAL: address of
 *             global i; STR: string index of a string literal; CONST: an
 *             integer constant, index 0 if it is zero (or null), 1 if not
 *             (so a call site's constant flag can settle a callee's branch);
 *             UNKNOWN: a value the plugin cannot trace (index 0); FUNC:
 *             the address of a function, the string index of its mangled
 *             name.
 *   An asm statement becomes STOREs: one per memory output, and, with a
 *   "memory" clobber, one through each pointer operand (no path); their value
 *   is UNKNOWN plus the inputs' origins, flagged MIXED.  A register output
 *   takes the same value.
 */
#ifndef FLOWMAGE_SECTION_H
#define FLOWMAGE_SECTION_H

#define FM_SECTION_NAME ".flowmage"
#define FM_SECTION_MAGIC "\177FMG"
#define FM_SECTION_MAJOR 2
#define FM_SECTION_MAJOR_OLDEST 1
#define FM_SECTION_MINOR 0
#define FM_SECTION_HEADER_SIZE 16
#define FM_SECTION_MAX_RAW (256u << 20) /* a larger unit is corrupt */

/* header flags; a reader rejects bits it does not know */
enum { FM_HDR_DEFLATE = 1 };

/* unit flags */
enum { FM_UNIT_LTO = 1, FM_UNIT_OPTIMIZED = 2 };

/* type flags */
enum {
    FM_TYPE_POLYMORPHIC = 1,  /* has a vtable */
    FM_TYPE_UNION = 2,
    FM_TYPE_SYSTEM = 4,       /* declared in a system header */
    FM_TYPE_COMPLETE = 8,     /* fields and size are known */
    FM_TYPE_HAS_POINTER = 16  /* a field (recursively through arrays) is a pointer */
};
enum { FM_BASE_VIRTUAL = 1, FM_BASE_PRIMARY = 2 };
enum {
    FM_FIELD_POINTER = 1,     /* pointer or reference */
    FM_FIELD_ARRAY = 2,
    FM_FIELD_RECORD = 4,      /* struct/class/union by value */
    FM_FIELD_BASE = 8,        /* artificial base-subobject field */
    FM_FIELD_VPTR = 16,
    FM_FIELD_FUNCPTR = 32
};
enum {
    FM_GLOBAL_TLS = 1, FM_GLOBAL_STATIC = 2, FM_GLOBAL_FN_LOCAL = 4,
    FM_GLOBAL_CONST = 8, FM_GLOBAL_EXTERN = 16, FM_GLOBAL_VTABLE = 32
};

/* function flags */
enum {
    FM_FN_VIRTUAL = 1, FM_FN_STATIC = 2, FM_FN_CTOR = 4, FM_FN_DTOR = 8,
    FM_FN_SYSTEM = 16,        /* from a system header: events are minimal */
    FM_FN_COMDAT = 32,        /* inline / template: may appear in many units */
    FM_FN_PUBLIC = 64, FM_FN_ARTIFICIAL = 128,
    FM_FN_EXCLUDED = 256,     /* under an exclude prefix: identity only */
    FM_FN_TRUNCATED = 512,    /* too many events or origins: facts incomplete */
    FM_FN_DECL = 1024,        /* declared, not defined here: identity only */
    FM_FN_OPERATOR = 2048,    /* an overloaded operator */
    /* what a callee flowmage cannot see may do (from GCC's attributes) */
    FM_FN_CONST = 4096,       /* value depends on the arguments only; no memory */
    FM_FN_PURE = 8192,        /* reads memory, writes none */
    FM_FN_NO_ARG_WRITES = 16384 /* every pointer parameter points to const
                                   (printf-like varargs too) */
};
enum { FM_LOCAL_ADDRESSED = 1, FM_LOCAL_AGGREGATE = 2, FM_LOCAL_RESULT = 4,
       FM_LOCAL_PARAM = 8 };

/* event kinds */
enum {
    FM_EV_LOAD = 1, FM_EV_STORE = 2, FM_EV_ADDR = 3, FM_EV_PTRADD = 4,
    FM_EV_CALL = 5, FM_EV_RET = 6, FM_EV_COND = 7
};
/* access flags (LOAD/STORE/ADDR) */
enum {
    FM_ACC_DEREF = 1,      /* through a pointer (MEM_REF), not a named decl */
    FM_ACC_INDEXED = 2,    /* an ARRAY_REF with a non-constant index */
    FM_ACC_AGGREGATE = 4,  /* whole struct copied */
    FM_ACC_BITFIELD = 8,
    FM_ACC_VOLATILE = 16,
    FM_ACC_CLOBBER = 32,   /* end-of-life marker (not a real store) */
    FM_ACC_POINTER = 64    /* the loaded/stored value is a pointer */
};
enum { FM_CALL_DIRECT = 1, FM_CALL_VIRTUAL = 2, FM_CALL_INDIRECT = 3 };
enum {
    FM_CALLF_AGG_RESULT = 1, /* result is a struct returned in memory */
    FM_CALLF_NORETURN = 2, FM_CALLF_BUILTIN = 4, FM_CALLF_IN_LOOP = 8
};
/* comparison codes for COND */
enum {
    FM_CMP_EQ = 1, FM_CMP_NE = 2, FM_CMP_LT = 3, FM_CMP_LE = 4,
    FM_CMP_GT = 5, FM_CMP_GE = 6, FM_CMP_OTHER = 7
};
enum { FM_CONDF_RHS_ZERO = 1, FM_CONDF_LHS_ZERO = 2 };

/* origin kinds (low 4 bits) and flags (high bits) */
enum {
    FM_OR_PARAM = 1, FM_OR_EVENT = 2, FM_OR_LOCAL = 3, FM_OR_GLOBAL = 4,
    FM_OR_STR = 5, FM_OR_PARAMADDR = 6,
    FM_OR_CONST = 7, /* an integer constant: index 0 if zero (or null), 1 if not */
    FM_OR_UNKNOWN = 8, /* index 0: a value the plugin cannot trace (an asm
                          output, a tree it does not understand) */
    FM_OR_FUNC = 9    /* the address of a function: string index of its
                         mangled name (a declaration record exists) */
};

/* Effects that are not calls in the source travel as calls to these names
 * (no C or C++ function can be named so):
 *   - an atomic internal function (GIMPLE's IFN_ATOMIC_*), as
 *     FM_ATOMIC_IFN_PREFIX + its name, with the call's arguments: it writes
 *     what its first argument points to. */
#define FM_ATOMIC_IFN_PREFIX "__atomic_ifn_"
/* How a value was transformed between its origin and its use.  Only the
 * first transforming operation after the origin decides (see docs). */
enum {
    FM_OF_MASKED = 1,   /* a lossy op applied directly: & const, >> const,
                           narrowing cast, / or % const (prefix of a field) */
    FM_OF_MIXED = 2,    /* an asymmetric mixing op (hash arithmetic) */
    FM_OF_SYMJOIN = 4,  /* joined with another value by a commutative op
                           (^, +, |, &, min, max) before any mixing */
    FM_OF_SELECT = 8,   /* chosen by a phi / conditional (e.g. a swap) */
    FM_OF_ZEROTEST = 16 /* "is it zero" of the origin (x == 0): a flag a
                           caller's constant can settle (major 2) */
};

#endif
