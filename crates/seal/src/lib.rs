//! Chinese commercial cryptography (商用密码) for jianfu: SM3 hashes, SM2 signatures and SM4-GCM
//! field encryption, as 等保 level 3 (GB/T 22239) expects of a government system, plus Ed25519
//! where interoperability needs it.
//!
//! Signing sits behind the [`Signer`] trait so that the software keys in the key file can later
//! be replaced by a certified hardware crypto module (密码模块) without touching callers.
//! [`self_test`] runs the standards' known-answer tests; run it at startup.

mod error;
mod field;
mod hash;
mod keyring;
mod selftest;
mod sign;

pub use error::SealError;
pub use field::FieldCipher;
pub use hash::{Sm3Hasher, hmac_sm3, sm3};
pub use keyring::KeyRing;
pub use selftest::self_test;
pub use sign::{Algorithm, PublicKey, SM2_ID, Signer, SoftwareKey};

/// Masks a Chinese resident identity number for display: keep the first 6 and last 4 characters,
/// `*` in between (18 chars → 6 + 8 stars + 4); anything shorter than 10 characters → all stars
/// of the same length.
pub fn mask_id_number(id: &str) -> String {
    let len = id.chars().count();
    if len < 10 {
        return "*".repeat(len);
    }
    id.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= len - 4 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_id_numbers() {
        assert_eq!(mask_id_number("120101199001011234"), "120101********1234");
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        // First-generation 15-digit numbers.
        assert_eq!(mask_id_number("120101900101123"), "120101*****1123");
        assert_eq!(mask_id_number("1234567890"), "1234567890");
        assert_eq!(mask_id_number("123456789"), "*********");
        assert_eq!(mask_id_number("证件号"), "***");
        assert_eq!(mask_id_number(""), "");
    }
}
