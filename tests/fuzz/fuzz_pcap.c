/* Packet traces (simulate/pcap.c): a capture file (pcap or pcapng, through
 * libpcap) is refused with an input error, or read into a trace whose
 * counts add up; and every link-layer parser takes the bytes as one frame
 * without reading past them. */
#define _GNU_SOURCE
#include <pcap/dlt.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flowmage/simulate.h"
#include "fuzz_common.h"

static void check_trace(const fm_trace *t)
{
    const fm_trace_stats *s = &t->stats;
    if (s->replayed + s->skipped_non_ip + s->skipped_truncated + s->skipped_corrupt != s->packets ||
        s->replayed != t->npkts || s->ipv4 + s->ipv6 != s->replayed || t->nflows > t->npkts)
        abort();
    uint64_t sum = 0;
    for (size_t i = 0; i < t->nflows; i++)
        sum += t->flow_pkts[i];
    if (sum != t->npkts)
        abort();
    for (size_t i = 0; i < t->npkts; i++)
        if (t->pkt_flow[i] >= t->nflows)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int dlts[] = {DLT_EN10MB, DLT_RAW,        DLT_IPV4,        DLT_IPV6,
                               DLT_NULL,   DLT_LOOP,       DLT_LINUX_SLL,   DLT_LINUX_SLL2};
    for (size_t i = 0; i < sizeof dlts / sizeof *dlts; i++) {
        if (!fm_linktype_supported(dlts[i]))
            continue;
        fm_flow_tuple t;
        fm_pkt_info info;
        uint8_t *copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */
        memcpy(copy, data, size);
        if (fm_packet_parse(dlts[i], copy, size, &t, &info) > FM_PKT_CORRUPT)
            abort();
        free(copy);
    }
    int fd = memfd_create("fuzz.pcap", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fm_trace tr;
    fm_error err;
    memset(&err, 0, sizeof err);
    if (fm_trace_read_pcap(path, &tr, &err) != 0) {
        if (err.kind != FM_ERR_INPUT || !err.msg[0])
            abort();
    } else {
        check_trace(&tr);
        fm_trace_free(&tr);
    }
    close(fd);
    return 0;
}
