/* flowmage — the five RSS-hashable header fields, as a bit set. */
#ifndef FLOWMAGE_FIELDS_H
#define FLOWMAGE_FIELDS_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FM_F_SRC_IP = 1u << 0,
    FM_F_DST_IP = 1u << 1,
    FM_F_SRC_PORT = 1u << 2,
    FM_F_DST_PORT = 1u << 3,
    FM_F_PROTO = 1u << 4,
    FM_F_ALL = 0x1f
};
#define FM_NFIELDS 5

typedef unsigned fm_fieldset;

/* "src_ip", "dst_ip", "src_port", "dst_port", "proto" for bit i (0..4). */
const char *fm_field_name(int i);
/* The five names in bit order, and the four a NIC hashes (no "proto"),
 * each NULL-terminated (the readers' enumerations). */
extern const char *const fm_field_names[FM_NFIELDS + 1];
extern const char *const fm_hashable_names[FM_NFIELDS];
/* Bit for a name, 0 if it is not one of the five. */
fm_fieldset fm_field_bit(const char *name);
/* Canonical text: "src_ip,dst_port" ("" for the empty set), in bit order. */
void fm_fieldset_format(fm_fieldset s, char *out, unsigned n);
/* Parse "src_ip,dst_ip" (also accepts '+', ' ' separators and "5tuple").
 * Returns 0, or -1 on an unknown name (copied into bad if not NULL). */
int fm_fieldset_parse(const char *text, fm_fieldset *out, char *bad, unsigned n);
/* Swap src/dst of each pair (src_ip <-> dst_ip, src_port <-> dst_port). */
fm_fieldset fm_fieldset_mirror(fm_fieldset s);

#ifdef __cplusplus
}
#endif
#endif
