//! `UserScramCredentialRecord` (apiKey 11) and `RemoveUserScramCredentialRecord` (apiKey 22).
//!
//! Schemas: Kafka `metadata/src/main/resources/common/metadata/UserScramCredentialRecord.json`
//! (`"validVersions": "0"`, `"flexibleVersions": "0+"`: Name string, Mechanism int8, Salt bytes,
//! StoredKey bytes, ServerKey bytes, Iterations int32 — the KIP-554 layout Kafka 3.5+ writes from
//! `ScramControlManager.finishUpsertion`) and `RemoveUserScramCredentialRecord.json` (Name
//! string, Mechanism int8). The password itself, and the salted password the client sends, are
//! never stored: only RFC 5802's StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
//! ServerKey = HMAC(SaltedPassword, "Server Key").

use super::RecordDecodeError;
use super::codec::{Reader, Writer};

/// A user's SCRAM credential for one mechanism was created or replaced.
#[derive(Clone, PartialEq, Eq)]
pub struct UserScramCredentialRecord {
    /// `Name`: the user name.
    pub name: String,
    /// `Mechanism`: 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512 (Kafka `ScramMechanism.type`).
    pub mechanism: i8,
    /// `Salt`: the client-generated salt.
    pub salt: Vec<u8>,
    /// `StoredKey`: H(ClientKey).
    pub stored_key: Vec<u8>,
    /// `ServerKey`: HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
    /// `Iterations`: the PBKDF2 iteration count.
    pub iterations: i32,
}

impl std::fmt::Debug for UserScramCredentialRecord {
    /// Key material stays out of logs (as Kafka's `ScramCredentialValue.toString` hides it).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserScramCredentialRecord")
            .field("name", &self.name)
            .field("mechanism", &self.mechanism)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl UserScramCredentialRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.compact_string(&self.name);
        writer.i8(self.mechanism);
        writer.compact_bytes(&self.salt);
        writer.compact_bytes(&self.stored_key);
        writer.compact_bytes(&self.server_key);
        writer.i32(self.iterations);
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let name = reader.compact_string("Name")?;
        let mechanism = reader.i8("Mechanism")?;
        let salt = reader.compact_bytes("Salt")?;
        let stored_key = reader.compact_bytes("StoredKey")?;
        let server_key = reader.compact_bytes("ServerKey")?;
        let iterations = reader.i32("Iterations")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self {
            name,
            mechanism,
            salt,
            stored_key,
            server_key,
            iterations,
        })
    }
}

/// A user's SCRAM credential for one mechanism was deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveUserScramCredentialRecord {
    /// `Name`: the user name.
    pub name: String,
    /// `Mechanism`: see [`UserScramCredentialRecord::mechanism`].
    pub mechanism: i8,
}

impl RemoveUserScramCredentialRecord {
    pub(super) fn write(&self, writer: &mut Writer) {
        writer.compact_string(&self.name);
        writer.i8(self.mechanism);
        writer.tagged_fields(&[]);
    }

    pub(super) fn read(reader: &mut Reader<'_>) -> Result<Self, RecordDecodeError> {
        let name = reader.compact_string("Name")?;
        let mechanism = reader.i8("Mechanism")?;
        reader.tagged_fields(|_, _| Ok(()))?;
        Ok(Self { name, mechanism })
    }
}
