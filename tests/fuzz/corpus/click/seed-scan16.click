// Paper scenario (b): port-scan detector (src_ip) + policer (dst_ip) +
// flow counter (5-tuple), 16 cores.  Expected: RSS on src_ip; detector and
// counter shared-nothing, policer shared.
define($port 0, $cores 16)

in :: FromDPDKDevice($port, N_QUEUES $cores, BURST 32);
out :: ToDPDKDevice($port);

in -> Classifier(12/0800, -)
   -> Strip(14) -> CheckIPHeader
   -> scan :: PortScanDetector(THRESHOLD 20, WINDOW 1s)
   -> pol :: Policer(RATE 10Gbps, BURST 64KB)
   -> fc :: FlowCounter
   -> out;
