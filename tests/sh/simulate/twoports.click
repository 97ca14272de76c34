// Fixture for flowmage simulate tests: two NIC ports feed one policer
// (dst_ip), so the solver couples their RSS choices (one component with two
// devices); each port also has a per-connection counter of its own.
a :: FromDPDKDevice(0, N_QUEUES 4);
b :: FromDPDKDevice(1, N_QUEUES 4);
pol :: Policer(RATE 1Gbps);
out :: ToDPDKDevice(0);

a -> fa :: FlowCounter -> pol;
b -> fb :: FlowCounter -> pol;
pol -> out;
