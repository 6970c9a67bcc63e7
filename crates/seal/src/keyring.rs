use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Algorithm, FieldCipher, PublicKey, SealError, Signer, SoftwareKey};

/// Bumped when the layout changes incompatibly, so old binaries refuse new files.
const KEY_FILE_FORMAT: u32 = 1;

/// The key file as stored (JSON). Secrets are hex so the file can be inspected and backed up as
/// text; it lives outside the database so a database dump never carries the keys.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeyFile {
    format: u32,
    current: CurrentKey,
    /// Public halves of rotated-out keys, oldest first, so old signatures stay verifiable.
    #[serde(default)]
    retired: Vec<PublicKey>,
    /// Never rotated: every encrypted field in the database depends on it.
    field_key_hex: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CurrentKey {
    key_id: String,
    algorithm: Algorithm,
    public_hex: String,
    private_hex: String,
}

impl KeyFile {
    fn new(signer: &SoftwareKey, retired: Vec<PublicKey>, field_key_hex: String) -> Self {
        let public = signer.public_key();
        Self {
            format: KEY_FILE_FORMAT,
            current: CurrentKey {
                key_id: public.key_id,
                algorithm: public.algorithm,
                public_hex: public.public_hex,
                private_hex: hex::encode(signer.secret_bytes()),
            },
            retired,
            field_key_hex,
        }
    }
}

/// The keys of one deployment, in a key file OUTSIDE the database: a JSON file with the current
/// signing key (SM2 by default; private key hex), retired public keys (for verifying old
/// signatures), and the SM4 field key. Created with permissions 0600 (Unix) on first use.
pub struct KeyRing {
    signer: SoftwareKey,
    retired: Vec<PublicKey>,
    current: PublicKey,
    field_cipher: FieldCipher,
    /// Derived from the field key, so no new secret has to be kept: keys MAC values (a
    /// certificate's verification tag, an identity number's digest) that must not be guessable
    /// from the data alone.
    mac_root: [u8; 32],
}

impl KeyRing {
    /// Loads the key file, or creates it (and its folder) with a fresh SM2 key and SM4 key when
    /// missing. Refuses (error) a key file whose permissions allow group/other access, and a
    /// corrupt file.
    pub fn load_or_create(path: &Path) -> Result<KeyRing, SealError> {
        match read_key_file(path) {
            Ok(file) => KeyRing::from_file(path, &file),
            Err(SealError::Missing { .. }) => {
                let signer = SoftwareKey::generate(Algorithm::Sm2)?;
                let mut field_key = [0u8; 16];
                getrandom::fill(&mut field_key).map_err(|e| SealError::Random(e.to_string()))?;
                let file = KeyFile::new(&signer, Vec::new(), hex::encode(field_key));
                if write_new(path, &file)? {
                    KeyRing::from_file(path, &file)
                } else {
                    // Another process created the file first; use its keys, not ours.
                    KeyRing::from_file(path, &read_key_file(path)?)
                }
            }
            Err(err) => Err(err),
        }
    }

    /// Creates a new current signing key (same algorithm unless given), moves the old public key
    /// to the retired list, writes the file atomically (write temp + rename, 0600), returns the
    /// new key id. The SM4 field key is NOT rotated (data encrypted with it must stay readable).
    ///
    /// The file must already exist: rotating a key nobody has used yet is almost surely a wrong
    /// path. Run one rotation at a time; two at once could lose a retired key.
    pub fn rotate(path: &Path, algorithm: Option<Algorithm>) -> Result<String, SealError> {
        let file = read_key_file(path)?;
        let ring = KeyRing::from_file(path, &file)?;
        let signer = SoftwareKey::generate(algorithm.unwrap_or(ring.current.algorithm))?;
        let mut retired = ring.retired;
        retired.push(ring.current);
        write_replacing(path, &KeyFile::new(&signer, retired, file.field_key_hex))?;
        Ok(signer.key_id().to_owned())
    }

    pub fn signer(&self) -> &dyn Signer {
        &self.signer
    }

    /// The current or a retired public key by id.
    pub fn public_key(&self, key_id: &str) -> Option<&PublicKey> {
        self.public_keys().find(|key| key.key_id == key_id)
    }

    /// All public keys, the current one first, then retired ones oldest first; for publishing
    /// to auditors who verify signatures independently.
    pub fn public_keys(&self) -> impl Iterator<Item = &PublicKey> {
        std::iter::once(&self.current).chain(&self.retired)
    }

    pub fn field_cipher(&self) -> &FieldCipher {
        &self.field_cipher
    }

    /// HMAC-SM3 of `data` under a key for `purpose` (each purpose its own key, all derived
    /// from the field key).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        crate::hmac_sm3(&crate::hmac_sm3(&self.mac_root, purpose.as_bytes()), data)
    }

    /// Rebuilds the keys and checks every stored derived value, so an edited file is refused.
    fn from_file(path: &Path, file: &KeyFile) -> Result<KeyRing, SealError> {
        let corrupt = |reason: String| SealError::corrupt(path, reason);
        if file.format != KEY_FILE_FORMAT {
            return Err(corrupt(format!("不支持的格式版本 {}", file.format)));
        }
        let current = &file.current;
        let signer = hex::decode(&current.private_hex)
            .ok()
            .and_then(|secret| SoftwareKey::from_secret_bytes(current.algorithm, &secret))
            .ok_or_else(|| corrupt(format!("签名密钥 {} 的私钥无效", current.key_id)))?;
        let public = signer.public_key();
        if public.key_id != current.key_id || public.public_hex != current.public_hex {
            return Err(corrupt(format!(
                "签名密钥 {} 的编号或公钥与私钥不符",
                current.key_id
            )));
        }
        if let Some(bad) = file.retired.iter().find(|key| !key.is_well_formed()) {
            return Err(corrupt(format!("已停用公钥 {} 无效", bad.key_id)));
        }
        let field_key: [u8; 16] = hex::decode(&file.field_key_hex)
            .ok()
            .and_then(|key| key.try_into().ok())
            .ok_or_else(|| corrupt("SM4 字段密钥应为 16 字节（32 个十六进制字符）".into()))?;
        Ok(KeyRing {
            signer,
            retired: file.retired.clone(),
            current: public,
            field_cipher: FieldCipher::new(&field_key),
            mac_root: crate::hmac_sm3(&field_key, b"jianfu-mac-root/1"),
        })
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("current", &self.current.key_id)
            .field("algorithm", &self.current.algorithm)
            .field(
                "retired",
                &self.retired.iter().map(|k| &k.key_id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn read_key_file(path: &Path) -> Result<KeyFile, SealError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Err(SealError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(err) => return Err(SealError::io(path, err)),
    };
    check_permissions(path, &file)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|err| SealError::io(path, err))?;
    serde_json::from_slice(&bytes)
        .map_err(|err| SealError::corrupt(path, format!("不是有效的密钥文件 JSON（{err}）")))
}

/// Checked on the opened file, not the path, so the file cannot be swapped in between.
#[cfg(unix)]
fn check_permissions(path: &Path, file: &File) -> Result<(), SealError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = file
        .metadata()
        .map_err(|err| SealError::io(path, err))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SealError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Non-Unix systems have no mode bits; there the folder's ACL must protect the file.
#[cfg(not(unix))]
fn check_permissions(_path: &Path, _file: &File) -> Result<(), SealError> {
    Ok(())
}

/// Publishes the file only if none exists yet (hard link fails on an existing name, unlike
/// rename). Returns false when another process got there first.
fn write_new(path: &Path, file: &KeyFile) -> Result<bool, SealError> {
    let temp = write_temp(path, file)?;
    let linked = fs::hard_link(&temp, path);
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            sync_parent(path)?;
            Ok(true)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(err) => Err(SealError::io(path, err)),
    }
}

/// Replaces the file atomically: readers see the old or the new keys, never half a file.
fn write_replacing(path: &Path, file: &KeyFile) -> Result<(), SealError> {
    let temp = write_temp(path, file)?;
    if let Err(err) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(SealError::io(path, err));
    }
    sync_parent(path)
}

/// Writes the whole file next to `path` (same filesystem, so it can be renamed), 0600 from the
/// moment it exists, flushed to disk.
fn write_temp(path: &Path, file: &KeyFile) -> Result<PathBuf, SealError> {
    let dir = parent_dir(path);
    create_private_dir(dir).map_err(|err| SealError::io(dir, err))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let temp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));

    let mut contents = serde_json::to_vec_pretty(file).expect("key file serializes");
    contents.push(b'\n');
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut out| {
        out.write_all(&contents)?;
        out.sync_all()
    });
    match written {
        Ok(()) => Ok(temp),
        Err(err) => {
            let _ = fs::remove_file(&temp);
            Err(SealError::io(&temp, err))
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Folders created for the key file are 0700: other users should not even list it.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the new directory entry itself durable, so a crash cannot bring back the old keys.
#[cfg(unix)]
fn sync_parent(path: &Path) -> Result<(), SealError> {
    let dir = parent_dir(path);
    File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|err| SealError::io(dir, err))
}

#[cfg(not(unix))]
fn sync_parent(_path: &Path) -> Result<(), SealError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A unique folder under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let dir = std::env::temp_dir()
                .join(format!("jianfu-seal-{name}-{}-{nanos}", std::process::id()));
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn creates_private_file_and_reloads_same_keys() {
        let dir = TempDir::new("create");
        let path = dir.0.join("etc/keys.json");
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(ring.signer().algorithm(), Algorithm::Sm2);
        let key_id = ring.signer().key_id().to_owned();
        assert_eq!(ring.public_key(&key_id), Some(&ring.signer().public_key()));
        assert_eq!(ring.public_keys().count(), 1);

        let sealed = ring
            .field_cipher()
            .encrypt("张三".as_bytes(), b"person:1:name");
        let signature = ring.signer().sign(b"record");

        let again = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(again.signer().key_id(), key_id);
        assert!(
            again
                .public_key(&key_id)
                .unwrap()
                .verify(b"record", &signature)
        );
        assert_eq!(
            again
                .field_cipher()
                .decrypt(&sealed, b"person:1:name")
                .unwrap(),
            "张三".as_bytes()
        );
        // No temp files left behind.
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn concurrent_first_use_agrees_on_one_key() {
        let dir = TempDir::new("race");
        let path = dir.0.join("keys.json");
        let ids: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        let ring = KeyRing::load_or_create(&path).unwrap();
                        ring.signer().key_id().to_owned()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
        let on_disk = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(on_disk.signer().key_id(), ids[0]);
    }

    #[test]
    fn rotate_keeps_old_signatures_and_field_key() {
        let dir = TempDir::new("rotate");
        let path = dir.0.join("keys.json");
        let ring = KeyRing::load_or_create(&path).unwrap();
        let old_id = ring.signer().key_id().to_owned();
        let old_signature = ring.signer().sign(b"2024 annual report");
        let sealed = ring.field_cipher().encrypt(b"13800138000", b"phone");

        let new_id = KeyRing::rotate(&path, None).unwrap();
        assert_ne!(new_id, old_id);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);

        let ring = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(ring.signer().key_id(), new_id);
        assert_eq!(ring.signer().algorithm(), Algorithm::Sm2);
        let old = ring.public_key(&old_id).unwrap();
        assert!(old.verify(b"2024 annual report", &old_signature));
        assert!(
            !ring
                .public_key(&new_id)
                .unwrap()
                .verify(b"2024 annual report", &old_signature)
        );
        assert_eq!(
            ring.field_cipher().decrypt(&sealed, b"phone").unwrap(),
            b"13800138000"
        );

        let ed_id = KeyRing::rotate(&path, Some(Algorithm::Ed25519)).unwrap();
        let ring = KeyRing::load_or_create(&path).unwrap();
        assert_eq!(ring.signer().algorithm(), Algorithm::Ed25519);
        assert_eq!(ring.signer().key_id(), ed_id);
        let ids: Vec<_> = ring.public_keys().map(|k| k.key_id.as_str()).collect();
        assert_eq!(ids, [ed_id.as_str(), old_id.as_str(), new_id.as_str()]);
        assert!(
            ring.public_key(&old_id)
                .unwrap()
                .verify(b"2024 annual report", &old_signature)
        );
        let signature = ring.signer().sign(b"x");
        assert!(ring.public_key(&ed_id).unwrap().verify(b"x", &signature));
    }

    #[test]
    fn rotate_needs_an_existing_file() {
        let dir = TempDir::new("rotate-missing");
        let err = KeyRing::rotate(&dir.0.join("keys.json"), None).unwrap_err();
        assert!(matches!(err, SealError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("不存在"));
    }

    #[test]
    fn refuses_group_or_world_readable_file() {
        let dir = TempDir::new("perms");
        let path = dir.0.join("keys.json");
        KeyRing::load_or_create(&path).unwrap();
        for loose in [0o644, 0o640, 0o604, 0o660] {
            fs::set_permissions(&path, fs::Permissions::from_mode(loose)).unwrap();
            let err = KeyRing::load_or_create(&path).unwrap_err();
            assert!(
                matches!(err, SealError::Permissions { mode, .. } if mode == loose),
                "{err}"
            );
            assert_eq!(
                err.to_string(),
                format!(
                    "密钥文件 {} 的权限过宽（当前为 {loose:04o}，应为 0600）",
                    path.display()
                )
            );
            assert!(matches!(
                KeyRing::rotate(&path, None),
                Err(SealError::Permissions { .. })
            ));
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        KeyRing::load_or_create(&path).unwrap();
    }

    fn write_private(path: &Path, contents: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn refuses_corrupt_file() {
        let dir = TempDir::new("corrupt");
        let path = dir.0.join("keys.json");
        write_private(&path, "{ not json");
        let err = KeyRing::load_or_create(&path).unwrap_err();
        assert!(matches!(err, SealError::Corrupt { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("密钥文件 {} 已损坏：", path.display())),
            "{err}"
        );
        // Not silently replaced by fresh keys.
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[test]
    fn refuses_edited_keys() {
        let dir = TempDir::new("edited");
        let path = dir.0.join("keys.json");
        KeyRing::load_or_create(&path).unwrap();
        KeyRing::rotate(&path, None).unwrap();
        let original: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();

        type Edit = fn(&mut serde_json::Value);
        let edits: [(&str, Edit); 5] = [
            ("private key", |v| v["current"]["private_hex"] = "00".into()),
            ("key id", |v| {
                v["current"]["key_id"] = "0123456789abcdef".into()
            }),
            ("field key", |v| v["field_key_hex"] = "abcd".into()),
            ("retired key", |v| {
                v["retired"][0]["public_hex"] = "04".into()
            }),
            ("format", |v| v["format"] = 99.into()),
        ];
        for (what, edit) in edits {
            let mut value = original.clone();
            edit(&mut value);
            write_private(&path, &value.to_string());
            let err = KeyRing::load_or_create(&path).unwrap_err();
            assert!(matches!(err, SealError::Corrupt { .. }), "{what}: {err}");
        }
    }
}
