// Compound elements: the device and the NFs live inside elementclasses.
// Port is used once, so its FromDPDKDevice can be edited in place.
elementclass Port { $p, $q |
    dev :: FromDPDKDevice($p, N_QUEUES $q) -> output;
}
elementclass Guard { $rate |
    input -> scan :: PortScanDetector(THRESHOLD 20)
          -> pol :: Policer(RATE $rate) -> output;
}

p0 :: Port(0, 16);
p0 -> Strip(14) -> g :: Guard(1Gbps) -> FlowCounter -> ToDPDKDevice(0);
