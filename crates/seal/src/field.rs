use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{AesGcm, KeyInit};
use sm4::Sm4;

use crate::SealError;

/// GCM is generic over any 128-bit block cipher; with SM4 it is the SM4-GCM of RFC 8998.
pub(crate) type Sm4Gcm = AesGcm<Sm4, U12>;

/// First byte of every sealed value, so a later format can be told apart from this one.
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// SM4 in an authenticated mode (GCM) for personal data at rest. Output = version byte || nonce ||
/// ciphertext+tag; the nonce is random per call.
///
/// Pass the record's identity (table, column, row id) as associated data, so a sealed value
/// copied into another row or column fails to decrypt instead of silently showing up there.
pub struct FieldCipher {
    aead: Sm4Gcm,
}

impl FieldCipher {
    pub fn new(key: &[u8; 16]) -> Self {
        Self {
            aead: Sm4Gcm::new(&Array::from(*key)),
        }
    }

    /// # Panics
    /// If the operating system's random source fails, since reusing a nonce would break GCM.
    pub fn encrypt(&self, plaintext: &[u8], associated_data: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("系统随机数源不可用");
        let sealed = self
            .aead
            .encrypt(
                &Array::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: associated_data,
                },
            )
            .expect("plaintext within the GCM limit of 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, sealed: &[u8], associated_data: &[u8]) -> Result<Vec<u8>, SealError> {
        let Some((&FORMAT_V1, rest)) = sealed.split_first() else {
            return Err(SealError::Decrypt);
        };
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Decrypt);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Array::try_from(nonce).map_err(|_| SealError::Decrypt)?;
        self.aead
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: associated_data,
                },
            )
            .map_err(|_| SealError::Decrypt)
    }
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(SM4-GCM)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> FieldCipher {
        FieldCipher::new(&[7u8; 16])
    }

    #[test]
    fn round_trip_with_fresh_nonces() {
        let cipher = cipher();
        let id = "120101199001011234".as_bytes();
        let a = cipher.encrypt(id, b"person:42:id_number");
        let b = cipher.encrypt(id, b"person:42:id_number");
        assert_ne!(a, b, "nonce must differ per call");
        assert_eq!(a.len(), 1 + NONCE_LEN + id.len() + TAG_LEN);
        assert_eq!(a[0], FORMAT_V1);
        assert_eq!(cipher.decrypt(&a, b"person:42:id_number").unwrap(), id);
        assert_eq!(cipher.decrypt(&b, b"person:42:id_number").unwrap(), id);

        let empty = cipher.encrypt(b"", b"");
        assert_eq!(cipher.decrypt(&empty, b"").unwrap(), b"");
    }

    #[test]
    fn tampered_ciphertext_fails() {
        let cipher = cipher();
        let sealed = cipher.encrypt(b"13800138000", b"ad");
        for index in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[index] ^= 0x01;
            assert!(
                matches!(cipher.decrypt(&tampered, b"ad"), Err(SealError::Decrypt)),
                "byte {index} flipped"
            );
        }
        assert!(cipher.decrypt(&sealed[..sealed.len() - 1], b"ad").is_err());
        assert!(
            cipher
                .decrypt(&sealed[..1 + NONCE_LEN + TAG_LEN - 1], b"ad")
                .is_err()
        );
        assert!(cipher.decrypt(&[], b"ad").is_err());
    }

    #[test]
    fn wrong_associated_data_fails() {
        let cipher = cipher();
        let sealed = cipher.encrypt(b"13800138000", b"person:1:phone");
        let err = cipher.decrypt(&sealed, b"person:2:phone").unwrap_err();
        assert_eq!(err.to_string(), "解密失败：数据已被篡改或密钥不符");
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = cipher().encrypt(b"secret", b"");
        assert!(FieldCipher::new(&[8u8; 16]).decrypt(&sealed, b"").is_err());
    }
}
