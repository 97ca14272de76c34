// NatRewriter: per-connection mapping, both directions.
// Meant attributes: stateful, key 5-tuple, symmetric, per-flow writes, pointer chasing.
#include "table.hh"

struct Mapping { Mapping *reverse; uint32_t new_src; uint16_t new_port; };

class NatRewriter : public Element {
  public:
    const char *class_name() const { return "NatRewriter"; }
    void push(int port, Packet *p);
  private:
    HashTable<FlowID, Mapping *> _map;
};

void NatRewriter::push(int port, Packet *p)
{
    FlowID id(p, port == 1);   // reply direction uses the mirrored tuple
    Mapping **m = _map.find(id);
    if (!m) {
        Mapping *fresh = new Mapping{nullptr, pick_src(), pick_port()};
        _map.insert(id, fresh);
        m = _map.find(id);
    }
    Mapping *x = (*m)->reverse ? (*m)->reverse : *m;
    rewrite(p, x->new_src, x->new_port);
    output(0).push(p);
}
