//! Secrets: API tokens and charger passwords are stored only as SHA-256 digests.
//!
//! API tokens are 256-bit random values, so a plain digest is enough (no salt or slow hash is
//! needed for a secret nobody chose). Charger passwords are salted with the charger's uuid.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The prefix of every Voltgate API token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "vg_";

/// A new random API token (shown to its owner once).
pub fn generate_token() -> String {
    let a = Uuid::new_v4().simple().to_string();
    let b = Uuid::new_v4().simple().to_string();
    format!("{TOKEN_PREFIX}{a}{b}")
}

/// The digest stored for an API token.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The digest stored for a charger's OCPP Basic-auth password.
pub fn hash_charger_password(charger_uuid: Uuid, password: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(charger_uuid.as_bytes());
    hasher.update(password.as_bytes());
    hex(&hasher.finalize())
}

/// Compares a presented password with the stored digest in constant time.
pub fn verify_charger_password(charger_uuid: Uuid, password: &str, stored: &str) -> bool {
    let computed = hash_charger_password(charger_uuid, password);
    computed.len() == stored.len()
        && computed
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A random numeric pincode used to attach a charger to a site.
pub fn generate_pincode() -> String {
    let n = Uuid::new_v4().as_u128() % 1_000_000;
    format!("{n:06}")
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_stably() {
        let t1 = generate_token();
        let t2 = generate_token();
        assert_ne!(t1, t2);
        assert!(t1.starts_with("vg_") && t1.len() == 67);
        assert_eq!(hash_token(&t1), hash_token(&t1));
        assert_eq!(hash_token(&t1).len(), 64);
        assert_ne!(hash_token(&t1), hash_token(&t2));
    }

    #[test]
    fn charger_password_is_salted_with_the_uuid() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let stored = hash_charger_password(a, "secret");
        assert!(verify_charger_password(a, "secret", &stored));
        assert!(!verify_charger_password(a, "Secret", &stored));
        assert!(!verify_charger_password(b, "secret", &stored));
    }

    #[test]
    fn pincode_has_six_digits() {
        let p = generate_pincode();
        assert_eq!(p.len(), 6);
        assert!(p.chars().all(|c| c.is_ascii_digit()));
    }
}
