//! fjord-common
