//! Unit tests of the HTTP layer.
