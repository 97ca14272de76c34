// Paper scenario (a): a policer keyed by destination address and a counter
// keyed by source address.  Their sharing penalties are equal, so the tie
// goes to the costlier NF: RSS on dst_ip, the policer shared-nothing.
define($port 0)

fd :: FromDPDKDevice($port, N_QUEUES 8, MAXTHREADS 8);
fd -> Strip(14) -> CheckIPHeader
   -> pol :: Policer(RATE 1Gbps)
   -> src :: SourceCounter
   -> ToDPDKDevice($port);
