// FlowTable — a flow manager.  It gives every transport flow (addresses,
// ports, protocol) a FlowControlBlock the first time it sees it, and pushes
// each packet on with fcb_stack pointing at its flow's block.  Flow-space
// elements after it (FlowByteCounter) keep their per-flow state in that
// block, without a table of their own.
//
// What flowmage should find:
//   role flow_manager; stateful, key {src_ip, dst_ip, src_port, dst_port,
//   proto} (IPFlow5ID), not symmetric
//   intensity per-flow: the table is written only when a flow is new
//   pointer chasing: chained HashTable of FCB pointers
//   keywords: CAPACITY
// Any RSS setting hashing some of the five fields keeps each flow on one
// core, so FlowTable (and what depends on it) can always be shared-nothing.
#include <click/args.hh>
#include <click/flow.hh>
#include <click/hashtable.hh>
#include <click/ipflowid.hh>

class FlowTable : public VirtualFlowManager {
  public:
    FlowTable() : _capacity(100000) {}
    const char *class_name() const override { return "FlowTable"; }

    int configure(Vector<String> &conf, ErrorHandler *errh) override {
        return Args(conf, this, errh).read_or_set("CAPACITY", _capacity, 100000u).complete();
    }

    void push_batch(int, PacketBatch *batch) override {
        FOR_EACH_PACKET_SAFE(batch, p) {
            IPFlow5ID flow(p);
            FlowControlBlock *fcb;
            if (FlowControlBlock **known = _flows.find(flow)) {
                fcb = *known;
            } else if (_flows.size() < _capacity) {   // a new flow
                fcb = fcb_new();
                _flows.set(flow, fcb);
            } else {                                  // table full: drop
                p->kill();
                continue;
            }
            // One packet at a time, for clarity; FastClick's managers push
            // runs of packets of the same flow.
            FlowControlBlock *outer = fcb_stack;
            fcb_stack = fcb;
            output_push_batch(0, PacketBatch::make_from_packet(p));
            fcb_stack = outer;
        }
    }

  private:
    HashTable<IPFlow5ID, FlowControlBlock *> _flows;
    unsigned _capacity;
};

EXPORT_ELEMENT(FlowTable)
