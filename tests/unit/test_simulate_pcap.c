/* Reading traces: frames built byte by byte here and written with libpcap's
 * pcap_dump API (and one pcapng file written by hand), covering Ethernet,
 * 802.1Q and QinQ, IPv4/IPv6 (extension and fragment headers), TCP/UDP/ICMP,
 * raw IP and Linux cooked link types, and every bad case: truncated and
 * corrupt packets counted and skipped, a capture cut short kept up to its
 * last whole record, and unreadable/corrupt files reported with the file
 * name and byte offset. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "flowmage/simulate.h"

static char dir[] = "/tmp/fm-test-pcap.XXXXXX";

typedef struct frame { uint8_t b[256]; size_t n, caplen; } frame;

static void put(frame *f, const void *p, size_t n) { memcpy(f->b + f->n, p, n), f->n += n; }
static void put16(frame *f, unsigned v) { uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v}; put(f, b, 2); }

static void eth(frame *f, const unsigned *tags, int ntags, unsigned type)
{
    static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
    f->n = 0, f->caplen = 0;
    put(f, macs, 12);
    for (int i = 0; i < ntags; i++)
        put16(f, tags[i]), put16(f, 100 + (unsigned)i);
    put16(f, type);
}

/* IPv4 header + 20 bytes of L4 whose first 4 bytes are the ports. */
static void ipv4(frame *f, uint8_t proto, const uint8_t *src, const uint8_t *dst,
                 unsigned sport, unsigned dport, unsigned frag, unsigned ihl)
{
    put16(f, 0x4000 | ihl << 8), put16(f, 40), put16(f, 1), put16(f, frag);
    uint8_t ttl_proto[2] = {64, proto};
    put(f, ttl_proto, 2), put16(f, 0), put(f, src, 4), put(f, dst, 4);
    put16(f, sport), put16(f, dport);
    uint8_t rest[16] = {0};
    put(f, rest, 16);
}

static void ipv6(frame *f, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
    put16(f, 0x6000), put16(f, 0), put16(f, 28), put(f, &nh, 1);
    uint8_t hop = 64;
    put(f, &hop, 1), put(f, src, 16), put(f, dst, 16);
}

static int write_pcap(const char *path, int dlt, frame *fr, int n)
{
    pcap_t *p = pcap_open_dead(dlt, 65535);
    pcap_dumper_t *d = pcap_dump_open(p, path);
    if (!d)
        return -1;
    for (int i = 0; i < n; i++) {
        struct pcap_pkthdr h = {{1700000000 + i, 0}, 0, 0};
        h.caplen = (bpf_u_int32)(fr[i].caplen ? fr[i].caplen : fr[i].n);
        h.len = (bpf_u_int32)fr[i].n;
        pcap_dump((u_char *)d, &h, fr[i].b);
    }
    pcap_dump_close(d);
    pcap_close(p);
    return 0;
}

static const uint8_t A4[4] = {10, 0, 0, 1}, B4[4] = {192, 168, 1, 1};
static const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t B6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static const fm_flow_tuple *find(const fm_trace *t, int v6, uint8_t proto,
                                 unsigned sport, unsigned dport)
{
    for (size_t i = 0; i < t->nflows; i++)
        if (t->flows[i].ipv6 == v6 && t->flows[i].proto == proto &&
            t->flows[i].sport == sport && t->flows[i].dport == dport)
            return &t->flows[i];
    return NULL;
}

static void test_ethernet(void)
{
    frame fr[12];
    int n = 0;
    unsigned q[1] = {0x8100}, qq[2] = {0x88a8, 0x8100};
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 6, A4, B4, 1234, 80, 0, 5), n++;
    eth(&fr[n], q, 1, 0x0800), ipv4(&fr[n], 17, A4, B4, 5353, 53, 0, 5), n++;
    eth(&fr[n], qq, 2, 0x86dd), ipv6(&fr[n], 6, A6, B6), put16(&fr[n], 4000), put16(&fr[n], 443), n++;
    /* IPv6 + hop-by-hop options (8 bytes) + UDP */
    eth(&fr[n], NULL, 0, 0x86dd), ipv6(&fr[n], 0, A6, B6);
    uint8_t hbh[8] = {17, 0, 1, 4, 0, 0, 0, 0};
    put(&fr[n], hbh, 8), put16(&fr[n], 7000), put16(&fr[n], 7001), n++;
    /* IPv4 first fragment (MF): no ports */
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 6, A4, B4, 1111, 2222, 0x2000, 5), n++;
    /* ARP */
    eth(&fr[n], NULL, 0, 0x0806), put(&fr[n], A4, 4), put(&fr[n], B4, 4), n++;
    /* truncated inside the IPv4 header */
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 6, A4, B4, 1, 2, 0, 5), fr[n].caplen = 24, n++;
    /* IHL 3: corrupt */
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 6, A4, B4, 1, 2, 0, 3), n++;
    /* ICMP */
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 1, A4, B4, 0x0800, 0x1234, 0, 5), n++;
    /* TCP cut right after the IPv4 header: ports missing */
    eth(&fr[n], NULL, 0, 0x0800), ipv4(&fr[n], 6, A4, B4, 9, 9, 0, 5), fr[n].caplen = 34, n++;
    /* IPv6 fragment header, offset 8: no L4 header here */
    eth(&fr[n], NULL, 0, 0x86dd), ipv6(&fr[n], 44, A6, B6);
    uint8_t fh[8] = {17, 0, 0, 8 << 3, 0, 0, 0, 1};
    put(&fr[n], fh, 8), put16(&fr[n], 5555), put16(&fr[n], 6666), n++;
    /* VLAN tag, then the frame ends */
    eth(&fr[n], q, 1, 0x0800), fr[n].caplen = 16, n++;

    char path[128];
    snprintf(path, sizeof path, "%s/eth.pcap", dir);
    CHECK_INT(write_pcap(path, DLT_EN10MB, fr, n), 0);
    fm_trace t;
    fm_error e = {0};
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), 0);
    const fm_trace_stats *s = &t.stats;
    CHECK_INT(s->packets, 12);
    CHECK_INT(s->replayed, 7);
    CHECK_INT(s->skipped_non_ip, 1);
    CHECK_INT(s->skipped_truncated, 3);
    CHECK_INT(s->skipped_corrupt, 1);
    CHECK_INT(s->replayed + s->skipped_non_ip + s->skipped_truncated + s->skipped_corrupt,
              s->packets);
    CHECK_INT(s->ipv4, 4);
    CHECK_INT(s->ipv6, 3);
    CHECK_INT(s->vlan, 2);
    CHECK_INT(s->fragments, 2);
    CHECK_INT(s->tcp, 3);
    CHECK_INT(s->udp, 3);
    CHECK_INT(s->other_l4, 1);
    CHECK_INT(s->truncated_at, -1);
    CHECK_INT(t.npkts, 7);
    const fm_flow_tuple *f = find(&t, 0, 6, 1234, 80);
    CHECK(f && !memcmp(f->src, A4, 4) && !memcmp(f->dst, B4, 4), "IPv4 TCP flow");
    CHECK(find(&t, 0, 17, 5353, 53) != NULL, "VLAN IPv4 UDP flow");
    f = find(&t, 1, 6, 4000, 443);
    CHECK(f && !memcmp(f->src, A6, 16) && !memcmp(f->dst, B6, 16), "QinQ IPv6 TCP flow");
    CHECK(find(&t, 1, 17, 7000, 7001) != NULL, "IPv6 hop-by-hop + UDP flow");
    CHECK(find(&t, 0, 6, 0, 0) != NULL, "IPv4 fragment without ports");
    CHECK(find(&t, 0, 1, 0, 0) != NULL, "ICMP without ports");
    CHECK(find(&t, 1, 17, 0, 0) != NULL, "IPv6 fragment without ports");
    fm_trace_free(&t);
}

static void test_other_links(void)
{
    frame fr[3];
    char path[128];
    fm_trace t;
    fm_error e = {0};
    fr[0].n = 0, fr[0].caplen = 0, ipv4(&fr[0], 17, A4, B4, 10, 20, 0, 5);
    fr[1].n = 0, fr[1].caplen = 0, ipv6(&fr[1], 6, A6, B6), put16(&fr[1], 30), put16(&fr[1], 40);
    snprintf(path, sizeof path, "%s/raw.pcap", dir);
    CHECK_INT(write_pcap(path, DLT_RAW, fr, 2), 0);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), 0);
    CHECK_INT(t.stats.replayed, 2);
    CHECK(find(&t, 0, 17, 10, 20) && find(&t, 1, 6, 30, 40), "raw IP flows");
    fm_trace_free(&t);

    /* Linux cooked capture: 16-byte header, protocol in the last 2 bytes. */
    fr[0].n = 0, fr[0].caplen = 0;
    uint8_t sll[14] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
    put(&fr[0], sll, 14), put16(&fr[0], 0x0800), ipv4(&fr[0], 6, A4, B4, 99, 443, 0, 5);
    snprintf(path, sizeof path, "%s/sll.pcap", dir);
    CHECK_INT(write_pcap(path, DLT_LINUX_SLL, fr, 1), 0);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), 0);
    CHECK(t.stats.replayed == 1 && find(&t, 0, 6, 99, 443), "SLL flow");
    fm_trace_free(&t);

    /* An unsupported link type is a file error. */
    snprintf(path, sizeof path, "%s/wifi.pcap", dir);
    CHECK_INT(write_pcap(path, DLT_IEEE802_11, fr, 1), 0);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    CHECK(strstr(e.msg, "unsupported link type") != NULL, "msg: %s", e.msg);
}

static void le32(FILE *f, uint32_t v) { uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)}; fwrite(b, 1, 4, f); }

static void test_pcapng(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.pcapng", dir);
    FILE *f = fopen(path, "wb");
    le32(f, 0x0A0D0D0A), le32(f, 28), le32(f, 0x1A2B3C4D), le32(f, 1);
    le32(f, 0xffffffff), le32(f, 0xffffffff), le32(f, 28);  /* section header */
    le32(f, 1), le32(f, 20), le32(f, DLT_EN10MB), le32(f, 65535), le32(f, 20); /* IDB */
    frame fr;
    fr.caplen = 0;
    eth(&fr, NULL, 0, 0x0800), ipv4(&fr, 6, A4, B4, 4321, 22, 0, 5);  /* 54 bytes */
    uint32_t pad = (uint32_t)((4 - fr.n % 4) % 4), tot = 32 + (uint32_t)fr.n + pad;
    for (int k = 0; k < 2; k++) {
        le32(f, 6), le32(f, tot), le32(f, 0), le32(f, 0), le32(f, (uint32_t)k);
        le32(f, (uint32_t)fr.n), le32(f, (uint32_t)fr.n);
        fwrite(fr.b, 1, fr.n, f);
        fwrite("\0\0\0", 1, pad, f);
        le32(f, tot);
    }
    fclose(f);
    fm_trace t;
    fm_error e = {0};
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), 0);
    CHECK_INT(t.stats.replayed, 2);
    CHECK_INT(t.nflows, 1);
    CHECK(find(&t, 0, 6, 4321, 22) != NULL, "pcapng flow");
    fm_trace_free(&t);
}

static void test_bad_files(void)
{
    char path[128], cmd[300];
    fm_trace t;
    fm_error e = {0};
    frame fr[3];
    for (int i = 0; i < 3; i++)
        fr[i].caplen = 0, eth(&fr[i], NULL, 0, 0x0800),
        ipv4(&fr[i], 6, A4, B4, 1000 + (unsigned)i, 80, 0, 5);
    long rec = 16 + (long)fr[0].n;

    /* Cut inside the last record: the whole records stay. */
    snprintf(path, sizeof path, "%s/cut.pcap", dir);
    write_pcap(path, DLT_EN10MB, fr, 3);
    CHECK_INT(truncate(path, 24 + 3 * rec - 5), 0);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), 0);
    CHECK_INT(t.stats.replayed, 2);
    CHECK_INT(t.stats.truncated_at, 24 + 2 * rec);
    fm_trace_free(&t);

    /* A record header claiming 2 GB: an error at that record's offset. */
    snprintf(path, sizeof path, "%s/badrec.pcap", dir);
    write_pcap(path, DLT_EN10MB, fr, 3);
    FILE *f = fopen(path, "r+b");
    fseek(f, 24 + rec + 8, SEEK_SET);
    le32(f, 0x7fffffff);
    fclose(f);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    CHECK(e.is_offset && e.line == 24 + rec, "offset %ld, want %ld", e.line, 24 + rec);
    CHECK_STR(e.file, path);
    CHECK_INT(fm_error_exit_code(&e), FM_EXIT_INPUT);

    /* Not a capture at all. */
    snprintf(path, sizeof path, "%s/garbage.pcap", dir);
    f = fopen(path, "wb");
    fputs("this is not a packet capture, just text\n", f);
    fclose(f);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    char line[1200];
    fm_error_format(&e, line, sizeof line);
    snprintf(cmd, sizeof cmd, "%s: offset 0: ", path);
    CHECK(strncmp(line, cmd, strlen(cmd)) == 0 && !strchr(line, '\n'),
          "one line naming file and offset: %s", line);
    CHECK_INT(fm_error_exit_code(&e), FM_EXIT_INPUT);

    /* Empty, missing, a header cut short. */
    snprintf(path, sizeof path, "%s/empty.pcap", dir);
    fclose(fopen(path, "wb"));
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    CHECK(e.is_offset && e.line == 0, "empty file: offset");
    snprintf(path, sizeof path, "%s/short.pcap", dir);
    write_pcap(path, DLT_EN10MB, fr, 1);
    CHECK_INT(truncate(path, 10), 0);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    CHECK(strstr(e.msg, "pcap") != NULL, "msg: %s", e.msg);
    snprintf(path, sizeof path, "%s/missing.pcap", dir);
    CHECK_INT(fm_trace_read_pcap(path, &t, &e), -1);
    CHECK(strstr(e.msg, "No such file") != NULL && !strcmp(e.file, path), "msg: %s", e.msg);
    CHECK_INT(fm_trace_read_pcap(dir, &t, &e), -1); /* a directory */
    CHECK_INT(fm_error_exit_code(&e), FM_EXIT_INPUT);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_ethernet();
    test_other_links();
    test_pcapng();
    test_bad_files();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!getenv("FM_KEEP") && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return fm_t_done("test_simulate_pcap",
                     "Ethernet/VLAN/QinQ/IPv4/IPv6(ext, frag)/TCP/UDP/ICMP, raw IP, "
                     "SLL, pcapng; truncated/corrupt/non-IP packets counted and "
                     "skipped; cut capture kept; corrupt record, garbage, empty, "
                     "missing, directory: one-line error with file and offset, exit 2");
}
