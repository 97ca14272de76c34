/* Multi-line declarations: the MODE value changes in place and
 * FLOW_RULES_FILE is appended in the declaration's own style; every other
 * byte of this file is kept. */
define($dev 0000:11:00.0)

fd0 :: FromDPDKDevice(
	PORT $dev,          // the NIC
	N_QUEUES 16,
	MAXTHREADS 16,
	/* rss is FastClick's default */ MODE rss,
	BURST 32 // keep bursts small
);

fd0 -> scan :: PortScanDetector(THRESHOLD 20, WINDOW 1s)
    -> pol :: Policer(RATE "10 Gbps", BURST 64KB)   // per destination
    -> FlowCounter
    -> ToDPDKDevice($dev);
