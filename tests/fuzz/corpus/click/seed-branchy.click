// Branches and a merge: TCP goes through a port-scan detector, UDP through a
// policer, and both meet in a flow counter.
fd :: FromDPDKDevice(0, N_QUEUES 16);
fd -> Strip(14) -> CheckIPHeader -> cls :: Classifier(9/06, 9/11, -);
cls[0] -> scan :: PortScanDetector(THRESHOLD 20) -> merge :: FlowCounter;
cls[1] -> pol :: Policer(RATE 1Gbps) -> merge;
cls[2] -> Discard;
merge -> ToDPDKDevice(0);
