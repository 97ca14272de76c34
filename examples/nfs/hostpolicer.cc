// HostPolicer — protects servers: at most RATE packets per second towards
// any one destination address, with bursts of up to BURST packets (a token
// bucket per destination).
//
// What flowmage should find:
//   stateful, key {dst_ip}: one Bucket per destination, in a HashTable
//   intensity per-packet: every packet takes a token from its bucket
//   pointer chasing: chained HashTable
//   keywords: RATE, BURST
// Its key has nothing in common with ScanWatch's, so no RSS setting keeps
// both shared-nothing: the solver has to pick which one shares its state.
#include <click/args.hh>
#include <click/element.hh>
#include <click/hashtable.hh>
#include <click/ipaddress.hh>

struct Bucket {
    uint64_t tokens;
    uint64_t refilled_ms;   // when tokens were last added
};

class HostPolicer : public Element {
  public:
    HostPolicer() : _rate(10000), _burst(100) {}
    const char *class_name() const override { return "HostPolicer"; }

    int configure(Vector<String> &conf, ErrorHandler *errh) override {
        if (Args(conf, this, errh)
                .read_mp("RATE", _rate)
                .read_or_set("BURST", _burst, 100u)
                .complete() < 0)
            return -1;
        return _rate && _burst ? 0 : errh->error("HostPolicer: RATE and BURST must be positive");
    }

    Packet *simple_action(Packet *p) override {
        uint64_t now = click_jiffies();
        Bucket fresh = {_burst, now};
        Bucket *b = _buckets.find_insert(IPAddress(p->ip_header()->ip_dst), fresh);
        uint64_t earned = (now - b->refilled_ms) * _rate / 1000;
        if (earned) {
            b->tokens = b->tokens + earned > _burst ? _burst : b->tokens + earned;
            b->refilled_ms = now;
        }
        if (b->tokens == 0) {   // over the rate: drop
            p->kill();
            return nullptr;
        }
        b->tokens--;
        return p;
    }

  private:
    HashTable<IPAddress, Bucket> _buckets;
    unsigned _rate;    // packets per second
    unsigned _burst;
};

EXPORT_ELEMENT(HostPolicer)
