// ScanWatch — a port-scan detector.  Per source address it remembers which
// destination ports the source has tried in the last WINDOW milliseconds; a
// source that tries more than LIMIT distinct ports in a window is a scanner,
// and its packets are dropped.
//
// What flowmage should find:
//   stateful, key {src_ip}: one PortTracker per source, in a HashTable
//   intensity per-packet: every packet updates its source's tracker
//   pointer chasing: HashTable is chained (one heap node per source)
//   keywords: LIMIT, WINDOW
// So RSS on src_ip (or on nothing wider) keeps every source on one core
// and ScanWatch needs no lock; RSS on the 4-tuple would spread one scanner
// over all cores and make them share its tracker.
#include <click/args.hh>
#include <click/element.hh>
#include <click/hashtable.hh>
#include <click/ipaddress.hh>

struct PortTracker {
    uint64_t window_start;  // ms
    uint32_t tried[64];     // 2048-bit set of (hashed) destination ports
    uint32_t distinct;      // bits set in tried
    uint64_t packets;
};

class ScanWatch : public Element {
  public:
    ScanWatch() : _limit(100), _window_ms(10000) {}
    const char *class_name() const override { return "ScanWatch"; }

    int configure(Vector<String> &conf, ErrorHandler *errh) override {
        return Args(conf, this, errh)
            .read_or_set("LIMIT", _limit, 100u)
            .read_or_set("WINDOW", _window_ms, 10000u)
            .complete();
    }

    Packet *simple_action(Packet *p) override {
        const click_ip *iph = p->ip_header();
        PortTracker *t = _sources.find_insert(IPAddress(iph->ip_src));
        uint64_t now = click_jiffies();
        if (now - t->window_start >= _window_ms) {   // a new window: forget
            for (unsigned i = 0; i < 64; i++)
                t->tried[i] = 0;
            t->distinct = 0;
            t->window_start = now;
        }
        t->packets++;
        if (iph->ip_p == IP_PROTO_TCP || iph->ip_p == IP_PROTO_UDP) {
            unsigned port = ntohs(p->udp_header()->uh_dport) % 2048;
            uint32_t bit = 1u << (port % 32);
            if (!(t->tried[port / 32] & bit)) {
                t->tried[port / 32] |= bit;
                t->distinct++;
            }
        }
        if (t->distinct > _limit) {   // a scanner: drop
            p->kill();
            return nullptr;
        }
        return p;
    }

  private:
    HashTable<IPAddress, PortTracker> _sources;
    unsigned _limit;
    unsigned _window_ms;
};

EXPORT_ELEMENT(ScanWatch)
