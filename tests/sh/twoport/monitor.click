// Outside and inside ports around a host rate monitor keyed per input.
outside :: FromDPDKDevice(0, N_QUEUES 4, MAXTHREADS 4, THREADOFFSET 0);
inside :: FromDPDKDevice(1, N_QUEUES 4, MAXTHREADS 4, THREADOFFSET 0);
mon :: HostRateMonitor(LIMIT 1000);
outside -> [0]mon;
inside -> [1]mon;
mon[0] -> ToDPDKDevice(1);
mon[1] -> ToDPDKDevice(0);
mon[2] -> Discard;
