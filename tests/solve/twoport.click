// Two ports around a NAT and a rate monitor whose keys differ per input
// port.  The monitor counts by source address on input 0 (packets from
// outside) and by destination address on input 1 (packets from inside): its
// entry is the remote host either way.  The NAT finds a mapping by the
// inside flow on input 0 and by the reply on input 1: what the two share is
// the remote end.  Hashing dst_ip inside and src_ip outside, with one key
// and queue q of both ports read by one thread, keeps both shared-nothing.
inside :: FromDPDKDevice(0, N_QUEUES 4, MAXTHREADS 4, THREADOFFSET 0);
outside :: FromDPDKDevice(1, N_QUEUES 4, MAXTHREADS 4, THREADOFFSET 0);
mon :: RateMonitorLike;
nat :: RewriterLike;

outside -> Strip(14) -> CheckIPHeader -> [0]mon;
inside -> Strip(14) -> CheckIPHeader -> [1]mon;
mon[0] -> [1]nat;
mon[1] -> [0]nat;
nat[0] -> ToDPDKDevice(1);
nat[1] -> ToDPDKDevice(0);
