// A NAT between two ports: its state is reached from both directions, so
// both ports must hash the same symmetric way for it to be shared-nothing.
inside :: FromDPDKDevice(0, N_QUEUES 8);
outside :: FromDPDKDevice(1, N_QUEUES 8);
nat :: SymNAT(PUBLIC 192.0.2.1);

inside -> Strip(14) -> CheckIPHeader -> [0]nat;
outside -> Strip(14) -> CheckIPHeader -> [1]nat;
nat[0] -> ToDPDKDevice(1);
nat[1] -> ToDPDKDevice(0);
