//! The hash map of the exchange's internal tables (keys are schema pointers and curies chosen
//! by the application, not by untrusted input): `rustc-hash`'s `FxHashMap`.

pub(crate) use rustc_hash::FxHashMap;
