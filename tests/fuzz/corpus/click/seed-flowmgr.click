// NFs whose state lives in a flow manager's table take that manager's key.
fd :: FromDPDKDevice(0, N_QUEUES 8);
fd -> cls :: Classifier(12/0800, -);
cls[0] -> fm :: FlowIPManager(CAPACITY 65536) -> lb :: FlowLoadBalancer(DST 10.0.0.1)
       -> both :: FlowLoadBalancer(DST 10.0.0.2) -> ToDPDKDevice(0);
cls[1] -> stray :: FlowLoadBalancer(DST 10.0.0.3) -> both;
