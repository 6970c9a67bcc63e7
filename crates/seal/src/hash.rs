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
