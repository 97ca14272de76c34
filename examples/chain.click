// The bundled example: the ingress of an edge router, one 16-queue port.
//
// Packets are checked, screened for port scans (per source address),
// policed (per destination address), given a flow block by a flow manager
// (per 5-tuple) and counted per flow, then sent back out.  flowmage decides
// which header fields the NIC hashes to pick a packet's queue (RSS) so that
// as much of this state as possible stays on one core.  Try:
//
//     make demo
//
// The NFs are in examples/nfs/; the device elements are the mock ones of
// tests/fixtures/clicklike/elements.

define($port 0, $queues 16)

in :: FromDPDKDevice($port, N_QUEUES $queues, BURST 32, PROMISC true);
out :: ToDPDKDevice($port, BLOCKING true);

in -> check :: CheckIPv4Header(OFFSET 14)
   -> scan :: ScanWatch(LIMIT 64)           // key: source address
   -> police :: HostPolicer(RATE 50000, BURST 512)  // key: destination address
   -> flows :: FlowTable(CAPACITY 1000000)  // flow manager, key: 5-tuple
   -> bytes :: FlowByteCounter              // per-flow state from flows
   -> out;

check[1] -> Discard;                        // malformed packets
