//! End-to-end tests: the real application on port 0, driven over real sockets, on SQLite and
//! (when `VOLTGATE_TEST_POSTGRES_URL` is set) PostgreSQL.

mod actions;
mod api;
mod connection;
mod isolation;
mod load_control;
mod load_management;
mod process;
mod rpc_rules;
mod session;
mod settings;
mod simulator;
mod site_access;
mod support;
