//! Cryptography for jianfu behind small traits: Signer (SM2), Hasher (SM3), field encryption (SM4).
//!
//! Empty on purpose: the security issue fills it, with known-answer self-tests.
