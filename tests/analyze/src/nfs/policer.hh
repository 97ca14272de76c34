// Policer: token bucket per destination address.
// Meant attributes: stateful, key {dst_ip}, per-packet writes, no pointer chasing.
#ifndef TEST_POLICER_HH
#define TEST_POLICER_HH
#include "table.hh"

struct Bucket {
    unsigned tokens;
    unsigned long last;
};

class Policer : public Element {
  public:
    const char *class_name() const { return "Policer"; }
    int configure(Vector<String> &conf, ErrorHandler *errh);
    Packet *simple_action(Packet *p);

  private:
    HashTable<IPAddress, Bucket> _buckets;
    unsigned _rate, _burst;
};
#endif
