//! How a chunk of the OCPP message log is stored: one row of `ocpp_log_chunks` per charger and
//! write batch, up to [`FRAMES_PER_CHUNK`] frames in arrival order (migrations 9 and 10).
//!
//! Since migration 10 a chunk's frames are stored in `packed`, one LZ4 block of the binary
//! layout [`pack`] describes: a busy charger's chunk of MeterValues and their answers shrinks
//! about tenfold, and the log was most of the bytes a message wrote. Chunks written before keep
//! their frames in `frames`, as a JSON array of `[direction, message_type, action, message_id,
//! payload, created_at]` arrays; [`unpack`] reads both.

use sqlx::any::AnyRow;
use sqlx::Row;
use voltgate_core::error::StoreError;
use voltgate_core::model::{LogEntry, StoredLogEntry};
use voltgate_core::store::StoreResult;
use voltgate_core::types::Direction;

use crate::sql::{from_micros, micros, RowExt};

/// The most frames one chunk holds: a frame's id is its chunk's id × 64 + its position.
pub(crate) const FRAMES_PER_CHUNK: usize = voltgate_core::store::LOG_FRAMES_PER_ROW;

/// A frame as a chunk holds it: direction, message type, action, message id, payload and
/// `created_at` (µs).
type Unpacked = (String, i16, Option<String>, Option<String>, String, i64);

/// The first byte of a chunk's frames in the binary layout ([`pack`]); the JSON array of older
/// chunks starts with `[`.
const BINARY: u8 = 1;
/// The length that stands for a missing action or message id.
const ABSENT: u32 = u32::MAX;

/// The `packed` column of a chunk holding `frames` (at most [`FRAMES_PER_CHUNK`], one charger's):
/// one LZ4 block, its length prepended, of [`BINARY`] and then per frame its direction (0 charger
/// to CSMS, 1 CSMS to charger), message type (i16), `created_at` (µs, i64), action and message
/// id (u32 length and UTF-8 bytes, [`ABSENT`] for none) and payload (u32 length and the bytes
/// that travelled), integers little-endian. Copying the payload as it is, instead of escaping it
/// into JSON, is what keeps packing cheap on the hot path.
pub(crate) fn pack(frames: &[&LogEntry]) -> Vec<u8> {
    let size: usize = frames
        .iter()
        .map(|l| {
            23 + l.payload.len()
                + l.action.as_ref().map_or(0, String::len)
                + l.message_id.as_ref().map_or(0, String::len)
        })
        .sum();
    let mut out = Vec::with_capacity(1 + size);
    out.push(BINARY);
    let text = |out: &mut Vec<u8>, value: Option<&str>| match value {
        Some(v) => {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        None => out.extend_from_slice(&ABSENT.to_le_bytes()),
    };
    for l in frames {
        out.push(match l.direction {
            Direction::ChargerToCsms => 0,
            Direction::CsmsToCharger => 1,
        });
        out.extend_from_slice(&l.message_type.to_le_bytes());
        out.extend_from_slice(&micros(l.created_at).to_le_bytes());
        text(&mut out, l.action.as_deref());
        text(&mut out, l.message_id.as_deref());
        text(&mut out, Some(&l.payload));
    }
    lz4_flex::block::compress_prepend_size(&out)
}

/// Reads the binary layout of [`pack`] (after its first byte): (direction, message type,
/// action, message id, payload, created_at) per frame, or what is wrong with it.
fn read_binary(mut bytes: &[u8]) -> Result<Vec<Unpacked>, String> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
        if bytes.len() < n {
            return Err(format!("{n} bytes expected, {} left", bytes.len()));
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    fn text(bytes: &mut &[u8]) -> Result<Option<String>, String> {
        let len = u32::from_le_bytes(take(bytes, 4)?.try_into().expect("4 bytes"));
        if len == ABSENT {
            return Ok(None);
        }
        let raw = take(bytes, len as usize)?;
        String::from_utf8(raw.to_vec())
            .map(Some)
            .map_err(|e| format!("a text that is not UTF-8: {e}"))
    }
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let direction = match take(&mut bytes, 1)?[0] {
            0 => Direction::ChargerToCsms,
            1 => Direction::CsmsToCharger,
            other => return Err(format!("direction {other}")),
        };
        let message_type = i16::from_le_bytes(take(&mut bytes, 2)?.try_into().expect("2 bytes"));
        let at = i64::from_le_bytes(take(&mut bytes, 8)?.try_into().expect("8 bytes"));
        let action = text(&mut bytes)?;
        let message_id = text(&mut bytes)?;
        let payload = text(&mut bytes)?.ok_or("a frame without its payload")?;
        frames.push((
            direction.as_str().to_owned(),
            message_type,
            action,
            message_id,
            payload,
            at,
        ));
    }
    Ok(frames)
}

/// The frames of the chunk in `row` (columns `id`, `frames`, `packed`) of charger `charger_id`,
/// in arrival order, with their ids.
pub(crate) fn unpack(row: &AnyRow, charger_id: i64) -> StoreResult<Vec<StoredLogEntry>> {
    let id = row.i64("id")?;
    let packed: Option<Vec<u8>> = row
        .try_get("packed")
        .map_err(|e| StoreError::Database(format!("column packed: {e}")))?;
    let broken = |what: String| {
        StoreError::Database(format!(
            "chunk {id} of the OCPP message log cannot be read ({what}); the rest of the log is \
             unaffected: delete that row of ocpp_log_chunks to page past it"
        ))
    };
    let text = match packed {
        Some(packed) => {
            let (size, block) = lz4_flex::block::uncompressed_size(&packed)
                .map_err(|e| broken(format!("its LZ4 block: {e}")))?;
            // LZ4 expands at most 255-fold: a larger size is damage, not a reason to allocate it.
            if size > block.len().saturating_mul(255) + 16 {
                return Err(broken(format!(
                    "its LZ4 block of {} bytes claims {size} bytes of frames",
                    block.len()
                )));
            }
            lz4_flex::block::decompress(block, size)
                .map_err(|e| broken(format!("its LZ4 block: {e}")))?
        }
        None => row.string("frames")?.into_bytes(),
    };
    let frames: Vec<Unpacked> = match text.split_first() {
        Some((&BINARY, rest)) => {
            read_binary(rest).map_err(|e| broken(format!("its frames: {e}")))?
        }
        _ => serde_json::from_slice(&text).map_err(|e| broken(format!("its frames: {e}")))?,
    };
    Ok(frames
        .into_iter()
        .enumerate()
        .map(
            |(i, (direction, message_type, action, message_id, payload, at))| StoredLogEntry {
                id: id * FRAMES_PER_CHUNK as i64 + i as i64,
                entry: LogEntry {
                    charger_id,
                    direction: Direction::parse(&direction).unwrap_or(Direction::ChargerToCsms),
                    message_type,
                    action,
                    message_id,
                    payload,
                    created_at: from_micros(at),
                },
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(direction: Direction, action: Option<&str>, payload: &str) -> LogEntry {
        LogEntry {
            charger_id: 1,
            direction,
            message_type: 2,
            action: action.map(str::to_owned),
            message_id: None,
            payload: payload.to_owned(),
            created_at: from_micros(1_700_000_000_123_456),
        }
    }

    #[test]
    fn frames_come_back_from_the_binary_layout_as_written() {
        let frames = [
            entry(
                Direction::ChargerToCsms,
                Some("Heartbeat"),
                "[2,\"a\",\"Heartbeat\",{}]",
            ),
            entry(Direction::CsmsToCharger, None, "not \"json\" é\n"),
            entry(Direction::CsmsToCharger, Some(""), ""),
        ];
        let packed = pack(&frames.iter().collect::<Vec<_>>());
        let bytes = lz4_flex::block::decompress_size_prepended(&packed).unwrap();
        assert_eq!(bytes[0], BINARY);
        let read = read_binary(&bytes[1..]).unwrap();
        let written: Vec<Unpacked> = frames
            .iter()
            .map(|l| {
                (
                    l.direction.as_str().to_owned(),
                    l.message_type,
                    l.action.clone(),
                    l.message_id.clone(),
                    l.payload.clone(),
                    micros(l.created_at),
                )
            })
            .collect();
        assert_eq!(read, written);
    }

    #[test]
    fn a_damaged_binary_layout_is_an_error_not_frames() {
        let packed = pack(&[&entry(Direction::ChargerToCsms, Some("Heartbeat"), "[]")]);
        let bytes = lz4_flex::block::decompress_size_prepended(&packed).unwrap();
        let cut = read_binary(&bytes[1..bytes.len() - 1]).unwrap_err();
        assert!(cut.contains("2 bytes expected, 1 left"), "{cut}");
        let mut bad = bytes[1..].to_vec();
        bad[0] = 7;
        assert_eq!(read_binary(&bad).unwrap_err(), "direction 7");
    }
}
