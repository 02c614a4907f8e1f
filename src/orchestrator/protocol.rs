//! The parent–worker protocol: length-prefixed bincode frames (a little-endian u32 length,
//! then the payload) over the worker's stdin and stdout, opened by a version handshake.

use crate::task::{FileOutcome, Task};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// Bumped whenever a message changes shape; parent and worker refuse to talk across versions.
pub const PROTOCOL_VERSION: u32 = 4;

/// Frames larger than this are corrupt: no file's facts come near it.
const MAX_FRAME: u32 = 512 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToWorker {
    Init {
        protocol: u32,
        /// The root as raw bytes, so that any path survives the trip.
        root: Vec<u8>,
        file_budget_ms: u64,
        /// The repository's own query extractors, queries included: the worker registers
        /// them before it reads a task that names them.
        extractors: Vec<crate::extract::UserExtractor>,
    },
    Task(Task),
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FromWorker {
    Hello {
        protocol: u32,
        pid: u32,
    },
    FileDone {
        task: u32,
        file: u32,
        outcome: FileOutcome,
    },
    TaskDone {
        task: u32,
        peak: u64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("i/o error on the worker pipe: {0}")]
    Io(#[from] std::io::Error),
    #[error("frame of {0} bytes is larger than the {MAX_FRAME}-byte limit")]
    TooLarge(u32),
    #[error("undecodable frame: {0}")]
    Decode(String),
    #[error("cannot encode frame: {0}")]
    Encode(String),
}

pub fn write_frame<T: Serialize>(out: &mut impl Write, message: &T) -> Result<(), ProtocolError> {
    // The frame is built whole and written at once: one `write` per frame on an unbuffered
    // pipe, and one wakeup of the reader.
    let mut frame = Vec::new();
    append_frame(&mut frame, message)?;
    out.write_all(&frame)?;
    out.flush()?;
    Ok(())
}

/// Appends one frame to `buffer`, for a writer that sends several at once; on an error,
/// `buffer` is left as it was.
pub fn append_frame<T: Serialize>(buffer: &mut Vec<u8>, message: &T) -> Result<(), ProtocolError> {
    let start = buffer.len();
    buffer.extend_from_slice(&[0; 4]);
    let encoded =
        bincode::serde::encode_into_std_write(message, buffer, bincode::config::standard())
            .map_err(|e| ProtocolError::Encode(e.to_string()))
            .and_then(|len| u32::try_from(len).map_err(|_| ProtocolError::TooLarge(u32::MAX)));
    match encoded {
        Ok(len) => {
            buffer[start..start + 4].copy_from_slice(&len.to_le_bytes());
            Ok(())
        }
        Err(e) => {
            buffer.truncate(start);
            Err(e)
        }
    }
}

/// Reads one frame; `Ok(None)` on a clean end of stream between frames.
pub fn read_frame<T: for<'de> Deserialize<'de>>(
    input: &mut impl Read,
) -> Result<Option<T>, ProtocolError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match input.read(&mut len[got..])? {
            0 if got == 0 => return Ok(None),
            0 => {
                return Err(ProtocolError::Decode(
                    "stream ended inside a frame header".into(),
                ));
            }
            n => got += n,
        }
    }
    let len = u32::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(ProtocolError::TooLarge(len));
    }
    let mut payload = vec![0u8; len as usize];
    input
        .read_exact(&mut payload)
        .map_err(|e| ProtocolError::Decode(format!("stream ended inside a frame: {e}")))?;
    let (message, used) = bincode::serde::decode_from_slice(&payload, bincode::config::standard())
        .map_err(|e| ProtocolError::Decode(e.to_string()))?;
    if used != payload.len() {
        return Err(ProtocolError::Decode(format!(
            "{} trailing bytes after the message",
            payload.len() - used
        )));
    }
    Ok(Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{ExtractorId, FileFacts, Items, Symbol, SymbolKind};
    use crate::lang::Lang;
    use crate::task::TaskFile;

    #[test]
    fn frames_round_trip() {
        let messages = vec![
            FromWorker::Hello {
                protocol: PROTOCOL_VERSION,
                pid: 7,
            },
            FromWorker::FileDone {
                task: 1,
                file: 2,
                outcome: FileOutcome::Done(FileFacts {
                    syntax_errors: 1,
                    items: vec![Items::Symbols(vec![Symbol {
                        file: "a.ts".into(),
                        line: 1,
                        column: 1,
                        id: "a.ts#f".into(),
                        end_line: 2,
                        name: "f".into(),
                        kind: SymbolKind::Function,
                        exported: true,
                        default: false,
                        parent: None,
                        signature: "function f()".into(),
                        doc: Some("Doc.".into()),
                    }])],
                    source_hash: "0123".into(),
                }),
            },
        ];
        let mut buffer = Vec::new();
        for m in &messages {
            write_frame(&mut buffer, m).unwrap();
        }
        let mut reader = buffer.as_slice();
        for m in &messages {
            assert_eq!(
                read_frame::<FromWorker>(&mut reader).unwrap().as_ref(),
                Some(m)
            );
        }
        assert!(read_frame::<FromWorker>(&mut reader).unwrap().is_none());

        let task = ToWorker::Task(Task {
            id: 3,
            files: vec![TaskFile {
                index: 0,
                path: "a.py".into(),
                lang: Lang::Python,
                size: 9,
                known: None,
            }],
            extractors: vec![ExtractorId::IMPORTS],
        });
        let mut buffer = Vec::new();
        write_frame(&mut buffer, &task).unwrap();
        assert_eq!(
            read_frame::<ToWorker>(&mut buffer.as_slice()).unwrap(),
            Some(task)
        );
    }

    #[test]
    fn corrupt_and_truncated_frames_are_errors() {
        let garbage = [5u8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            read_frame::<FromWorker>(&mut garbage.as_slice()),
            Err(ProtocolError::Decode(_))
        ));
        let huge = u32::MAX.to_le_bytes();
        assert!(matches!(
            read_frame::<FromWorker>(&mut huge.as_slice()),
            Err(ProtocolError::TooLarge(_))
        ));
        let short = [9u8, 0, 0, 0, 1, 2];
        assert!(read_frame::<FromWorker>(&mut short.as_slice()).is_err());
        let half_header = [9u8, 0];
        assert!(read_frame::<FromWorker>(&mut half_header.as_slice()).is_err());
    }
}
