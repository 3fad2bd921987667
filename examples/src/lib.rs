//! Example types generated at build time from the top-level `schemas/` store (`acme:blog`: a
//! publish-article command, an article-published event, a get-article request and response),
//! built on the pbjx core mixins.

/// Generated message types of the `acme:blog` example store.
#[allow(missing_docs)]
pub mod schemas {
    include!(concat!(env!("OUT_DIR"), "/blog_schemas.rs"));
}
