// FlowByteCounter — counts packets and bytes per flow.  It has no table: the
// flow manager upstream (FlowTable) hands it this flow's slice of the
// FlowControlBlock.
//
// What flowmage should find:
//   stateful, key kind flow_manager: whatever the manager upstream keys
//   its flows by (FlowTable: the 5-tuple); the solver looks it up in the chain
//   intensity per-packet: both counters grow with every packet
//   pointer chasing: no (two plain counters)
#include <click/flow.hh>

struct FlowUsage {
    uint64_t packets;
    uint64_t bytes;
};

class FlowByteCounter : public FlowSpaceElement<FlowUsage> {
  public:
    const char *class_name() const override { return "FlowByteCounter"; }

    void push_flow(int, FlowUsage *usage, PacketBatch *batch) override {
        FOR_EACH_PACKET(batch, p) {
            usage->packets++;
            usage->bytes += p->length();
        }
        output_push_batch(0, batch);
    }
};

EXPORT_ELEMENT(FlowByteCounter)
