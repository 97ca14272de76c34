// The FlowMage paper's Figure 7 chain with its research elements, which
// take SHARED 1 (one table for every core, with locks) or SHARED 0 (a table
// per core).  Hashing src_ip keeps the scan detector and the source counter
// shared-nothing: they get SHARED 0; the policer, keyed by dst_ip, stays
// shared and keeps SHARED 1.
FromDPDKDevice(0, N_QUEUES 16) -> Classifier(12/0800) -> CheckIPHeader(OFFSET 14)
  -> IPortScanDetector(SIZE 1000000, SHARED 1, LIMIT 10) -> IPolicer(SIZE 1000000, SHARED 1)
  -> ISourceCounter(SIZE 1000000, SHARED 1) -> FlowIPManager(CAPACITY 65536) -> FlowCounter
  -> ToDPDKDevice(0);
