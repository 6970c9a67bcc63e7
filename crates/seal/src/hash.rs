use sm3::{Digest, Sm3};

/// SM3 digest (GB/T 32905).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// Incremental SM3 for hashing records field by field.
///
/// Plain concatenation is ambiguous (`"ab" + "c"` hashes like `"a" + "bc"`), so callers hashing
/// variable-length fields should feed a length or a separator with each one.
#[derive(Clone, Default)]
pub struct Sm3Hasher {
    inner: Sm3,
}

impl Sm3Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub fn finalize(self) -> [u8; 32] {
        self.inner.finalize().into()
    }
}

impl std::fmt::Debug for Sm3Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm3Hasher")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // GB/T 32905-2016 Annex A, examples 1 and 2.
    #[test]
    fn sm3_standard_examples() {
        assert_eq!(
            hex::encode(sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(sm3(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn incremental_matches_one_shot() {
        let mut hasher = Sm3Hasher::new();
        for _ in 0..16 {
            hasher.update(b"ab");
            hasher.update(b"cd");
        }
        assert_eq!(hasher.finalize(), sm3(&b"abcd".repeat(16)));
        assert_eq!(Sm3Hasher::default().finalize(), sm3(b""));
    }
}

/// HMAC-SM3 (RFC 2104 over SM3, block size 64): signs outgoing webhook bodies so a
/// department's system can tell they came from us, with a secret only the two share.
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&sm3(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let mut inner = Sm3::new();
    inner.update(pad(0x36));
    inner.update(data);
    let mut outer = Sm3::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod hmac_tests {
    use super::hmac_sm3;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reference values from OpenSSL (Python's `hmac.new(key, msg, 'sm3')`).
    #[test]
    fn matches_openssl() {
        assert_eq!(
            hex(&hmac_sm3(
                b"key",
                b"The quick brown fox jumps over the lazy dog"
            )),
            "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398"
        );
        // A key longer than a block is hashed first.
        assert_eq!(
            hex(&hmac_sm3(&[b'k'; 100], b"abc")),
            "2d87dd3ffa1452e8e40d9123a02824fb7dd98ae4a52683287245f1736dc610ef"
        );
    }
}
