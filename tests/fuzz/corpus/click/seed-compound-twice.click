// The same elementclass declares both devices: one declaration backs two
// FromDPDKDevice elements, so both get one setting, written once, and one
// rules file (FastClick installs it on each device's own port).
elementclass Port { $p | FromDPDKDevice($p, N_QUEUES 4) -> output }

Port(0) -> scan0 :: PortScanDetector -> ToDPDKDevice(1);
Port(1) -> scan1 :: PortScanDetector -> ToDPDKDevice(0);
