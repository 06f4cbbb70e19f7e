//! RVM log devices and RDS data segments, byte-compatible with Coda's `rvmutl` and `rdsinit`.
