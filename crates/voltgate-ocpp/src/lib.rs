#![doc = include_str!("../README.md")]

mod action;
mod error_code;
mod frame;
mod message_id;
mod parse;
mod schema;
mod string_enum;
mod text;
mod timestamp;
pub mod v16;
mod version;

pub use action::{check_action, check_call_action, Direction};
pub use error_code::ErrorCode;
pub use frame::{Call, CallError, CallResult, Frame};
pub use message_id::{MessageId, MessageIdError};
pub use parse::{binary_frame_error, parse_call_text, parse_frame, FrameError, TextCall};
pub use schema::{
    accepts_text, precompile_schemas, schema_source, validate, PayloadKind, SchemaError, Violation,
};
pub use timestamp::parse_timestamp;
pub use version::OcppVersion;
