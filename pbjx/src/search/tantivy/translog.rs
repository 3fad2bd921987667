//! The write-ahead log (translog) of the embedded event search.
//!
//! A tantivy commit writes a segment (term dictionaries, postings, stored fields) and flushes
//! several files; doing one per `index_events` call made every small batch pay for a segment
//! and for merging it again later. Like Elasticsearch's translog, each call is instead made
//! durable by one appended, flushed record here; the index commits every
//! [`super::TantivyOptions::commit_every_docs`] documents, before a search that would miss
//! a write, on `force_merge` and on drop, and the log is emptied after each commit. Opening an
//! index replays whatever the log still holds (replaying is idempotent: indexing replaces by
//! key, deleting twice is harmless), so an acknowledged write survives a crash.
//!
//! The format is our own because it is tiny and the events are already pbj JSON: records of
//! `payload length (u32 LE) | CRC-32 of the payload (u32 LE) | payload`; a payload is
//! `kind (1 byte: b'i' index, b'd' delete) | tenant | count (u32 LE) | items`, every string a
//! `u32 LE` length and its UTF-8 bytes, items being events as pbj JSON or event ids. The last
//! record cut short or failing its CRC is cut off: a crash during an append leaves such a
//! tail, and that write was never acknowledged. A bad record with records after it is damage
//! to acknowledged writes: opening fails (`InvalidData`) instead of dropping them.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The file name of the log in the index folder.
pub(crate) const FILE_NAME: &str = "pbjx-translog";

/// One logged write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    /// Index (replace) events, given as pbj JSON.
    Index { tenant: String, events: Vec<String> },
    /// Delete events by id.
    Delete {
        tenant: String,
        event_ids: Vec<String>,
    },
}

/// The open log.
#[derive(Debug)]
pub(crate) struct Translog {
    file: File,
    path: PathBuf,
    /// Bytes of whole records.
    len: u64,
    /// The record being written, kept between appends (batches are often hundreds of KiB).
    buffer: Vec<u8>,
}

impl Translog {
    /// Opens (creating) the log in `folder`; returns it with the operations it holds. A torn
    /// tail is cut off; a damaged record before the tail is an `InvalidData` error.
    pub(crate) fn open(folder: &Path) -> io::Result<(Self, Vec<Op>)> {
        let path = folder.join(FILE_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (ops, len) = decode(&bytes).map_err(|at| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the record at byte {at} of {} is damaged and writes follow it",
                    path.display()
                ),
            )
        })?;
        if len < bytes.len() as u64 {
            file.set_len(len)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::Start(len))?;
        Ok((
            Self {
                file,
                path,
                len,
                buffer: Vec::new(),
            },
            ops,
        ))
    }

    /// The path of the log file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `op` and flushes it to the disk; returns the record's size. On failure the
    /// log is as it was.
    pub(crate) fn append(&mut self, op: &Op) -> io::Result<u64> {
        encode(op, &mut self.buffer)?;
        let written = self
            .file
            .write_all(&self.buffer)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                let size = self.buffer.len() as u64;
                self.len += size;
                Ok(size)
            }
            Err(e) => {
                // Best effort: a tail that stays is cut off (CRC) or replayed harmlessly.
                let _ = self.truncate_to(self.len);
                Err(e)
            }
        }
    }

    /// The operations the log holds (read again from the disk).
    pub(crate) fn read_all(&mut self) -> io::Result<Vec<Op>> {
        let mut bytes = Vec::with_capacity(self.len as usize);
        self.file.seek(SeekFrom::Start(0))?;
        (&mut self.file).take(self.len).read_to_end(&mut bytes)?;
        self.file.seek(SeekFrom::Start(self.len))?;
        decode(&bytes).map(|(ops, _)| ops).map_err(|at| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("damaged record at byte {at}"),
            )
        })
    }

    /// Removes the last record, `bytes` long (a write that failed after it was logged).
    pub(crate) fn remove_last(&mut self, bytes: u64) -> io::Result<()> {
        self.truncate_to(self.len.saturating_sub(bytes))
    }

    /// The size of the log in bytes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Empties the log (after a commit made every record durable in the index).
    pub(crate) fn clear(&mut self) -> io::Result<()> {
        self.truncate_to(0)
    }

    fn truncate_to(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_data()?;
        self.file.seek(SeekFrom::Start(len))?;
        self.len = len;
        Ok(())
    }
}

/// Writes the record of `op` into `record`.
fn encode(op: &Op, record: &mut Vec<u8>) -> io::Result<()> {
    let (kind, tenant, items) = match op {
        Op::Index { tenant, events } => (b'i', tenant, events),
        Op::Delete { tenant, event_ids } => (b'd', tenant, event_ids),
    };
    let size = 1 + 4 + tenant.len() + 4 + items.iter().map(|s| 4 + s.len()).sum::<usize>();
    let too_large = || io::Error::new(io::ErrorKind::InvalidInput, "a write over 4 GiB");
    record.clear();
    record.reserve(8 + size);
    record.extend_from_slice(&u32::try_from(size).map_err(|_| too_large())?.to_le_bytes());
    record.extend_from_slice(&[0; 4]);
    record.push(kind);
    put_str(record, tenant);
    record.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for item in items {
        put_str(record, item);
    }
    let crc = crc32fast::hash(&record[8..]);
    record[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Strings of an op are below the op's size, checked to fit a u32 by `encode`.
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The operations of the whole records of `bytes` and their length (a torn tail left out);
/// `Err(offset)` when a bad record has bytes after it.
fn decode(bytes: &[u8]) -> Result<(Vec<Op>, u64), usize> {
    let mut ops = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        match record_at(bytes, at) {
            Some((op, next)) => {
                ops.push(op);
                at = next;
            }
            None => {
                let claimed = u32_at(bytes, at).map_or(usize::MAX, |size| {
                    at.saturating_add(8).saturating_add(size as usize)
                });
                if claimed < bytes.len() {
                    return Err(at);
                }
                break;
            }
        }
    }
    Ok((ops, at as u64))
}

/// The record at `at` and the offset after it, `None` if it is cut short or corrupt.
fn record_at(bytes: &[u8], at: usize) -> Option<(Op, usize)> {
    let size = u32_at(bytes, at)? as usize;
    let crc = u32_at(bytes, at + 4)?;
    let payload = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let mut reader = Reader {
        bytes: payload,
        at: 1,
    };
    let tenant = reader.string()?;
    let count = reader.u32()? as usize;
    let items = (0..count)
        .map(|_| reader.string())
        .collect::<Option<Vec<_>>>()?;
    let op = match payload.first()? {
        b'i' => Op::Index {
            tenant,
            events: items,
        },
        b'd' => Op::Delete {
            tenant,
            event_ids: items,
        },
        _ => return None,
    };
    Some((op, at + 8 + size))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Option<u32> {
        let n = u32_at(self.bytes, self.at)?;
        self.at += 4;
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        let bytes = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        String::from_utf8(bytes.to_vec()).ok()
    }
}

/// Flips a payload byte of the first record of the log at `path` (its CRC then fails);
/// returns the damaged bytes.
#[cfg(test)]
pub(crate) fn damage_first_record(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[12] ^= 0xff;
    std::fs::write(path, &bytes).unwrap();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pbjx-translog-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Appends `ops` to the log in `dir` and closes it.
    fn log_holding(dir: &Path, ops: &[Op]) {
        let (mut log, _) = Translog::open(dir).unwrap();
        for op in ops {
            log.append(op).unwrap();
        }
    }

    fn ops() -> Vec<Op> {
        vec![
            Op::Index {
                tenant: "acme".into(),
                events: vec![r#"{"a":"é"}"#.into(), "{}".into()],
            },
            Op::Delete {
                tenant: String::new(),
                event_ids: vec!["x".into()],
            },
        ]
    }

    #[test]
    fn appended_operations_are_read_back_in_order_until_cleared() {
        let dir = folder("roundtrip");
        let (log, found) = Translog::open(&dir).unwrap();
        assert!(found.is_empty() && log.len() == 0);
        drop(log);
        log_holding(&dir, &ops());
        let (mut log, found) = Translog::open(&dir).unwrap();
        assert_eq!(found, ops());
        log.clear().unwrap();
        drop(log);
        assert!(Translog::open(&dir).unwrap().1.is_empty());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_torn_or_corrupt_tail_is_cut_off_and_the_records_before_it_are_kept() {
        let dir = folder("torn");
        let (mut log, _) = Translog::open(&dir).unwrap();
        let all = ops();
        log.append(&all[0]).unwrap();
        let whole = log.len();
        log.append(&all[1]).unwrap();
        drop(log);
        let path = dir.join(FILE_NAME);
        let bytes = std::fs::read(&path).unwrap();
        // Cut inside the second record.
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let (log, found) = Translog::open(&dir).unwrap();
        assert_eq!(found, all[..1]);
        assert_eq!(log.len(), whole);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
        drop(log);
        // A flipped byte in the last record: its CRC fails, it is cut off.
        damage_first_record(&path);
        assert!(Translog::open(&dir).unwrap().1.is_empty());
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_damaged_record_followed_by_others_fails_to_open_instead_of_dropping_them() {
        let dir = folder("damaged");
        log_holding(&dir, &ops());
        let path = dir.join(FILE_NAME);
        let bytes = damage_first_record(&path);
        let err = Translog::open(&dir).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("byte 0"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing is cut");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_last_record_can_be_taken_back() {
        let dir = folder("take-back");
        let (mut log, _) = Translog::open(&dir).unwrap();
        let all = ops();
        log.append(&all[0]).unwrap();
        let size = log.append(&all[1]).unwrap();
        log.remove_last(size).unwrap();
        log.append(&all[0]).unwrap();
        drop(log);
        assert_eq!(Translog::open(&dir).unwrap().1, vec![all[0].clone(); 2]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
