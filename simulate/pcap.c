/* Packet parsing and pcap/pcapng reading (libpcap) into a trace.
 *
 * Headers are walked by hand with bounds checks on every read: a frame whose
 * captured bytes end inside a header the hash needs is "truncated", an
 * impossible header is "corrupt"; both are counted and skipped, never fatal.
 * Only the file itself (unreadable, bad file header, unsupported link type,
 * a record header libpcap cannot make sense of) is an error. */
#include "flowmage/simulate.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "common/dynlib.h"

/* libpcap, opened when the first trace is read (common/dynlib.h). */
#define FM_PCAP_FUNCS(X)                                                                \
    X(pcap_fopen_offline) X(pcap_datalink) X(pcap_datalink_val_to_name) X(pcap_close)   \
    X(pcap_next_ex) X(pcap_geterr)
FM_PCAP_FUNCS(FM_DYNLIB_PTR)
FM_PCAP_FUNCS(FM_DYNLIB_DEF)

static int pcap_open_lib(fm_error *err)
{
    static int opened;
    static const char *const names[] = {FM_PCAP_FUNCS(FM_DYNLIB_NAME)};
    static void **const ptrs[] = {FM_PCAP_FUNCS(FM_DYNLIB_ADDR)};
    return fm_dynlib_open("libpcap.so.0.8", "libpcap0.8", names, ptrs,
                          sizeof names / sizeof *names, &opened, err);
}

#define pcap_fopen_offline (*fm_dl_pcap_fopen_offline)
#define pcap_datalink (*fm_dl_pcap_datalink)
#define pcap_datalink_val_to_name (*fm_dl_pcap_datalink_val_to_name)
#define pcap_close (*fm_dl_pcap_close)
#define pcap_next_ex (*fm_dl_pcap_next_ex)
#define pcap_geterr (*fm_dl_pcap_geterr)

enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100,
       ETH_QINQ = 0x88a8, ETH_QINQ_OLD = 0x9100 };
enum { PROTO_TCP = 6, PROTO_UDP = 17 };
#define MAX_VLAN_TAGS 8
#define MAX_IPV6_EXT 8

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

int fm_linktype_supported(int dlt)
{
    switch (dlt) {
    case DLT_EN10MB: case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
    case DLT_NULL: case DLT_LOOP: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
        return 1;
    default:
        return 0;
    }
}

static fm_pkt_status l4_ports(const uint8_t *p, size_t n, fm_flow_tuple *t,
                              int fragment)
{
    if (fragment || (t->proto != PROTO_TCP && t->proto != PROTO_UDP))
        return FM_PKT_OK;
    if (n < 4)
        return FM_PKT_TRUNCATED;
    t->sport = (uint16_t)be16(p);
    t->dport = (uint16_t)be16(p + 2);
    return FM_PKT_OK;
}

static fm_pkt_status parse_ipv4(const uint8_t *p, size_t n, fm_flow_tuple *t,
                                fm_pkt_info *info)
{
    if (n < 20)
        return FM_PKT_TRUNCATED;
    if (p[0] >> 4 != 4)
        return FM_PKT_CORRUPT;
    size_t ihl = (size_t)(p[0] & 15) * 4;
    size_t tot = be16(p + 2);
    if (ihl < 20 || (tot && tot < ihl))
        return FM_PKT_CORRUPT;
    if (n < ihl)
        return FM_PKT_TRUNCATED;
    /* Bytes past the IP total length are Ethernet padding, not L4 data
     * (a total length of 0 is TSO-captured traffic: trust the capture). */
    if (tot && tot < n)
        n = tot;
    unsigned frag = be16(p + 6);
    info->fragment = (frag & 0x3fff) != 0;   /* MF or an offset */
    t->ipv6 = 0;
    t->proto = p[9];
    memcpy(t->src, p + 12, 4);
    memcpy(t->dst, p + 16, 4);
    return l4_ports(p + ihl, n - ihl, t, info->fragment);
}

static fm_pkt_status parse_ipv6(const uint8_t *p, size_t n, fm_flow_tuple *t,
                                fm_pkt_info *info)
{
    if (n < 40)
        return FM_PKT_TRUNCATED;
    if (p[0] >> 4 != 6)
        return FM_PKT_CORRUPT;
    size_t plen = be16(p + 4);
    if (plen && 40 + plen < n)
        n = 40 + plen;
    t->ipv6 = 1;
    memcpy(t->src, p + 8, 16);
    memcpy(t->dst, p + 24, 16);
    unsigned nh = p[6];
    size_t off = 40;
    for (int i = 0; i <= MAX_IPV6_EXT; i++) {
        size_t len;
        switch (nh) {
        case 0: case 43: case 60: case 135: case 139: case 140:
            if (n < off + 2)
                return FM_PKT_TRUNCATED;
            len = ((size_t)p[off + 1] + 1) * 8;
            break;
        case 51: /* AH counts 4-byte words, minus 2 */
            if (n < off + 2)
                return FM_PKT_TRUNCATED;
            len = ((size_t)p[off + 1] + 2) * 4;
            break;
        case 44: /* fragment header */
            if (n < off + 8)
                return FM_PKT_TRUNCATED;
            info->fragment = 1;
            len = 8;
            break;
        default:
            t->proto = (uint8_t)nh;
            return l4_ports(p + off, n - off, t, info->fragment);
        }
        nh = p[off];
        off += len;
        if (off > n)
            return FM_PKT_TRUNCATED;
    }
    return FM_PKT_CORRUPT; /* an extension-header chain this long is bogus */
}

static fm_pkt_status parse_l3(unsigned ethertype, const uint8_t *p, size_t n,
                              fm_flow_tuple *t, fm_pkt_info *info)
{
    if (ethertype == ETH_IPV4)
        return parse_ipv4(p, n, t, info);
    if (ethertype == ETH_IPV6)
        return parse_ipv6(p, n, t, info);
    return FM_PKT_NON_IP;
}

/* Raw IP: the version nibble decides. */
static fm_pkt_status parse_raw(const uint8_t *p, size_t n, fm_flow_tuple *t,
                               fm_pkt_info *info)
{
    if (n < 1)
        return FM_PKT_TRUNCATED;
    if (p[0] >> 4 == 4)
        return parse_ipv4(p, n, t, info);
    if (p[0] >> 4 == 6)
        return parse_ipv6(p, n, t, info);
    return FM_PKT_NON_IP;
}

static fm_pkt_status parse_ether(const uint8_t *p, size_t n, fm_flow_tuple *t,
                                 fm_pkt_info *info)
{
    if (n < 14)
        return FM_PKT_TRUNCATED;
    unsigned type = be16(p + 12);
    size_t off = 14;
    while (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
        if (info->vlan_tags == MAX_VLAN_TAGS)
            return FM_PKT_CORRUPT;
        if (n < off + 4)
            return FM_PKT_TRUNCATED;
        info->vlan_tags++;
        type = be16(p + off + 2);
        off += 4;
    }
    return parse_l3(type, p + off, n - off, t, info);
}

fm_pkt_status fm_packet_parse(int dlt, const uint8_t *p, size_t caplen,
                              fm_flow_tuple *out, fm_pkt_info *info)
{
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
    switch (dlt) {
    case DLT_EN10MB:
        return parse_ether(p, caplen, out, info);
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
        return parse_raw(p, caplen, out, info);
    case DLT_NULL: case DLT_LOOP: /* 4-byte address family, any order */
        if (caplen < 4)
            return FM_PKT_TRUNCATED;
        return parse_raw(p + 4, caplen - 4, out, info);
    case DLT_LINUX_SLL:
        if (caplen < 16)
            return FM_PKT_TRUNCATED;
        return parse_l3(be16(p + 14), p + 16, caplen - 16, out, info);
    case DLT_LINUX_SLL2:
        if (caplen < 20)
            return FM_PKT_TRUNCATED;
        return parse_l3(be16(p), p + 20, caplen - 20, out, info);
    default:
        return FM_PKT_NON_IP;
    }
}

static void count(fm_trace *tr, fm_pkt_status st, const fm_flow_tuple *t,
                  const fm_pkt_info *info, uint32_t wirelen)
{
    fm_trace_stats *s = &tr->stats;
    s->packets++;
    switch (st) {
    case FM_PKT_NON_IP: s->skipped_non_ip++; return;
    case FM_PKT_TRUNCATED: s->skipped_truncated++; return;
    case FM_PKT_CORRUPT: s->skipped_corrupt++; return;
    case FM_PKT_OK: break;
    }
    s->replayed++;
    s->bytes += wirelen;
    if (t->ipv6)
        s->ipv6++;
    else
        s->ipv4++;
    if (t->proto == PROTO_TCP)
        s->tcp++;
    else if (t->proto == PROTO_UDP)
        s->udp++;
    else
        s->other_l4++;
    if (info->vlan_tags)
        s->vlan++;
    if (info->fragment)
        s->fragments++;
    fm_trace_add(tr, t);
}

/* libpcap reports a capture cut short inside a record as "truncated dump
 * file; tried to read N ... bytes, only got M". */
static int is_truncation(const char *msg)
{
    return strstr(msg, "truncated") != NULL;
}

int fm_trace_read_pcap(const char *path, fm_trace *out, fm_error *err)
{
    fm_trace_init(out, path);
    if (pcap_open_lib(err) != 0) {
        fm_trace_free(out);
        return -1;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fm_trace_free(out);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open trace: %s",
                       strerror(errno));
    }
    char eb[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_fopen_offline(fp, eb);
    if (!pc) {
        fclose(fp); /* libpcap leaves the stream to us when it fails */
        fm_trace_free(out);
        return fm_fail_at_offset(err, path, 0, "not a readable pcap/pcapng file: %s",
                                 eb[0] ? eb : "unknown format");
    }
    int dlt = pcap_datalink(pc);
    if (!fm_linktype_supported(dlt)) {
        const char *name = pcap_datalink_val_to_name(dlt);
        pcap_close(pc);
        fm_trace_free(out);
        return fm_fail_at_offset(err, path, 0,
                                 "unsupported link type %d (%s); supported: "
                                 "Ethernet, raw IP, Linux cooked (SLL, SLL2), "
                                 "BSD loopback", dlt, name ? name : "unknown");
    }
    for (;;) {
        long at = ftell(fp);
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(pc, &h, &data);
        if (rc == PCAP_ERROR_BREAK)
            break;
        if (rc == PCAP_ERROR) {
            const char *msg = pcap_geterr(pc);
            if (is_truncation(msg)) {
                out->stats.truncated_at = at;
                break;
            }
            fm_fail_at_offset(err, path, at, "corrupt record: %s", msg);
            pcap_close(pc);
            fm_trace_free(out);
            return -1;
        }
        if (rc != 1)
            continue;
        fm_flow_tuple t;
        fm_pkt_info info;
        fm_pkt_status st = fm_packet_parse(dlt, data, h->caplen, &t, &info);
        count(out, st, &t, &info, h->len);
    }
    pcap_close(pc);
    fm_trace_finish(out);
    return 0;
}
