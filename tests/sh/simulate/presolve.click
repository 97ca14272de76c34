// Fixture for flowmage simulate tests: a configuration that already sets
// its RSS before solving.  Port 0 hashes the source address only (HASHFUNC),
// port 1 has RSS off (MODE none: every packet on queue 0); simulate's
// "default" rows must replay exactly that, not the NIC's default hashing.
a :: FromDPDKDevice(0, N_QUEUES 4, HASHFUNC "src_ip");
b :: FromDPDKDevice(1, N_QUEUES 4, MODE none);
out :: ToDPDKDevice(0);

a -> pol :: Policer(RATE 1Gbps) -> out;
b -> fc :: FlowCounter -> out;
