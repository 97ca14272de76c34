// CheckIPv4Header — drops what is not a well-formed IPv4 packet and marks
// where the IP header starts, so the elements after it can read it.
// Packets that fail a check leave on output 1 (dropped if it is unconnected).
//
// What flowmage should find:
//   stateless: it reads header fields but keeps nothing between packets,
//   so any RSS setting suits it; only its per-packet cost matters.
//   keywords: OFFSET (where the IP header starts, e.g. 14 after Ethernet)
#include <click/args.hh>
#include <click/element.hh>

class CheckIPv4Header : public Element {
  public:
    CheckIPv4Header() : _offset(0) {}
    const char *class_name() const override { return "CheckIPv4Header"; }

    int configure(Vector<String> &conf, ErrorHandler *errh) override {
        return Args(conf, this, errh).read_or_set("OFFSET", _offset, 0u).complete();
    }

    Packet *simple_action(Packet *p) override {
        if (p->length() < _offset + sizeof(click_ip))
            return reject(p);
        const click_ip *iph = reinterpret_cast<const click_ip *>(p->data() + _offset);
        unsigned hlen = iph->ip_hl * 4u;
        if (iph->ip_v != 4 || hlen < sizeof(click_ip)
            || ntohs(iph->ip_len) < hlen
            || p->length() < _offset + ntohs(iph->ip_len)
            || iph->ip_ttl == 0)
            return reject(p);
        p->set_ip_header(iph, hlen);   // from here on, p->ip_header() works
        return p;
    }

  private:
    Packet *reject(Packet *p) {
        checked_output_push(1, p);
        return nullptr;
    }

    unsigned _offset;
};

EXPORT_ELEMENT(CheckIPv4Header)
