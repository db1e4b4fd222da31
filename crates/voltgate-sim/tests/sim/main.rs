//! Integration tests of voltgate-sim against a tiny in-test OCPP 1.6J server over real sockets.

mod charger;
mod connection;
mod load;
mod server;
mod session;
