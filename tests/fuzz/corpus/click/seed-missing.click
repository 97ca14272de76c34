// An element the attributes do not know, and one whose analysis was unsure.
fd :: FromDPDKDevice(0, N_QUEUES 4);
fd -> mystery :: MysteryNF(1, 2) -> dedup :: Deduplicator
   -> src :: SourceCounter -> ToDPDKDevice(0);
