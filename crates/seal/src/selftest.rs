//! Known-answer tests from the published standards. A 等保 level 3 system must show that its
//! crypto works before using it, so the binary runs these at startup and refuses to serve on
//! failure; the unit tests run them too.

use aes_gcm::aead::{Aead, Payload};
use sm4::cipher::{BlockCipherEncrypt, KeyInit};

use crate::field::Sm4Gcm;
use crate::sign::SoftwareKey;
use crate::{Algorithm, FieldCipher, PublicKey, SM2_ID, SealError, Signer, sm3};

/// GB/T 32918.5-2017 Annex A (= GM/T 0003.5-2012 Annex A) signature example on the recommended
/// curve: user ID "1234567812345678" (the GM/T 0009 default, our [`SM2_ID`]), message
/// "message digest". The private key is kept to check that it yields the published public key.
const SM2_PRIVATE: &str = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
const SM2_PUBLIC: &str = concat!(
    "04",
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020",
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13",
);
const SM2_MESSAGE: &[u8] = b"message digest";
const SM2_SIGNATURE: &str = concat!(
    "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3",
    "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa",
);

/// RFC 8032 section 7.1, TEST 1 (empty message).
const ED25519_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const ED25519_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const ED25519_SIGNATURE: &str = concat!(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
);

/// Known-answer self-tests, run at startup and in tests.
pub fn self_test() -> Result<(), SealError> {
    check("SM3", sm3_kat())?;
    check("SM4", sm4_kat())?;
    check("SM4-GCM", sm4_gcm_kat())?;
    check("SM4-GCM 加解密往返", field_cipher_round_trip())?;
    check("SM2 标准签名验证", sm2_kat())?;
    check("SM2 签名验签往返", sign_round_trip(Algorithm::Sm2))?;
    check("Ed25519", ed25519_kat())?;
    check("Ed25519 签名验签往返", sign_round_trip(Algorithm::Ed25519))?;
    Ok(())
}

fn check(which: &'static str, passed: bool) -> Result<(), SealError> {
    if passed {
        Ok(())
    } else {
        Err(SealError::SelfTest(which))
    }
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("test vector is valid hex")
}

/// GB/T 32905-2016 Annex A, examples 1 and 2.
fn sm3_kat() -> bool {
    sm3(b"abc")[..] == unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        && sm3(&b"abcd".repeat(16))[..]
            == unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
}

/// GB/T 32907-2016 Annex A, example 1 (key = plaintext).
fn sm4_kat() -> bool {
    let key = unhex("0123456789abcdeffedcba9876543210");
    let Ok(cipher) = sm4::Sm4::new_from_slice(&key) else {
        return false;
    };
    let mut block = sm4::cipher::Block::<sm4::Sm4>::try_from(key.as_slice()).expect("16 bytes");
    cipher.encrypt_block(&mut block);
    block[..] == unhex("681edf34d206965e86b3e94f536e4246")
}

/// RFC 8998 Appendix A.1: SM4-GCM with a fixed nonce, checks the mode and not only the cipher.
fn sm4_gcm_kat() -> bool {
    let key = unhex("0123456789abcdeffedcba9876543210");
    let nonce = unhex("00001234567800000000abcd");
    let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let plaintext = unhex(concat!(
        "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd",
        "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
    ));
    let expected = unhex(concat!(
        "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735",
        "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
        "83de3541e4c2b58177e065a9bf7b62ec",
    ));
    let Ok(aead) = Sm4Gcm::new_from_slice(&key) else {
        return false;
    };
    let nonce = nonce.as_slice().try_into().expect("12 bytes");
    let sealed = aead.encrypt(
        &nonce,
        Payload {
            msg: &plaintext,
            aad: &aad,
        },
    );
    let opened = aead.decrypt(
        &nonce,
        Payload {
            msg: &expected,
            aad: &aad,
        },
    );
    sealed.is_ok_and(|c| c == expected) && opened.is_ok_and(|p| p == plaintext)
}

fn field_cipher_round_trip() -> bool {
    let mut key = [0u8; 16];
    if getrandom::fill(&mut key).is_err() {
        return false;
    }
    let cipher = FieldCipher::new(&key);
    let sealed = cipher.encrypt(b"self-test", b"ad");
    cipher
        .decrypt(&sealed, b"ad")
        .is_ok_and(|p| p == b"self-test")
        && cipher.decrypt(&sealed, b"other").is_err()
}

/// Verifies the standard's own signature through [`PublicKey::verify`], the path every caller
/// uses, so a wrong distinguishing ID or signature encoding fails here.
fn sm2_kat() -> bool {
    let derived = sm2::dsa::SigningKey::from_slice(SM2_ID, &unhex(SM2_PRIVATE))
        .is_ok_and(|key| key.verifying_key().to_sec1_bytes()[..] == unhex(SM2_PUBLIC));
    let public = PublicKey::from_bytes(Algorithm::Sm2, &unhex(SM2_PUBLIC));
    let signature = unhex(SM2_SIGNATURE);
    let mut wrong = signature.clone();
    wrong[63] ^= 1;
    derived
        && public.verify(SM2_MESSAGE, &signature)
        && !public.verify(b"message digesT", &signature)
        && !public.verify(SM2_MESSAGE, &wrong)
}

/// Ed25519 signatures are deterministic, so signing must reproduce the RFC's bytes exactly.
fn ed25519_kat() -> bool {
    let Some(key) = SoftwareKey::from_secret_bytes(Algorithm::Ed25519, &unhex(ED25519_SECRET))
    else {
        return false;
    };
    let public = key.public_key();
    let signature = key.sign(b"");
    public.public_hex == ED25519_PUBLIC
        && signature == unhex(ED25519_SIGNATURE)
        && public.verify(b"", &signature)
        && !public.verify(b"x", &signature)
}

fn sign_round_trip(algorithm: Algorithm) -> bool {
    let Ok(key) = SoftwareKey::generate(algorithm) else {
        return false;
    };
    let public = key.public_key();
    let signature = key.sign(b"self-test");
    public.verify(b"self-test", &signature) && !public.verify(b"self-tesT", &signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_self_tests_pass() {
        self_test().unwrap();
    }

    #[test]
    fn each_known_answer_test_passes() {
        assert!(sm3_kat());
        assert!(sm4_kat());
        assert!(sm4_gcm_kat());
        assert!(sm2_kat());
        assert!(ed25519_kat());
    }

    /// The SM2 vector only verifies with the right distinguishing ID, which proves that ID is
    /// actually hashed in (ZA) and that ours is the GM/T 0009 default.
    #[test]
    fn sm2_vector_needs_the_default_id() {
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes("ALICE123@YAHOO.COM", &unhex(SM2_PUBLIC))
            .unwrap();
        let signature = sm2::dsa::Signature::from_slice(&unhex(SM2_SIGNATURE)).unwrap();
        use sm2::dsa::signature::Verifier;
        assert!(key.verify(SM2_MESSAGE, &signature).is_err());
    }

    #[test]
    fn failure_names_the_algorithm() {
        assert_eq!(
            check("SM3", false).unwrap_err().to_string(),
            "密码算法自检失败：SM3"
        );
    }
}
