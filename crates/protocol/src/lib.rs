//! fjord-protocol
