#![doc = include_str!("../README.md")]

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod demo;
pub mod logging;

pub use app::Application;
pub use config::Config;
