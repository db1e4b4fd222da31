#![doc = include_str!("../README.md")]

pub mod access;
pub mod allocation;
pub mod auth;
pub mod clock;
pub mod command_service;
pub mod commands;
pub mod error;
pub mod lab;
pub mod load;
pub mod load_control;
pub mod metrics;
pub mod model;
pub mod ocpp_service;
pub mod page;
pub mod settings;
pub mod smart;
pub mod store;
pub mod types;
pub mod writer;

pub use clock::{Clock, SystemClock};
pub use error::{CoreError, StoreError};
pub use metrics::Metrics;
pub use page::{Page, PageRequest};
pub use store::Store;
