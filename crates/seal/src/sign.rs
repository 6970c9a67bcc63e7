use std::fmt;
use std::str::FromStr;

use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::elliptic_curve::Generate as _;

use crate::{SealError, sm3};

/// The distinguishing ID hashed into every SM2 signature: the GM/T 0009 default, so that other
/// SM2 tools verify our signatures without extra configuration.
pub const SM2_ID: &str = "1234567812345678";

/// Signature algorithms a key can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// SM2 (GB/T 32918) with SM3 and [`SM2_ID`]; the default, as 等保 expects commercial crypto.
    Sm2,
    /// Ed25519 (RFC 8032), for deployments that must interoperate outside the GM suite.
    Ed25519,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sm2 => "sm2",
            Algorithm::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = SealError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sm2" => Ok(Algorithm::Sm2),
            "ed25519" => Ok(Algorithm::Ed25519),
            _ => Err(SealError::UnknownAlgorithm(s.to_owned())),
        }
    }
}

/// Something that signs. The software key below implements it; a hardware crypto module can later.
///
/// Signatures are 64 bytes: `r ‖ s` big-endian for SM2 (the raw GM/T 0009 form, not DER), and
/// the RFC 8032 encoding for Ed25519.
pub trait Signer: Send + Sync {
    fn key_id(&self) -> &str;
    fn algorithm(&self) -> Algorithm;
    fn sign(&self, message: &[u8]) -> Vec<u8>;
    fn public_key(&self) -> PublicKey;
}

/// A public key that verifies; kept for retired keys too.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicKey {
    pub key_id: String,
    pub algorithm: Algorithm,
    /// Hex of the uncompressed SEC1 point (SM2, 65 bytes) or of the 32-byte Ed25519 key.
    pub public_hex: String,
}

impl PublicKey {
    /// True only for a well-formed signature by this key over exactly `message`; a malformed key
    /// or signature is simply "not verified".
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(public) = hex::decode(&self.public_hex) else {
            return false;
        };
        match self.algorithm {
            Algorithm::Sm2 => {
                let Ok(key) = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_ID, &public) else {
                    return false;
                };
                let Ok(signature) = sm2::dsa::Signature::from_slice(signature) else {
                    return false;
                };
                key.verify(message, &signature).is_ok()
            }
            Algorithm::Ed25519 => {
                let Ok(public) = <[u8; 32]>::try_from(public.as_slice()) else {
                    return false;
                };
                let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&public) else {
                    return false;
                };
                let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
                    return false;
                };
                // Strict: rejects weak keys and malleable signatures that plain `verify` admits.
                key.verify_strict(message, &signature).is_ok()
            }
        }
    }

    /// The public key of the given encoded form, with its derived key id.
    pub(crate) fn from_bytes(algorithm: Algorithm, public: &[u8]) -> Self {
        Self {
            key_id: key_id_for(public),
            algorithm,
            public_hex: hex::encode(public),
        }
    }

    /// Whether the key decodes and its id is the one derived from it (catches edited key files).
    pub(crate) fn is_well_formed(&self) -> bool {
        let Ok(public) = hex::decode(&self.public_hex) else {
            return false;
        };
        let decodes = match self.algorithm {
            Algorithm::Sm2 => sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_ID, &public).is_ok(),
            Algorithm::Ed25519 => <[u8; 32]>::try_from(public.as_slice())
                .is_ok_and(|bytes| ed25519_dalek::VerifyingKey::from_bytes(&bytes).is_ok()),
        };
        decodes && self.key_id == key_id_for(&public)
    }
}

/// Short, stable id for a public key: the first 8 bytes of its SM3 digest, in hex.
fn key_id_for(public: &[u8]) -> String {
    hex::encode(&sm3(public)[..8])
}

/// A signing key held in process memory, loaded from the key file.
pub struct SoftwareKey {
    public: PublicKey,
    secret: SecretKey,
}

enum SecretKey {
    Sm2(sm2::dsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl SoftwareKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(algorithm: Algorithm) -> Result<Self, SealError> {
        let secret = match algorithm {
            Algorithm::Sm2 => {
                let scalar = sm2::NonZeroScalar::try_generate()
                    .map_err(|e| SealError::Random(e.to_string()))?;
                let key = sm2::dsa::SigningKey::from_nonzero_scalar(SM2_ID, scalar)
                    .expect("SM2_ID is short enough for ENTL");
                SecretKey::Sm2(key)
            }
            Algorithm::Ed25519 => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| SealError::Random(e.to_string()))?;
                SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
        };
        Ok(Self::from_secret(algorithm, secret))
    }

    /// Rebuilds a key from its stored secret (SM2 scalar or Ed25519 seed); `None` if invalid.
    pub(crate) fn from_secret_bytes(algorithm: Algorithm, bytes: &[u8]) -> Option<Self> {
        let secret = match algorithm {
            Algorithm::Sm2 => SecretKey::Sm2(sm2::dsa::SigningKey::from_slice(SM2_ID, bytes).ok()?),
            Algorithm::Ed25519 => SecretKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
                &<[u8; 32]>::try_from(bytes).ok()?,
            )),
        };
        Some(Self::from_secret(algorithm, secret))
    }

    fn from_secret(algorithm: Algorithm, secret: SecretKey) -> Self {
        let public = match &secret {
            SecretKey::Sm2(key) => {
                PublicKey::from_bytes(algorithm, &key.verifying_key().to_sec1_bytes())
            }
            SecretKey::Ed25519(key) => {
                PublicKey::from_bytes(algorithm, key.verifying_key().as_bytes())
            }
        };
        Self { public, secret }
    }

    /// The secret in its stored form, for writing the key file.
    pub(crate) fn secret_bytes(&self) -> Vec<u8> {
        match &self.secret {
            SecretKey::Sm2(key) => key.to_bytes().to_vec(),
            SecretKey::Ed25519(key) => key.to_bytes().to_vec(),
        }
    }
}

impl Signer for SoftwareKey {
    fn key_id(&self) -> &str {
        &self.public.key_id
    }

    fn algorithm(&self) -> Algorithm {
        self.public.algorithm
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.secret {
            SecretKey::Sm2(key) => {
                let signature: sm2::dsa::Signature = key.sign(message);
                signature.to_vec()
            }
            SecretKey::Ed25519(key) => ed25519_dalek::Signer::sign(key, message)
                .to_bytes()
                .to_vec(),
        }
    }

    fn public_key(&self) -> PublicKey {
        self.public.clone()
    }
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("key_id", &self.public.key_id)
            .field("algorithm", &self.public.algorithm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(algorithm: Algorithm) {
        let key = SoftwareKey::generate(algorithm).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        let public = key.public_key();
        assert_eq!(public.key_id, key.key_id());
        assert_eq!(public.key_id.len(), 16);
        assert!(public.is_well_formed());

        let message = "审批意见：同意".as_bytes();
        let signature = key.sign(message);
        assert_eq!(signature.len(), 64);
        assert!(public.verify(message, &signature));
        assert!(!public.verify(b"another message", &signature));

        for bit in [0, 7, 255, 511] {
            let mut flipped = signature.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(!public.verify(message, &flipped), "bit {bit} flipped");
        }
        assert!(!public.verify(message, &signature[..63]));

        let other = SoftwareKey::generate(algorithm).unwrap().public_key();
        assert_ne!(other.key_id, public.key_id);
        assert!(!other.verify(message, &signature));

        let restored = SoftwareKey::from_secret_bytes(algorithm, &key.secret_bytes()).unwrap();
        assert_eq!(restored.public_key(), public);
    }

    #[test]
    fn sm2_sign_verify() {
        round_trip(Algorithm::Sm2);
        let public = SoftwareKey::generate(Algorithm::Sm2).unwrap().public_key();
        // Uncompressed SEC1 point, as other SM2 tools expect.
        assert!(public.public_hex.starts_with("04"));
        assert_eq!(public.public_hex.len(), 130);
    }

    #[test]
    fn ed25519_sign_verify() {
        round_trip(Algorithm::Ed25519);
    }

    #[test]
    fn algorithm_names() {
        for algorithm in [Algorithm::Sm2, Algorithm::Ed25519] {
            assert_eq!(algorithm.as_str().parse::<Algorithm>().unwrap(), algorithm);
            assert_eq!(
                serde_json::to_string(&algorithm).unwrap(),
                format!("\"{}\"", algorithm.as_str())
            );
        }
        assert!(matches!(
            "rsa".parse::<Algorithm>(),
            Err(SealError::UnknownAlgorithm(name)) if name == "rsa"
        ));
    }

    #[test]
    fn malformed_public_key_does_not_verify() {
        let key = SoftwareKey::generate(Algorithm::Sm2).unwrap();
        let signature = key.sign(b"m");
        let mut public = key.public_key();
        public.public_hex.replace_range(0..2, "zz");
        assert!(!public.verify(b"m", &signature));
        assert!(!public.is_well_formed());

        let mut renamed = key.public_key();
        renamed.key_id = "0000000000000000".into();
        assert!(!renamed.is_well_formed());
    }
}
