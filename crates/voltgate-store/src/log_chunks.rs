//! How a chunk of the OCPP message log is stored: one row of `ocpp_log_chunks` per charger and
//! write batch, up to [`FRAMES_PER_CHUNK`] frames in arrival order (migrations 9 and 10).
//!
//! The frames are a JSON array of `[direction, message_type, action, message_id, payload,
//! created_at]` arrays, the payload the exact text that travelled (which need not be JSON at
//! all). Since migration 10 that text is stored compressed in `packed`, one LZ4 block with its
//! length prepended: a busy charger's chunk of MeterValues and their answers shrinks about
//! tenfold, and the log was most of the bytes a message wrote. Chunks written before keep the
//! text itself in `frames`.

use sqlx::any::AnyRow;
use sqlx::Row;
use voltgate_core::error::StoreError;
use voltgate_core::model::{LogEntry, StoredLogEntry};
use voltgate_core::store::StoreResult;
use voltgate_core::types::Direction;

use crate::sql::{from_micros, micros, RowExt};

/// The most frames one chunk holds: a frame's id is its chunk's id × 64 + its position.
pub(crate) const FRAMES_PER_CHUNK: usize = voltgate_core::store::LOG_FRAMES_PER_ROW;

/// A frame as the chunk's JSON array holds it.
type Packed<'a> = (&'a str, i16, Option<&'a str>, Option<&'a str>, &'a str, i64);
type Unpacked = (String, i16, Option<String>, Option<String>, String, i64);

/// The `packed` column of a chunk holding `frames` (at most [`FRAMES_PER_CHUNK`], one charger's).
pub(crate) fn pack(frames: &[&LogEntry]) -> Vec<u8> {
    let packed: Vec<Packed> = frames
        .iter()
        .map(|l| {
            (
                l.direction.as_str(),
                l.message_type,
                l.action.as_deref(),
                l.message_id.as_deref(),
                l.payload.as_str(),
                micros(l.created_at),
            )
        })
        .collect();
    let text = serde_json::to_vec(&packed).expect("strings and numbers serialise");
    lz4_flex::block::compress_prepend_size(&text)
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
    let frames: Vec<Unpacked> =
        serde_json::from_slice(&text).map_err(|e| broken(format!("its frames: {e}")))?;
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
