// IPFilter and TTLDecrement: stateless.
#include "table.hh"

class IPFilter : public Element {
  public:
    const char *class_name() const { return "IPFilter"; }
    Packet *simple_action(Packet *p);
  private:
    uint8_t _proto;
};

Packet *IPFilter::simple_action(Packet *p)
{
    if (p->ip_header()->ip_p != _proto) {
        p->kill();
        return 0;
    }
    return p;
}

class TTLDecrement : public Element {
  public:
    const char *class_name() const { return "TTLDecrement"; }
    Packet *simple_action(Packet *p);
};

Packet *TTLDecrement::simple_action(Packet *p)
{
    click_ip *ip = p->ip_header();
    if (ip->ip_ttl <= 1) { p->kill(); return 0; }
    ip->ip_ttl--;
    return p;
}
