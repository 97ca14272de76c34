// Fixture for flowmage simulate tests: a NAT whose state sees both
// directions (symmetric 5-tuple), a per-destination policer and a
// per-connection counter behind one 8-queue NIC.
in :: FromDPDKDevice(0, N_QUEUES 8);
out :: ToDPDKDevice(0);

in -> nat :: NatRewriter
   -> pol :: Policer(RATE 1Gbps)
   -> fc :: FlowCounter
   -> out;
